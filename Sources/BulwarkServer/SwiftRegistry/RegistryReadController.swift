import BulwarkCore
import BulwarkStorage
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOPosix

/// The read side of the Swift Package Registry API (SE-0292): release lists, release metadata,
/// manifests, source archives and repository-URL lookups. Anonymous: the registry is public.
struct RegistryReadController<Context: RequestContext>: Sendable {
    let storage: Storage
    let paths: RegistryPaths
    let releasesPerPage: Int
    let cache: ReadCache
    /// Rendered responses kept in the database, under the memory cache (nil: the store has none, or
    /// they are turned off).
    var storedResponses: StoredResponseTier? = nil
    let fileIO = FileIO()

    func addRoutes(to router: Router<Context>) {
        for method in [HTTPRequest.Method.get, .head] {
            router.on("/identifiers", method: method) { request, context in
                try await cached(request, package: "/identifiers") { try await identifiers(request, context: context) }
            }
            router.on("/:scope/:name", method: method) { request, context in
                try await cached(request, package: try RegistryPaths.listPackageID(context).canonicalKey, stored: Self.storedKey(list: request)) {
                    try await listReleases(request, context: context)
                }
            }
            router.on("/:scope/:name/:version", method: method) { request, context in
                let segment = try RegistryPaths.segment("version", context)
                if segment.hasSuffix(".zip") {
                    // A small archive's whole response (headers and bytes) is cached like the others.
                    let package = try RegistryPaths.packageID(context).canonicalKey
                    if let hit = cachedResponse(request, package: package) { return hit }
                    return try await archive(request, context: context, version: String(segment.dropLast(4)), package: package)
                }
                return try await cached(request, package: try RegistryPaths.packageID(context).canonicalKey, stored: Self.storedKey(metadata: segment)) {
                    try await releaseMetadata(request, context: context, segment: segment)
                }
            }
            router.on("/:scope/:name/:version/Package.swift", method: method) { request, context in
                let stored = Self.storedKey(manifest: try RegistryPaths.segment("version", context), request)
                return try await cached(request, package: try RegistryPaths.packageID(context).canonicalKey, stored: stored) {
                    try await manifest(request, context: context)
                }
            }
        }
    }

    /// Serves a 200 from the memory cache, else from the stored responses (under `stored`, its key
    /// within the package; nil: not stored), else renders it and keeps it in both. Only in-memory
    /// bodies are cached.
    func cached(_ request: Request, package: String, stored: String? = nil, _ render: () async throws -> Rendered) async throws -> Response {
        if let hit = cachedResponse(request, package: package) { return hit }
        guard let storedResponses, let path = stored else {
            let rendered = try await render()
            if rendered.status == .ok { keep(request, package: package, headers: rendered.headers, body: rendered.body) }
            return Response(status: rendered.status, headers: rendered.headers, body: .init(byteBuffer: rendered.body))
        }
        let base = paths.baseURL(for: request)
        // The epoch comes with the miss, read before the render reads the package: a change in
        // between makes the store refuse the render.
        let (found, epoch) = storedResponses.lookup(package: package, path: path, base: base)
        if let (headers, body) = found {
            keep(request, package: package, headers: headers, body: body)
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
        }
        let rendered = try await render()
        if rendered.status == .ok {
            keep(request, package: package, headers: rendered.headers, body: rendered.body)
            if let epoch {
                storedResponses.keep(package: package, path: path, base: base, headers: rendered.headers, body: rendered.body, epoch: epoch)
            }
        }
        return Response(status: rendered.status, headers: rendered.headers, body: .init(byteBuffer: rendered.body))
    }

    // A stored response's key within its package is the response's canonical form, not the URL:
    // spellings of one URL (letter case, build metadata, `.json`, `page=01`, other query parameters
    // the route ignores) share one row, so no run of requests can make the database keep more rows
    // than the package has responses.

    /// `list/{page}`; nil (not stored) for a page that isn't a positive integer.
    static func storedKey(list request: Request) -> String? {
        guard let raw = request.uri.queryParameters.get("page") else { return "list/1" }
        guard let page = Int(raw), page >= 1 else { return nil }
        return "list/\(page)"
    }

    /// `metadata/{precedence key}`; nil for a version that doesn't parse.
    static func storedKey(metadata segment: String) -> String? {
        let version = segment.hasSuffix(".json") ? String(segment.dropLast(5)) : segment
        return (try? SemanticVersion(version)).map { "metadata/\($0.precedenceKey)" }
    }

