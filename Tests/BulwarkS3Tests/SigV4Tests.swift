import BulwarkCore
@testable import BulwarkS3
import Crypto
import Foundation
import Testing

/// The signer against AWS's published S3 SigV4 examples ("Examples: Signature Calculations in AWS
/// Signature Version 4" and "Authenticating Requests: Using Query Parameters"), and against botocore.
@Suite struct SigV4Tests {
    static let credentials = S3Credentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    static let signer = SigV4Signer(credentials: credentials, region: "us-east-1")
    /// 2013-05-24T00:00:00Z, the examples' time.
    static let exampleDate = Date(timeIntervalSince1970: 1_369_353_600)
    static let host = ("host", "examplebucket.s3.amazonaws.com")

    static func signature(of headers: [(String, String)]) -> String? {
        headers.first { $0.0 == "authorization" }?.1.components(separatedBy: "Signature=").last
    }

    @Test func getObjectWithRange() {
        let request = SigV4Signer.Request(method: "GET", path: "/test.txt", headers: [Self.host, ("range", "bytes=0-9")])
        let headers = Self.signer.sign(request, payloadHash: SigV4Signer.emptyPayloadHash, date: Self.exampleDate)
        #expect(headers.first { $0.0 == "x-amz-date" }?.1 == "20130524T000000Z")
        #expect(headers.first { $0.0 == "authorization" }?.1 == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    @Test func getObjectCanonicalRequestAndStringToSign() {
        let request = SigV4Signer.Request(method: "GET", path: "/test.txt", headers: [
            Self.host, ("Range", "bytes=0-9"), ("x-amz-content-sha256", SigV4Signer.emptyPayloadHash), ("x-amz-date", "20130524T000000Z"),
        ])
        let (canonical, signed) = Self.signer.canonicalRequest(request, payloadHash: SigV4Signer.emptyPayloadHash)
        #expect(signed == "host;range;x-amz-content-sha256;x-amz-date")
        #expect(canonical == """
            GET
            /test.txt

            host:examplebucket.s3.amazonaws.com
            range:bytes=0-9
            x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            x-amz-date:20130524T000000Z

            host;range;x-amz-content-sha256;x-amz-date
            e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            """)
        #expect(Self.signer.stringToSign(canonicalRequest: canonical, date: Self.exampleDate) == """
            AWS4-HMAC-SHA256
            20130524T000000Z
            20130524/us-east-1/s3/aws4_request
            7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972
            """)
    }

    @Test func putObjectWithDollarInTheKeyAndASignedPayload() {
        let body = "Welcome to Amazon S3."
        let hash = SigV4Signer.sha256Hex(Array(body.utf8))
        #expect(hash == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
        let path = SigV4Signer.canonicalPath("test$file.text")
        #expect(path == "/test%24file.text")
        let request = SigV4Signer.Request(method: "PUT", path: path, headers: [
            Self.host, ("Date", "Fri, 24 May 2013 00:00:00 GMT"), ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        ])
        let headers = Self.signer.sign(request, payloadHash: hash, date: Self.exampleDate)
        #expect(headers.first { $0.0 == "authorization" }?.1.contains("SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,") == true)
        #expect(Self.signature(of: headers) == "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
    }

    @Test func getBucketLifecycleHasAQueryParameterWithoutValue() {
        let request = SigV4Signer.Request(method: "GET", path: "/", query: [("lifecycle", "")], headers: [Self.host])
        let headers = Self.signer.sign(request, payloadHash: SigV4Signer.emptyPayloadHash, date: Self.exampleDate)
        #expect(Self.signature(of: headers) == "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")
    }

    @Test func listObjectsSortsTheQuery() {
        let request = SigV4Signer.Request(method: "GET", path: "/", query: [("prefix", "J"), ("max-keys", "2")], headers: [Self.host])
        let headers = Self.signer.sign(request, payloadHash: SigV4Signer.emptyPayloadHash, date: Self.exampleDate)
        #expect(Self.signature(of: headers) == "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")
    }

    @Test func presignedGetURL() throws {
        let configuration = try S3Configuration(
            endpoint: "https://s3.amazonaws.com", bucket: "examplebucket", region: "us-east-1", pathStyle: false, credentials: Self.credentials
        )
        let client = S3Client(configuration: configuration, now: { Self.exampleDate })
        let url = client.presignedGetURL(key: "test.txt", expires: 86400)
        #expect(url.absoluteString == "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")
    }

    @Test func signingKeyDerivation() {
        // The documented key derivation example (IAM, 2012-02-15, us-east-1).
        let signer = SigV4Signer(credentials: S3Credentials(accessKeyID: "x", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"), region: "us-east-1", service: "iam")
        let key = signer.signingKey(dateStamp: "20120215").withUnsafeBytes { SigV4Signer.hex(Array($0)) }
        #expect(key == "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d")
    }

    @Test(arguments: [
        (0.0, "19700101T000000Z"), (951_782_400, "20000229T000000Z"), (1_369_353_600, "20130524T000000Z"),
        (4_102_444_799, "20991231T235959Z"), (1_709_208_000.9, "20240229T120000Z"),
    ])
    func timestamps(_ seconds: Double, _ expected: String) {
        #expect(SigV4Signer.timestamps(Date(timeIntervalSince1970: seconds)).amzDate == expected)
        #expect(SigV4Signer.timestamps(Date(timeIntervalSince1970: seconds)).dateStamp == String(expected.prefix(8)))
    }

    @Test func uriEncoding() {
        #expect(SigV4Signer.uriEncode("a b/c~d_e-f.g*h+i=é") == "a%20b%2Fc~d_e-f.g%2Ah%2Bi%3D%C3%A9")
        #expect(SigV4Signer.uriEncode("a b/c", encodeSlash: false) == "a%20b/c")
        #expect(SigV4Signer.canonicalQueryString([("b", "2"), ("a", "x y"), ("a", "1"), ("uploads", "")]) == "a=1&a=x%20y&b=2&uploads=")
    }

    @Test func headerValuesAreTrimmedAndCollapsed() {
        let (block, signed) = SigV4Signer.canonicalHeaders([("Host", "h"), ("X-Amz-Meta-A", "  a   b  "), ("x-amz-meta-a", "c")])
        #expect(block == "host:h\nx-amz-meta-a:a b,c\n")
        #expect(signed == "host;x-amz-meta-a")
    }

    @Test func credentialsNeverPrintTheSecret() {
        let text = "\(Self.credentials) \(String(reflecting: Self.credentials))"
        #expect(!text.contains("wJalrXUtnFEMI"))
        #expect(S3Credentials.fromEnvironment(["AWS_ACCESS_KEY_ID": "k"]) == nil)
        #expect(S3Credentials.fromEnvironment(["AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s"])?.secretAccessKey == "s")
    }

    /// The same requests signed independently by botocore (python3), at a fixed time.
    @Test func agreesWithBotocore() throws {
        let venv = E2E.packageRoot.appendingPathComponent(".venv-e2e/bin/python3")
        let candidates = [venv] + [E2E.findExecutable("python3")].compactMap { $0 }
        guard let python = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) && E2E.run($0, ["-c", "import botocore"]).status == 0 }) else {
            try E2E.skip("SigV4Tests.agreesWithBotocore", because: "python3 with botocore is missing")
            return
        }
        let date = Date(timeIntervalSince1970: 1_760_000_123)
        let signer = SigV4Signer(credentials: S3Credentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "s3cr3t/with+chars"), region: "eu-west-3")
        let hostValue = "bucket-1.example.test:9000"
        let body = "<CompleteMultipartUpload>x</CompleteMultipartUpload>"
        struct Case { let name, method, path: String; let query: [(String, String)]; let headers: [(String, String)]; let body: String }
        let cases = [
            Case(name: "put", method: "PUT", path: "/sha256/ab/ab12.zip", query: [], headers: [("content-type", "application/zip")], body: "zip bytes"),
            Case(name: "part", method: "PUT", path: "/k%20ey/with%24dollar", query: [("partNumber", "2"), ("uploadId", "a/b+c=d")], headers: [], body: "part"),
            Case(name: "complete", method: "POST", path: "/x.zip", query: [("uploadId", "Zm9v")], headers: [("content-type", "application/xml")], body: body),
            Case(name: "create", method: "POST", path: "/x.zip", query: [("uploads", "")], headers: [], body: ""),
        ]
        func query(_ q: [(String, String)]) -> String {
            q.isEmpty ? "" : "?" + q.map { $0.1.isEmpty ? SigV4Signer.uriEncode($0.0) : "\(SigV4Signer.uriEncode($0.0))=\(SigV4Signer.uriEncode($0.1))" }.joined(separator: "&")
        }
        let spec: [String: Any] = [
            "access": "AKIDEXAMPLE", "secret": "s3cr3t/with+chars", "region": "eu-west-3", "epoch": 1_760_000_123,
            "signed": cases.map { c in
                ["name": c.name, "method": c.method, "url": "http://\(hostValue)\(c.path)\(query(c.query))",
                 "headers": Dictionary(uniqueKeysWithValues: c.headers), "body": c.body] as [String: Any]
            },
            "presigned": [["name": "presigned", "url": "https://\(hostValue)/sha256/ab/ab12.zip", "expires": 300] as [String: Any]],
        ]
        let input = String(decoding: try JSONSerialization.data(withJSONObject: spec), as: UTF8.self)
        let result = E2E.run(python, ["-c", Self.botocoreScript, input])
        #expect(result.status == 0, "\(result.output)")
        let answers = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: String])
        for c in cases {
            let request = SigV4Signer.Request(method: c.method, path: c.path, query: c.query, headers: [("host", hostValue)] + c.headers)
            let ours = signer.sign(request, payloadHash: SigV4Signer.sha256Hex(Array(c.body.utf8)), date: date)
            let theirs = try #require(answers[c.name])
            #expect(theirs.hasSuffix("Signature=\(Self.signature(of: ours) ?? "-")"), "\(c.name): botocore \(theirs)")
            #expect(theirs.replacingOccurrences(of: ", ", with: ",") == ours.first { $0.0 == "authorization" }?.1, "\(c.name)")
        }
        var configuration = try S3Configuration(
            endpoint: "https://example.test:9000", bucket: "bucket-1", region: "eu-west-3", pathStyle: false,
            credentials: S3Credentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "s3cr3t/with+chars")
        )
        configuration.presignedURLLifetime = 300
        let url = S3Client(configuration: configuration, now: { date }).presignedGetURL(key: "sha256/ab/ab12.zip")
        #expect(url.absoluteString == answers["presigned"])
    }

    static let botocoreScript = """
        import sys, json, datetime
        from unittest import mock
        import botocore.auth, botocore.credentials
        from botocore.awsrequest import AWSRequest
        spec = json.loads(sys.argv[1])
        creds = botocore.credentials.Credentials(spec['access'], spec['secret'])
        fixed = datetime.datetime.fromtimestamp(spec['epoch'], datetime.timezone.utc).replace(tzinfo=None)
        out = {}
        with mock.patch('botocore.auth.get_current_datetime', return_value=fixed):
            for c in spec['signed']:
                r = AWSRequest(method=c['method'], url=c['url'], headers=c['headers'], data=c['body'].encode())
                r.context['payload_signing_enabled'] = True
                botocore.auth.S3SigV4Auth(creds, 's3', spec['region']).add_auth(r)
                out[c['name']] = r.headers['Authorization']
            for c in spec['presigned']:
                r = AWSRequest(method='GET', url=c['url'])
                botocore.auth.S3SigV4QueryAuth(creds, 's3', spec['region'], expires=c['expires']).add_auth(r)
                out[c['name']] = r.url
        print(json.dumps(out))
        """
}

@Suite struct S3ConfigurationTests {
    static let credentials = S3Credentials(accessKeyID: "k", secretAccessKey: "s")

    @Test func pathStyleAndVirtualHostAddressing() throws {
        let path = try S3Configuration(endpoint: "http://127.0.0.1:8333", bucket: "archives", region: "us-east-1", pathStyle: true, credentials: Self.credentials)
        #expect(path.host == "127.0.0.1:8333")
        #expect(path.url(forKey: "sha256/ab/x.zip") == "http://127.0.0.1:8333/archives/sha256/ab/x.zip")
        #expect(path.url(forKey: nil) == "http://127.0.0.1:8333/archives")
        let vhost = try S3Configuration(endpoint: "https://s3.eu-west-1.amazonaws.com", bucket: "archives", region: "eu-west-1", pathStyle: false, credentials: Self.credentials)
        #expect(vhost.host == "archives.s3.eu-west-1.amazonaws.com")
        #expect(vhost.url(forKey: "sha256/ab/x.zip") == "https://archives.s3.eu-west-1.amazonaws.com/sha256/ab/x.zip")
        #expect(vhost.url(forKey: nil, query: [("uploads", "")]) == "https://archives.s3.eu-west-1.amazonaws.com/?uploads=")
        let defaultPort = try S3Configuration(endpoint: "https://minio.example:443", bucket: "b-1", region: "us-east-1", pathStyle: true, credentials: Self.credentials)
        #expect(defaultPort.host == "minio.example")
    }

    @Test func anHTTPSEndpointNeverYieldsAnHTTPURL() throws {
        for pathStyle in [true, false] {
            var configuration = try S3Configuration(endpoint: "HTTPS://S3.Example.com", bucket: "archives", region: "us-east-1", pathStyle: pathStyle, credentials: Self.credentials)
            configuration.downloads = .redirect
            let client = S3Client(configuration: configuration)
            #expect(client.presignedGetURL(key: "a.zip").scheme == "https")
            #expect(configuration.url(forKey: "a.zip").hasPrefix("https://"))
        }
    }

    @Test(arguments: [
        ("ftp://s3.example.com", "b-1", true, "http:// or https://"),
        ("not a url", "b-1", true, "is not a URL"),
        ("https://s3.example.com/base", "b-1", true, "no path"),
        ("https://user:pw@s3.example.com", "b-1", true, "no path"),
        ("https://s3.example.com", "B", true, "not a valid bucket name"),
        ("https://s3.example.com", "a..b", true, "not a valid bucket name"),
        ("http://127.0.0.1:9000", "b-1", false, "--s3-path-style"),
        ("https://s3.example.com", "with.dots", false, "--s3-path-style"),
    ])
    func badConfigurationIsRefusedWithAClearMessage(_ endpoint: String, _ bucket: String, _ pathStyle: Bool, _ message: String) {
        #expect {
            _ = try S3Configuration(endpoint: endpoint, bucket: bucket, region: "us-east-1", pathStyle: pathStyle, credentials: Self.credentials)
        } throws: { error in
            (error as? BulwarkError)?.detail.contains(message) == true
        }
    }

    @Test func limitsAreChecked() throws {
        var configuration = try S3Configuration(endpoint: "https://s3.example.com", bucket: "b-1", region: "us-east-1", pathStyle: true, credentials: Self.credentials)
        configuration.partSize = 1024
        #expect(throws: BulwarkError.self) { try configuration.validate() }
        configuration.partSize = S3Configuration.minimumPartSize
        configuration.presignedURLLifetime = 0
        #expect(throws: BulwarkError.self) { try configuration.validate() }
        configuration.presignedURLLifetime = 3601
        #expect(throws: BulwarkError.self) { try configuration.validate() }
        configuration.presignedURLLifetime = 60
        configuration.region = "Bad Region"
        #expect(throws: BulwarkError.self) { try configuration.validate() }
        configuration.region = "us-east-1"
        configuration.keyPrefix = "../x/"
        #expect(throws: BulwarkError.self) { try configuration.validate() }
        configuration.keyPrefix = "registry/"
        try configuration.validate()
    }

    @Test func xmlAnswersAreRead() {
        let xml = "<Error><Code>NoSuchKey</Code><Message>The key &quot;a&amp;b&quot; does not exist</Message></Error>"
        #expect(XMLText.first("Code", in: xml) == "NoSuchKey")
        #expect(XMLText.first("Message", in: xml) == "The key \"a&b\" does not exist")
        #expect(XMLText.first("UploadId", in: xml) == nil)
        #expect(XMLText.escape("\"e&t<>\"") == "&quot;e&amp;t&lt;&gt;&quot;")
    }
}
