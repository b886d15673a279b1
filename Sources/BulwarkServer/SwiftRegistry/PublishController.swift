import BulwarkArchive
import BulwarkAuth
import BulwarkCore
import BulwarkStorage
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOPosix

/// `PUT /{scope}/{name}/{version}`: publishing (SE-0321, signing per SE-0391).
///
/// Order matters: credentials and cheap checks first (nothing read), then the body streamed to a
/// temporary file, then every check on the archive, signatures and metadata, and only then the
/// archive is moved into place durably and the release row committed, with its `published` audit
/// event in the same transaction. A crash at any point leaves either no release or a complete one
/// with its event.
struct PublishController<Context: RequestContext>: Sendable {
    let storage: Storage
    let paths: RegistryPaths
    let authenticator: TokenAuthenticator
    let configuration: ServerConfiguration
    let readCache: ReadCache
    let now: @Sendable () -> Date
    /// The client's address (recorded on the token and in the package's audit log).
    var ip: @Sendable (Context) -> String? = { _ in nil }

    func addRoutes(to router: Router<Context>) {
        router.put("/:scope/:name/:version", use: publish)
    }

    /// Every token use goes into the package's audit log: `published` in the release's own
    /// transaction (``ReleaseStore/insert(_:recording:)``), `staged` with the staged row
    /// (``PackagePolicyStore/insertStaged(_:recording:)``).
    func use(_ kind: PackageEvent.Kind, _ release: Release, _ publisher: Publisher, _ context: Context, detail: String = "") -> PackageEvent {
        PackageEvent(
            package: release.package, version: release.version, kind: kind, actor: publisher.account, credential: .token(publisher.token.id),
            detail: detail, ip: ip(context), at: now()
        )
    }

