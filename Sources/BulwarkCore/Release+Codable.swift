import Foundation

// Stable, simple JSON encodings (staged releases are stored as JSON): identifiers and versions as
// strings, bytes as base64, dates as seconds since 1970.

extension PackageIdentifier: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let string = try container.decode(String.self)
        do { try self.init(string) } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "\(error)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension SemanticVersion: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let string = try container.decode(String.self)
        do { try self.init(string) } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "\(error)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

private func decodeBase64<K: CodingKey>(_ container: KeyedDecodingContainer<K>, _ key: K) throws -> [UInt8] {
    let string = try container.decode(String.self, forKey: key)
    guard let data = Data(base64Encoded: string) else {
        throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "not base64")
    }
    return [UInt8](data)
}

extension ReleaseManifest: Codable {
    enum CodingKeys: String, CodingKey { case filename, toolsVersion, bytes }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            filename: try c.decode(String.self, forKey: .filename), toolsVersion: try c.decodeIfPresent(String.self, forKey: .toolsVersion),
            bytes: try decodeBase64(c, .bytes)
        )
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(filename, forKey: .filename)
        try c.encodeIfPresent(toolsVersion, forKey: .toolsVersion)
        try c.encode(Data(bytes).base64EncodedString(), forKey: .bytes)
    }
}

extension ReleaseSignature: Codable {
    enum CodingKeys: String, CodingKey { case format, bytes }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(format: try c.decode(String.self, forKey: .format), bytes: try decodeBase64(c, .bytes))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(format, forKey: .format)
        try c.encode(Data(bytes).base64EncodedString(), forKey: .bytes)
    }
}

extension Release: Codable {
    enum CodingKeys: String, CodingKey {
        case package, version, checksum, archiveSize, metadata, archiveSignature, metadataSignature, manifests, repositoryURLs
        case publishedAt, publisher
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let metadata = try c.decodeIfPresent(String.self, forKey: .metadata) != nil ? try decodeBase64(c, .metadata) : nil
        self.init(
            package: try c.decode(PackageIdentifier.self, forKey: .package),
            version: try c.decode(SemanticVersion.self, forKey: .version),
            checksum: try c.decode(String.self, forKey: .checksum),
            archiveSize: try c.decode(Int64.self, forKey: .archiveSize),
            metadata: metadata,
            archiveSignature: try c.decodeIfPresent(ReleaseSignature.self, forKey: .archiveSignature),
            metadataSignature: try c.decodeIfPresent(ReleaseSignature.self, forKey: .metadataSignature),
            manifests: try c.decode([ReleaseManifest].self, forKey: .manifests),
            repositoryURLs: try c.decode([String].self, forKey: .repositoryURLs),
            publishedAt: Date(timeIntervalSince1970: try c.decode(Double.self, forKey: .publishedAt)),
            publisher: try c.decode(String.self, forKey: .publisher)
        )
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(package, forKey: .package)
        try c.encode(version, forKey: .version)
        try c.encode(checksum, forKey: .checksum)
        try c.encode(archiveSize, forKey: .archiveSize)
        try c.encodeIfPresent(metadata.map { Data($0).base64EncodedString() }, forKey: .metadata)
        try c.encodeIfPresent(archiveSignature, forKey: .archiveSignature)
        try c.encodeIfPresent(metadataSignature, forKey: .metadataSignature)
        try c.encode(manifests, forKey: .manifests)
        try c.encode(repositoryURLs, forKey: .repositoryURLs)
        try c.encode(publishedAt.timeIntervalSince1970, forKey: .publishedAt)
        try c.encode(publisher, forKey: .publisher)
    }
}
