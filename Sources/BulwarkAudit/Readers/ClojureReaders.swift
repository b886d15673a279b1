import Foundation

/// Where a Clojure coordinate is published: Clojure's own libraries and well-known Java groups
/// are on Maven Central, everything else is taken to be on Clojars (both are default repositories).
enum ClojureCoordinates {
    static let mavenCentralGroups = [
        "org.clojure", "com.google.", "org.apache.", "com.fasterxml.", "io.netty", "org.slf4j", "javax.", "jakarta.",
        "org.jetbrains", "com.cognitect.aws", "ch.qos.logback", "org.postgresql", "com.h2database", "org.eclipse.",
    ]

    static func dependency(symbol: String, version: String?, file: String) -> Dependency? {
        let parts = symbol.split(separator: "/", maxSplits: 1).map(String.init)
        guard !parts.isEmpty else { return nil }
        var group = parts[0]
        var artifact = parts.count > 1 ? parts[1] : parts[0]
        if let dollar = artifact.firstIndex(of: "$") { artifact = String(artifact[..<dollar]) }  // classifier
        if parts.count == 1 { group = artifact }
        let onCentral = mavenCentralGroups.contains { prefix in
            group == prefix || (prefix.hasSuffix(".") && group.hasPrefix(prefix)) || group.hasPrefix(prefix + ".")
        }
        // Maven Central names are `group:artifact`, as in pom.xml; Clojars keeps Clojure's `group/artifact`.
        return onCentral
            ? Dependency(registry: .maven, name: "\(group):\(artifact)", version: version, file: file)
            : Dependency(registry: .clojars, name: "\(group)/\(artifact)", version: version, file: file)
    }
}

/// `deps.edn`: `:deps` and the `:extra-deps`/`:replace-deps` of aliases, with `:mvn/version`.
/// `:git/url`, `:git/sha` and `:local/root` coordinates are left out.
struct DepsEdnReader: DependencyReader {
    func handles(path: String, fileName: String) -> Bool { fileName == "deps.edn" }

    func read(_ text: String, file: String) throws -> [Dependency] {
        guard let root = try EDN.parse(text).first, case .map = root else { throw AuditError("the top level is not a map") }
        var result: [Dependency] = []
        func collect(_ deps: EDN?) {
            guard case .map(let pairs)? = deps else { return }
            for (key, coordinate) in pairs {
                guard let symbol = key.text, let version = coordinate[":mvn/version"]?.text else { continue }
                result += ClojureCoordinates.dependency(symbol: symbol, version: version, file: file).map { [$0] } ?? []
            }
        }
        collect(root[":deps"])
        if case .map(let aliases)? = root[":aliases"] {
            for (_, alias) in aliases {
                collect(alias[":extra-deps"])
                collect(alias[":replace-deps"])
                collect(alias[":deps"])
            }
        }
        return result
    }
}

/// Leiningen `project.clj`: every `:dependencies`, `:managed-dependencies` and `:plugins`
/// vector, including those in profiles.
struct ProjectCljReader: DependencyReader {
    func handles(path: String, fileName: String) -> Bool { fileName == "project.clj" }

    func read(_ text: String, file: String) throws -> [Dependency] {
        let forms = try EDN.parse(text)
        guard let project = forms.first(where: {
            if case .list(let items) = $0, items.first?.text == "defproject" { return true }
            return false
        }), case .list(let items) = project else { throw AuditError("no (defproject …) form") }
        var result: [Dependency] = []
        func visit(_ list: [EDN]) {
            var index = 0
            while index < list.count {
                if let key = list[index].text, [":dependencies", ":managed-dependencies", ":plugins"].contains(key),
                    index + 1 < list.count, case .list(let vectors) = list[index + 1]
                {
                    for vector in vectors {
                        guard case .list(let coordinate) = vector, let symbol = coordinate.first?.text else { continue }
                        let version = coordinate.count > 1 ? coordinate[1].text : nil
                        result += ClojureCoordinates.dependency(symbol: symbol, version: version, file: file).map { [$0] } ?? []
                    }
                    index += 2
                    continue
                }
                visitNested(list[index])
                index += 1
            }
        }
        func visitNested(_ form: EDN) {
            switch form {
            case .map(let pairs): visit(pairs.flatMap { [$0.0, $0.1] })
            case .list(let nested): visit(nested)
            default: break
            }
        }
        visit(Array(items.dropFirst(3)))
        return result
    }
}