    @Sendable func publish(_ request: Request, context: Context) async throws -> Response {
        let id = try RegistryPaths.packageID(context)
        let version = try SemanticVersion(try RegistryPaths.segment("version", context))
        let publisher = try await authenticator.requirePublisher(of: id, headers: request.headers, ip: ip(context))
        try await PackageAccess(storage: storage, configuration: configuration.security, now: now).requirePublishRight(account: publisher.account, package: id)

        if let length = request.headers[.contentLength].flatMap(Int.init), length > configuration.maxUploadBytes {
            throw BulwarkError.payloadTooLarge("the upload (\(length) bytes) is larger than this registry's limit of \(configuration.maxUploadBytes) bytes")
        }
        if try await storage.releases.release(id, version: version) != nil {
            throw BulwarkError.conflict("a release with version \(version) of \(id) already exists")
        }
        // Checked again atomically by the insert; here so the body isn't read in vain.
        if let tombstone = try await storage.lifecycle.tombstone(of: id, version: version) {
            throw BulwarkError.conflict(tombstone.republishDetail)
        }
        let policy = try await PackageAccess(storage: storage, configuration: configuration.security, now: now).effectivePolicy(of: id)
        if policy.publishing == .approval, let pending = try await pendingStaged(id, version) {
            return pendingConflict(request, pending)
        }
        guard let contentType = request.headers[.contentType], let boundary = MultipartParser.boundary(fromContentType: contentType) else {
            throw BulwarkError(.unsupportedMediaType, "a publish request must be multipart/form-data with a boundary")
        }
        let signatureFormat = request.headers[.signatureFormat]
        if let signatureFormat, signatureFormat != SignatureVerifier.format {
            throw BulwarkError.unprocessable("unsupported signature format '\(signatureFormat)': this registry accepts \(SignatureVerifier.format)")
        }

        let temporaryFile = try storage.blobs.makeTemporaryFile()
        var committed = false
        defer { if !committed { try? FileManager.default.removeItem(at: temporaryFile) } }

        let upload = try await PublishUpload.receive(
            body: request.body, boundary: boundary, temporaryFile: temporaryFile,
            limits: .init(
                maxBodyBytes: configuration.maxUploadBytes,
                maxMetadataBytes: configuration.maxMetadataBytes,
                maxSignatureBytes: configuration.maxSignatureBytes
            )
        )
        guard upload.archiveFile != nil else { throw BulwarkError.unprocessable("the request has no 'source-archive' part") }

        let limits = configuration.archiveLimits
        let summary = try await NIOThreadPool.singleton.runIfActive {
            try ArchiveInspector.inspect(fileAt: temporaryFile, limits: limits)
        }
        let repositoryURLs = try upload.metadata.map(Self.validateMetadata) ?? []
        let (archiveSignature, metadataSignature) = try await verifySignatures(upload, format: signatureFormat)

        let release = Release(
            package: id,
            version: version,
            checksum: upload.archiveChecksum,
            archiveSize: upload.archiveSize,
            metadata: upload.metadata,
            archiveSignature: archiveSignature,
            metadataSignature: metadataSignature,
            manifests: summary.manifests.map { ReleaseManifest(filename: $0.filename, toolsVersion: $0.declaredToolsVersion, bytes: $0.bytes) },
            repositoryURLs: repositoryURLs,
            publishedAt: now(),
            publisher: publisher.account
        )
        let checksum = upload.archiveChecksum
        // Under a publish claim on the archive: a removal of the same bytes (a deleted release's)
        // can't run between storing them and inserting the row that uses them.
        let staged: Response?
        do {
            staged = try await storage.withArchivePublishClaim(checksum: checksum) {
                try await storage.blobs.commit(temporaryFile: temporaryFile, checksum: checksum)
                committed = true
                if policy.publishing == .approval {
                    // The staged row and its `staged` event: one transaction, like a publish.
                    return try await stage(release, recording: use(.staged, release, publisher, context, detail: "waiting for approval"), request: request, context: context)
                }
                // The release and its `published` event: one transaction, so one commit to sync.
                try await storage.releases.insert(release, recording: use(.published, release, publisher, context))
                return nil
            }
        } catch {
            // Stored but not inserted (a lost race for the version): the archive goes unless
            // something else uses the same bytes.
            if committed { await removeIfUnused(checksum, context) }
            throw error
        }
        if let staged {
            if staged.status.code >= 300 { await removeIfUnused(checksum, context) }
            return staged
        }
        readCache.invalidate(package: id.canonicalKey)
        if !repositoryURLs.isEmpty { readCache.invalidate(package: "/identifiers") }
        context.logger.info("published", metadata: ["package": "\(id)", "version": "\(version)", "account": "\(publisher.account)"])

        var headers = HTTPFields()
        headers[.location] = paths.releaseURL(paths.baseURL(for: request), id, version)
        headers[.contentVersion] = "1"
        return Response(status: .created, headers: headers)
    }

    /// Removes an archive this publish stored but no row uses (the claims make that safe against
    /// a concurrent publish of the same bytes); a failure only leaves an unreferenced file.
    func removeIfUnused(_ checksum: String, _ context: Context) async {
        do { try await storage.removeArchiveIfUnused(checksum: checksum) } catch {
            context.logger.warning("a refused publish's archive couldn't be removed", metadata: ["checksum": "\(checksum)"])
        }
    }

    /// `publishing: approval`: the release waits, invisible to consumers, for an owner's approval;
    /// the answer is `202 Accepted` with the staged release's status URL.
    func stage(_ release: Release, recording event: PackageEvent, request: Request, context: Context) async throws -> Response {
        let at = now()
        let staged = StagedRelease(
            id: UUID().uuidString.lowercased(), release: release, createdAt: at,
            expiresAt: at.addingTimeInterval(configuration.security.stagedReleaseLifetime)
        )
        do { try await storage.policies.insertStaged(staged, recording: event) } catch let error as BulwarkError where error.kind == .conflict {
            if let pending = try await pendingStaged(release.package, release.version) { return pendingConflict(request, pending) }
            throw error
        }
        context.logger.info("staged", metadata: ["package": "\(release.package)", "version": "\(release.version)", "account": "\(release.publisher)"])
        var headers = HTTPFields()
        headers[.location] = PackageController<Context>.statusURL(base: paths.baseURL(for: request), release.package, staged.id)
        headers[HTTPField.Name("Retry-After")!] = "60"
        headers[.contentVersion] = "1"
        return Response(status: .accepted, headers: headers)
    }

