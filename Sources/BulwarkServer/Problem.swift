import BulwarkCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

extension HTTPField.Name {
    static let contentVersion = Self("Content-Version")!
    static let link = Self("Link")!
    static let digest = Self("Digest")!
    static let prefer = Self("Prefer")!
    static let signatureFormat = Self("X-Swift-Package-Signature-Format")!
}

/// The one place errors become HTTP: `application/problem+json` (RFC 9457) with a string `detail`
/// and `Content-Version: 1`, which is the only shape SwiftPM prints as a readable message.
enum ProblemResponse {
    static func make(status: Int, detail: String, type: String = "about:blank", headers extra: HTTPFields = [:]) -> Response {
        let httpStatus = HTTPResponse.Status(code: status, reasonPhrase: title(status))
        let body: [String: Any] = ["type": type, "title": title(status), "status": status, "detail": detail]
        let data = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        var headers = extra
        headers[.contentType] = "application/problem+json"
        headers[.contentVersion] = "1"
        return Response(status: httpStatus, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func title(_ status: Int) -> String {
        switch status {
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 409: "Conflict"
        case 410: "Gone"
        case 413: "Content Too Large"
        case 415: "Unsupported Media Type"
        case 422: "Unprocessable Content"
        case 429: "Too Many Requests"
        case 503: "Service Unavailable"
        default: status >= 500 ? "Internal Server Error" : "Error"
        }
    }
}

extension BulwarkError: ResponseGenerator, HTTPResponseError {
    public var status: HTTPResponse.Status { .init(code: httpStatus) }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        ProblemResponse.make(status: httpStatus, detail: detail)
    }
}

/// Renders every error as a problem detail (including Hummingbird's own 404s), and puts
/// `Content-Version: 1` on every response, which the SwiftPM client requires on JSON and manifests.
struct RegistryResponseMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        // HEAD routes run the GET handlers; the body is dropped here (registries SHOULD support HEAD).
        let isHead = request.method == .head
        do {
            try Self.checkAcceptedAPIVersion(request)
            response = try await next(request, context)
        } catch let error as BulwarkError {
            response = ProblemResponse.make(status: error.httpStatus, detail: error.detail)
        } catch let error as StepUpRequired {
            response = ProblemResponse.make(
                status: 403, detail: "this action needs a second factor verified in the last \(Int(error.window / 60)) minutes",
                type: StepUpRequired.type
            )
        } catch let error as PasskeyStepUpRequired {
            response = ProblemResponse.make(status: 403, detail: error.detail, type: PasskeyStepUpRequired.type)
        } catch let error as TypedProblem {
            response = error.response
        } catch let error as HTTPError {
            let detail = error.body ?? (error.status == .notFound ? "not found: \(request.uri.path)" : error.status.reasonPhrase)
            response = ProblemResponse.make(status: error.status.code, detail: detail)
        } catch {
            context.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: type(of: error)))"])
            response = ProblemResponse.make(status: 500, detail: "internal server error")
        }
        if response.headers[.contentVersion] == nil { response.headers[.contentVersion] = "1" }
        if isHead {
            let length = response.headers[.contentLength] ?? response.body.contentLength.map(String.init)
            response.body = ResponseBody()
            response.headers[.contentLength] = length
        }
        return response
    }

    /// `Accept: application/vnd.swift.registry.v2+json` asks for an API version this server doesn't have.
    static func checkAcceptedAPIVersion(_ request: Request) throws(BulwarkError) {
        guard let accept = request.headers[.accept], case .version(let version) = RegistryAccept.parse(accept) else { return }
        guard RegistryAccept.version(version).isSupported else {
            throw BulwarkError(.unsupportedMediaType, "unsupported registry API version '\(version)': this registry speaks version 1")
        }
    }
}
