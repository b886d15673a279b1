import BulwarkAudit
import Foundation

/// The copied `Fixtures` folder.
enum Fixtures {
    static var root: URL {
        get throws {
            guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
                throw AuditError("the Fixtures resource is missing")
            }
            return url
        }
    }

    static func url(_ relativePath: String) throws -> URL { try root.appendingPathComponent(relativePath) }

    static let data: RegistryData = try! RegistryData.bundled()

    /// Audits one fixture file or directory.
    static func audit(_ relativePath: String) throws -> AuditReport {
        try Audit.run(root: url(relativePath), data: data)
    }
}