    /// The pending, unexpired staged release of this version, if any.
    func pendingStaged(_ id: PackageIdentifier, _ version: SemanticVersion) async throws -> StagedRelease? {
        let at = now()
        return try await storage.policies.pendingStaged(of: id).first { $0.release.version == version && $0.effectiveState(at: at) == .pending }
    }

    /// 409 with the waiting release's status URL as `Location`.
    func pendingConflict(_ request: Request, _ pending: StagedRelease) -> Response {
        let location = PackageController<Context>.statusURL(base: paths.baseURL(for: request), pending.release.package, pending.id)
        return ProblemResponse.make(
            status: 409, detail: "version \(pending.release.version) of \(pending.release.package) is already waiting for approval",
            headers: [.location: location]
        )
    }

    func verifySignatures(_ upload: PublishUpload, format: String?) async throws -> (ReleaseSignature?, ReleaseSignature?) {
        guard let format else {
            if upload.archiveSignature != nil || upload.metadataSignature != nil {
                throw BulwarkError.unprocessable("signature parts were sent without the X-Swift-Package-Signature-Format header")
            }
            if configuration.requireSignedReleases {
                throw BulwarkError.unprocessable("this registry only accepts signed releases: publish with --signing-identity or --private-key-path")
            }
            return (nil, nil)
        }
        guard let archiveSignature = upload.archiveSignature, let file = upload.archiveFile else {
            throw BulwarkError.unprocessable("a signed publish needs a 'source-archive-signature' part")
        }
        let archiveBytes = try [UInt8](Data(contentsOf: file))
        _ = try await configuration.trustRoots.verify(signature: archiveSignature, over: archiveBytes, what: "source archive")
        var metadataSignature: ReleaseSignature?
        if let metadata = upload.metadata {
            guard let signature = upload.metadataSignature else {
                throw BulwarkError.unprocessable("a signed publish with metadata needs a 'metadata-signature' part")
            }
            _ = try await configuration.trustRoots.verify(signature: signature, over: metadata, what: "metadata")
            metadataSignature = ReleaseSignature(format: format, bytes: signature)
        }
        return (ReleaseSignature(format: format, bytes: archiveSignature), metadataSignature)
    }

    /// Checks the metadata against the PackageRelease schema as far as clients decode it, and returns
    /// its normalised repository URLs.
    static func validateMetadata(_ bytes: [UInt8]) throws -> [String] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw BulwarkError.unprocessable("the metadata is not a JSON object")
        }
        func requireName(_ value: Any?, _ field: String) throws {
            guard let value else { return }
            guard let dict = value as? [String: Any], dict["name"] is String else {
                throw BulwarkError.unprocessable("metadata '\(field)' must be an object with a string 'name'")
            }
        }
        try requireName(object["author"], "author")
        try requireName((object["author"] as? [String: Any])?["organization"], "author.organization")
        for field in ["description", "licenseURL", "readmeURL"] where object[field] != nil && !(object[field] is String) {
            throw BulwarkError.unprocessable("metadata '\(field)' must be a string")
        }
        if let time = object["originalPublicationTime"] {
            guard let s = time as? String, Timestamp.parse(s) != nil else {
                throw BulwarkError.unprocessable("metadata 'originalPublicationTime' must be an ISO 8601 date such as 2024-01-01T00:00:00Z")
            }
        }
        guard let urls = object["repositoryURLs"] else { return [] }
        guard let list = urls as? [String] else { throw BulwarkError.unprocessable("metadata 'repositoryURLs' must be an array of strings") }
        return try list.map { url in
            guard let normalized = RepositoryURL.normalize(url) else {
                throw BulwarkError.unprocessable("metadata 'repositoryURLs' has an invalid URL '\(url)'")
            }
            return normalized
        }
    }
}