    /// `manifest/{precedence key}[/{tools version}]`; nil for a version or `swift-version` that doesn't parse.
    static func storedKey(manifest segment: String, _ request: Request) -> String? {
        guard let version = try? SemanticVersion(segment) else { return nil }
        guard let requested = request.uri.queryParameters.get("swift-version") else { return "manifest/\(version.precedenceKey)" }
        return ToolsVersion(String(requested)).map { "manifest/\(version.precedenceKey)/\($0)" }
    }

    /// The cache key of a response: the public base URL and the request's URI.
    func responseKey(_ request: Request) -> String { paths.baseURL(for: request) + request.uri.description }

    func cachedResponse(_ request: Request, package: String) -> Response? {
        guard let entry = cache.get(package: package, key: responseKey(request)) else { return nil }
        return Response(status: .ok, headers: entry.headers, body: .init(byteBuffer: entry.body))
    }

    func keep(_ request: Request, package: String, headers: HTTPFields, body: ByteBuffer) {
        cache.set(package: package, key: responseKey(request), headers: headers, body: body)
    }

    // MARK: GET /{scope}/{name}

    func listReleases(_ request: Request, context: Context) async throws -> Rendered {
        let id = try RegistryPaths.listPackageID(context)
        guard let known = try await storage.reads.packageVersions(id) else { throw BulwarkError.notFound("package \(id) not found") }
        let canonical = known.package
        // Yanked and deleted versions stay listed with a problem (SE-0292): resolvers skip them.
        let details = Self.problemDetails(known)
        let versions = (known.releases + known.deleted.map(\.version)).sorted(by: >)
        let page = try Self.page(request)
        let pageCount = max(1, (versions.count + releasesPerPage - 1) / releasesPerPage)
        guard page <= pageCount else { throw BulwarkError.notFound("page \(page) of \(canonical)'s releases doesn't exist (\(pageCount) pages)") }
        // Keys in the order JSONSerialization's .sortedKeys wrote them (clients don't care; diffs of responses do).
        let slice = versions.dropFirst((page - 1) * releasesPerPage).prefix(releasesPerPage).sorted { $0.description < $1.description }

        let base = paths.baseURL(for: request)
        var json = JSONText(capacity: 64 + slice.count * (base.utf8.count + 64))
        json.beginObject()
        json.key("releases")
        json.beginObject()
        for version in slice {
            json.key(version.description)
            json.beginObject()
            if let detail = details[version.precedenceKey] { Self.writeGone(&json, detail: detail) }
            json.member("url", paths.releaseURL(base, canonical, version))
            json.endObject()
        }
        json.endObject()
        json.endObject()

        let available = known.releases
        var links: [String] = []
        if let latest = Self.latest(available.filter { details[$0.precedenceKey] == nil }) ?? Self.latest(available) { links.append("<\(paths.releaseURL(base, canonical, latest))>; rel=\"latest-version\"") }
        let listURL = "\(base)/\(canonical.scope)/\(canonical.name)"
        if pageCount > 1 {
            links.append("<\(listURL)?page=1>; rel=\"first\"")
            if page > 1 { links.append("<\(listURL)?page=\(page - 1)>; rel=\"prev\"") }
            if page < pageCount { links.append("<\(listURL)?page=\(page + 1)>; rel=\"next\"") }
            links.append("<\(listURL)?page=\(pageCount)>; rel=\"last\"")
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        if !links.isEmpty { headers[.link] = links.joined(separator: ", ") }
        return Rendered(headers: headers, body: ByteBuffer(bytes: json.bytes))
    }

    /// The problem detail of each yanked or deleted version, by precedence key.
    static func problemDetails(_ known: PackageVersions) -> [String: String] {
        var details = known.yankReasons
        for d in known.deleted { details[d.version.precedenceKey] = "this release was removed from the registry on \(Timestamp.iso8601(d.deletedAt))" }
        return details
    }

    /// `"problem":{"detail":…,"status":410,"title":"Gone"}`, the mark of a yanked or deleted version.
    static func writeGone(_ json: inout JSONText, detail: String) {
        json.key("problem")
        json.beginObject()
        json.member("detail", detail)
        json.member("status", 410)
        json.member("title", "Gone")
        json.endObject()
    }

    /// The newest release, preferring releases over pre-releases.
    static func latest(_ versions: [SemanticVersion]) -> SemanticVersion? {
        versions.filter { !$0.isPrerelease }.max() ?? versions.max()
    }

    static func page(_ request: Request) throws(BulwarkError) -> Int {
        guard let raw = request.uri.queryParameters.get("page") else { return 1 }
        guard let page = Int(raw), page >= 1 else { throw .badRequest("invalid page '\(raw)': expected a positive integer") }
        return page
    }

    // MARK: GET /{scope}/{name}/{version}[.zip|.json]

    func releaseMetadata(_ request: Request, context: Context, segment: String) async throws -> Rendered {
        let versionString = segment.hasSuffix(".json") ? String(segment.dropLast(5)) : segment
        let (id, release, _, fetched) = try await findCachedRelease(context, versionString, withVersions: true)
        let base = paths.baseURL(for: request)

        // Yanked: still downloadable, but marked like in the release list. The links need every version.
        var versionsFound = fetched
        if versionsFound == nil { versionsFound = try await storage.reads.packageVersions(id) }
        guard let known = versionsFound else {
            throw BulwarkError.notFound("package \(id) not found")
        }
        var json = JSONText(capacity: 512 + (release.metadata?.count ?? 2))
        json.beginObject()
        json.member("id", release.package.description)
        // The metadata is served exactly as uploaded (it was checked to be a JSON object at publish).
        json.key("metadata")
        if let metadata = release.metadata { json.rawValue(metadata) } else { json.rawValue("{}".utf8) }
        if let reason = known.yankReasons[release.version.precedenceKey] { Self.writeGone(&json, detail: reason) }
        json.member("publishedAt", Timestamp.iso8601(release.publishedAt))
        json.key("resources")
        json.beginArray()
        json.beginObject()
        json.member("checksum", release.checksum)
        json.member("name", "source-archive")
        if let signature = release.archiveSignature {
            json.key("signing")
            json.beginObject()
            json.member("signatureBase64Encoded", Data(signature.bytes).base64EncodedString())
            json.member("signatureFormat", signature.format)
            json.endObject()
        }
        json.member("type", "application/zip")
        json.endObject()
        json.endArray()
        json.member("version", release.version.description)
        json.endObject()

        let versions = known.releases.sorted()
        var links: [String] = []
        if let latest = Self.latest(versions) { links.append("<\(paths.releaseURL(base, release.package, latest))>; rel=\"latest-version\"") }
        if let i = versions.firstIndex(of: release.version) {
            if i + 1 < versions.count { links.append("<\(paths.releaseURL(base, release.package, versions[i + 1]))>; rel=\"successor-version\"") }
            if i > 0 { links.append("<\(paths.releaseURL(base, release.package, versions[i - 1]))>; rel=\"predecessor-version\"") }
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        if !links.isEmpty { headers[.link] = links.joined(separator: ", ") }
        return Rendered(headers: headers, body: ByteBuffer(bytes: json.bytes))
    }

    func findRelease(_ context: Context, _ versionString: String) async throws -> (PackageIdentifier, Release) {
        let (id, release, _, _) = try await findCachedRelease(context, versionString)
        return (id, release)
    }

    /// The release, with its archive headers when a download already built them, and the cache key.
    /// `withVersions`: on a cache miss, the package's versions come in the same storage call.
    func findCachedRelease(_ context: Context, _ versionString: String, withVersions: Bool = false) async throws
        -> (PackageIdentifier, Release, (key: String, archiveHeaders: HTTPFields?), PackageVersions?)
    {
        let id = try RegistryPaths.packageID(context)
        let version = try SemanticVersion(versionString)
        let key = Self.releaseKey(id, version)
        if let entry = cache.releaseEntry(key) { return (id, entry.release, (key, entry.archiveHeaders), nil) }
        let found: (Release, PackageVersions?)?
        if withVersions {
            found = try await storage.reads.releaseWithVersions(id, version: version).map { ($0.0, $0.1) }
        } else {
            found = try await storage.reads.releaseForReading(id, version: version).map { ($0, nil) }
        }
        guard let (release, versions) = found else {
            if let tombstone = try await storage.lifecycle.tombstone(of: id, version: version) {
                throw BulwarkError(.gone, "version \(tombstone.version) of \(tombstone.package) was removed from the registry on \(Timestamp.iso8601(tombstone.deletedAt))")
            }
            throw BulwarkError.notFound("version \(version) of \(id) not found")
        }
        cache.setRelease(key, release)
        return (id, release, (key, nil), versions)
    }

    /// The memory cache's key of a release.
    static func releaseKey(_ id: PackageIdentifier, _ version: SemanticVersion) -> String {
        id.canonicalKey + "@" + version.precedenceKey
    }

    /// What a download needs: the archive's checksum and size, and the response's headers.
    struct ArchiveFacts {
        let checksum: String
        let size: Int64
        let headers: HTTPFields
        /// `scope.name version`, for messages.
        let label: String
    }

    /// From the memory cache, else the stored response (`archive/{version}`: the headers, and the
    /// checksum as its body), else the release (and then stored, like any other response).
    func archiveFacts(context: Context, version: String, package: String) async throws -> ArchiveFacts {
        let id = try RegistryPaths.packageID(context)
        let semantic = try SemanticVersion(version)
        let key = Self.releaseKey(id, semantic)
        let storedKey = "archive/\(semantic.precedenceKey)"
        var epoch: Int64?
        if let storedResponses, cache.releaseEntry(key) == nil {
            // An archive's headers hold no URL: one row for every base.
            let (found, current) = storedResponses.lookup(package: package, path: storedKey, base: "")
            if let (headers, body) = found, let size = headers[.contentLength].flatMap({ Int64($0) }), body.readableBytes == 64 {
                return ArchiveFacts(checksum: String(buffer: body), size: size, headers: headers, label: "\(id) \(semantic)")
            }
            epoch = current
        }
        let (_, release, cached, _) = try await findCachedRelease(context, version)
        let headers: HTTPFields
        if let built = cached.archiveHeaders {
            headers = built
        } else {
            headers = Self.archiveHeaders(release)
            cache.setArchiveHeaders(cached.key, headers)
        }
        if let epoch, let storedResponses {
            storedResponses.keep(package: package, path: storedKey, base: "", headers: headers, body: ByteBuffer(string: release.checksum), epoch: epoch)
        }
        return ArchiveFacts(checksum: release.checksum, size: release.archiveSize, headers: headers, label: "\(release.package) \(release.version)")
    }

    func archive(_ request: Request, context: Context, version: String, package: String) async throws -> Response {
        let facts = try await archiveFacts(context: context, version: version, package: package)
        let body: ResponseBody
        var inMemory: ByteBuffer?
        if let bytes = cache.archive(facts.checksum) {
            // In memory already: no storage call (only archives of local or proxied stores get there).
            body = ResponseBody(byteBuffer: bytes)
            inMemory = bytes
        } else {
            let missing = "the archive of \(facts.label) is missing from storage"
            let location = try await storage.blobs.location(forChecksum: facts.checksum)
            if case .redirect(let url) = location {
                // A short-lived presigned URL: the client fetches the bytes from the object store.
                var headers = HTTPFields()
                headers[.location] = url.absoluteString
                headers[.cacheControl] = "no-store"
                headers[.digest] = "sha-256=\(Data(Self.hexBytes(facts.checksum)).base64EncodedString())"
                return Response(status: .seeOther, headers: headers)
            }
            if facts.size <= Int64(cache.smallArchiveLimit), cache.isEnabled {
                // Small archives are read once and then served from memory; they never change.
                let bytes: ByteBuffer
                if case .file(let path) = location {
                    bytes = try await NIOThreadPool.singleton.runIfActive {
                        guard let data = FileManager.default.contents(atPath: path) else { throw BulwarkError.internalError(missing) }
                        return ByteBuffer(bytes: data)
                    }
                } else {
                    let stream = try await storage.blobs.open(checksum: facts.checksum)
                    guard stream.size == facts.size else { throw BulwarkError.internalError(missing) }
                    bytes = try await stream.collect(upTo: cache.smallArchiveLimit)
                }
                cache.setArchive(facts.checksum, bytes)
                body = ResponseBody(byteBuffer: bytes)
                inMemory = bytes
            } else if case .file(let path) = location {
                body = try await fileIO.loadFile(path: path, context: context)
            } else {
                // Proxied from the object store as a stream, with the same headers as a file.
                let stream = try await storage.blobs.open(checksum: facts.checksum)
                guard stream.size == facts.size else { throw BulwarkError.internalError(missing) }
                body = ResponseBody(asyncSequence: stream)
            }
        }
        if let inMemory { keep(request, package: package, headers: facts.headers, body: inMemory) }
        return Response(status: .ok, headers: facts.headers, body: body)
    }

    /// A download's headers: the same for every download of a release, so built once and cached with it.
    static func archiveHeaders(_ release: Release) -> HTTPFields {
        var headers = HTTPFields()
        headers[.contentType] = "application/zip"
        headers[.contentLength] = String(release.archiveSize)
        headers[.contentDisposition] = "attachment; filename=\"\(release.package.name)-\(release.version).zip\""
        headers[.cacheControl] = "public, immutable"
        headers[.digest] = "sha-256=\(Data(Self.hexBytes(release.checksum)).base64EncodedString())"
        if let signature = release.archiveSignature {
            headers[.signatureFormat] = signature.format
            headers[HTTPField.Name("X-Swift-Package-Signature")!] = Data(signature.bytes).base64EncodedString()
        }
        return headers
    }

    static func hexBytes(_ hex: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var it = hex.utf8.makeIterator()
        while let h = it.next(), let l = it.next() {
            func v(_ c: UInt8) -> UInt8 { c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x61 + 10 }
            bytes.append(v(h) << 4 | v(l))
        }
        return bytes
    }

    // MARK: GET /{scope}/{name}/{version}/Package.swift[?swift-version=]

    func manifest(_ request: Request, context: Context) async throws -> Rendered {
        let (_, release) = try await findRelease(context, try RegistryPaths.segment("version", context))
        let base = paths.baseURL(for: request)
        var headers = HTTPFields()
        headers[.contentType] = "text/x-swift"
        headers[.cacheControl] = "public, immutable"

        if let requested = request.uri.queryParameters.get("swift-version") {
            guard let wanted = ToolsVersion(requested) else {
                throw BulwarkError.badRequest("invalid swift-version '\(requested)': expected a version such as 6.0 or 5.9.0")
            }
            // Compare numerically: SwiftPM asks for 6.0.0 when the file is Package@swift-6.0.swift.
            guard let alternate = release.manifests.first(where: { ToolsVersion.fromAlternateManifestName($0.filename) == wanted }) else {
                var redirect = HTTPFields()
                redirect[.location] = "\(paths.releaseURL(base, release.package, release.version))/Package.swift"
                return Rendered(status: .seeOther, headers: redirect, body: ByteBuffer())
            }
            headers[.contentDisposition] = "attachment; filename=\"\(alternate.filename)\""
            return Rendered(headers: headers, body: ByteBuffer(bytes: alternate.bytes))
        }

        guard let main = release.manifests.first(where: { $0.filename == "Package.swift" }) else {
            throw BulwarkError.notFound("version \(release.version) of \(release.package) has no Package.swift")
        }
        headers[.contentDisposition] = "attachment; filename=\"Package.swift\""
        // One alternate per Package@swift-*.swift, in the exact four-field form SwiftPM parses.
        // The tools version is the one in the file name: that is what the client asks for next.
        let links = release.manifests.compactMap { manifest -> LinkValue? in
            guard let tools = ToolsVersion.fromAlternateManifestName(manifest.filename) else { return nil }
            let url = "\(paths.releaseURL(base, release.package, release.version))/Package.swift?swift-version=\(tools)"
            return LinkValue(url: url, rel: "alternate", parameters: [("filename", manifest.filename), ("swift-tools-version", "\(tools)")])
        }
        if !links.isEmpty { headers[.link] = LinkValue.format(links) }
        return Rendered(headers: headers, body: ByteBuffer(bytes: main.bytes))
    }

    // MARK: GET /identifiers?url=

    func identifiers(_ request: Request, context: Context) async throws -> Rendered {
        guard let raw = request.uri.queryParameters.get("url"), !raw.isEmpty else {
            throw BulwarkError.badRequest("missing query parameter 'url'")
        }
        guard let normalized = RepositoryURL.normalize(String(raw)) else {
            throw BulwarkError.badRequest("'\(raw)' is not a repository URL")
        }
        let ids = try await storage.releases.packages(forRepositoryURL: normalized)
        guard !ids.isEmpty else { throw BulwarkError.notFound("no package is published from \(raw)") }
        var json = JSONText()
        json.beginObject()
        json.key("identifiers")
        json.beginArray()
        for id in ids { json.string(id.description) }
        json.endArray()
        json.endObject()
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Rendered(headers: headers, body: ByteBuffer(bytes: json.bytes))
    }
}

/// A response rendered into memory (what the cache keeps).
struct Rendered {
    var status: HTTPResponse.Status = .ok
    var headers: HTTPFields
    var body: ByteBuffer
}
