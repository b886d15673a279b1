import Foundation

/// `Podfile.lock`: the `PODS` list, with subspecs (`Firebase/Core`) counted under their root
/// pod. Pods from `EXTERNAL SOURCES` (`:path`, `:git`, `:podspec`) are left out.
struct PodfileLockReader: DependencyReader {
    func handles(path: String, fileName: String) -> Bool { fileName == "Podfile.lock" }

    func read(_ text: String, file: String) throws -> [Dependency] {
        let root = try Parse.yamlMapping(text)
        guard let pods = root["PODS"] as? [Any] else { throw AuditError("no PODS list: not a Podfile.lock") }
        let external = Set((root["EXTERNAL SOURCES"] as? [String: Any] ?? [:]).keys)
        var result: [Dependency] = []
        var seen = Set<String>()
        for item in pods {
            let spec: String
            if let string = item as? String {
                spec = string
            } else if let mapping = item as? [String: Any], let key = mapping.keys.first {
                spec = key
            } else {
                throw AuditError("unexpected entry in PODS")
            }
            guard let open = spec.firstIndex(of: "("), spec.hasSuffix(")") else {
                throw AuditError("expected \"Name (version)\", got \"\(spec)\"")
            }
            let fullName = spec[..<open].trimmingCharacters(in: .whitespaces)
            let name = fullName.split(separator: "/").first.map(String.init) ?? fullName
            let version = String(spec[spec.index(after: open)..<spec.index(before: spec.endIndex)])
            guard !external.contains(name), seen.insert(name).inserted else { continue }
            result.append(Dependency(registry: .cocoapods, name: name, version: version, file: file))
        }
        return result
    }
}
