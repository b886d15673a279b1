import Foundation

/// `Package.resolved`, versions 1 to 3.
///
/// Remote source-control pins count under `swift` with their Git URL as location (the host's
/// posture applies); `kind: registry` pins count under `swift` by their `scope.name` identity;
/// local source-control pins are path dependencies and are left out.
struct SwiftResolvedReader: DependencyReader {
    func handles(path: String, fileName: String) -> Bool { fileName == "Package.resolved" }

    func read(_ text: String, file: String) throws -> [Dependency] {
        let root = try Parse.jsonObject(text)
        guard let format = root["version"] as? Int else { throw AuditError("missing \"version\"") }
        let pins: [[String: Any]]
        switch format {
        case 1:
            guard let object = root["object"] as? [String: Any], let list = object["pins"] as? [[String: Any]] else {
                throw AuditError("version 1 file without object.pins")
            }
            pins = list
        case 2, 3:
            guard let list = root["pins"] as? [[String: Any]] else { throw AuditError("version \(format) file without pins") }
            pins = list
        default:
            throw AuditError("unsupported Package.resolved version \(format)")
        }
        return try pins.compactMap { pin in
            let state = pin["state"] as? [String: Any] ?? [:]
            let version = (state["version"] as? String) ?? (state["branch"] as? String) ?? (state["revision"] as? String)
            if format == 1 {
                guard let url = pin["repositoryURL"] as? String else { throw AuditError("a pin has no repositoryURL") }
                let name = (pin["package"] as? String).map { $0.lowercased() } ?? SwiftManifestReader.identity(of: url)
                return Dependency(registry: .swift, name: name, version: version, file: file, location: url)
            }
            guard let kind = pin["kind"] as? String, let location = pin["location"] as? String else {
                throw AuditError("a pin has no kind or location")
            }
            let identity = (pin["identity"] as? String) ?? SwiftManifestReader.identity(of: location)
            switch kind {
            case "remoteSourceControl":
                return Dependency(registry: .swift, name: identity, version: version, file: file, location: location)
            case "registry":
                return Dependency(registry: .swift, name: identity, version: version, file: file)
            case "localSourceControl", "fileSystem":
                return nil
            default:
                throw AuditError("unknown pin kind \"\(kind)\"")
            }
        }
    }
}
