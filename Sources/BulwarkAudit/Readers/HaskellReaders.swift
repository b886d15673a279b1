import Foundation

/// `cabal.project.freeze`: `constraints: any.name ==version` entries (flag settings and
/// `installed` constraints are left out).
struct CabalFreezeReader: DependencyReader {
    func handles(path: String, fileName: String) -> Bool { fileName.hasSuffix(".freeze") && fileName.hasPrefix("cabal.project") }

    func read(_ text: String, file: String) throws -> [Dependency] {
        var result: [Dependency] = []
        var inConstraints = false
        for (number, raw) in Parse.lines(text, comment: nil).map({ ($0.number, $0.text) }) where !raw.hasPrefix("--") {
            var line = raw
            if line.hasPrefix("constraints:") {
                inConstraints = true
                line = String(line.dropFirst("constraints:".count))
            } else if line.range(of: #"^[a-z-]+:"#, options: .regularExpression) != nil {
                inConstraints = false
                continue
            }
            guard inConstraints else { continue }
            for item in line.split(separator: ",") {
                let constraint = item.trimmingCharacters(in: .whitespaces)
                if constraint.isEmpty { continue }
                let fields = constraint.split(separator: " ", maxSplits: 1).map(String.init)
                var name = fields[0]
                if name.hasPrefix("any.") { name = String(name.dropFirst(4)) }
                guard fields.count == 2 else { throw AuditError("line \(number): cannot read the constraint \"\(constraint)\"") }
                let rest = fields[1].trimmingCharacters(in: .whitespaces)
                guard rest.hasPrefix("==") else { continue }  // flags (+x/-x) and "installed"
                let version = rest.dropFirst(2).trimmingCharacters(in: .whitespaces)
                result.append(Dependency(registry: .hackage, name: name, version: version, file: file))
            }
        }
        guard text.contains("constraints:") else { throw AuditError("no constraints: not a cabal freeze file") }
        return result
    }
}

/// `stack.yaml.lock`: `packages` completed from Hackage (`hackage: name-1.2.3@sha256:…`);
/// git packages and snapshots are left out.
struct StackLockReader: DependencyReader {
    func handles(path: String, fileName: String) -> Bool { fileName == "stack.yaml.lock" }

    func read(_ text: String, file: String) throws -> [Dependency] {
        let root = try Parse.yamlMapping(text)
        guard root["packages"] != nil || root["snapshots"] != nil else {
            throw AuditError("no packages or snapshots: not a stack.yaml.lock")
        }
        let packages = root["packages"] as? [Any] ?? []
        return try packages.compactMap { item in
            let completed = (item as? [String: Any])?["completed"] ?? (item as? [String: Any])?["original"]
            guard let hackage = Parse.string(completed, "hackage") else { return nil }
            let identifier = hackage.split(separator: "@").first.map(String.init) ?? hackage
            guard let dash = identifier.lastIndex(of: "-") else { throw AuditError("cannot read the package \"\(hackage)\"") }
            let version = String(identifier[identifier.index(after: dash)...])
            return Dependency(registry: .hackage, name: String(identifier[..<dash]), version: version, file: file)
        }
    }
}
