import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A parsed XML element: name without namespace prefix, attributes, child elements and text.
final class XMLNode {
    let name: String
    let attributes: [String: String]
    var elements: [XMLNode] = []
    var text = ""

    init(name: String, attributes: [String: String]) {
        self.name = name.split(separator: ":").last.map(String.init) ?? name
        self.attributes = attributes
    }

    /// Child elements with this name.
    func children(named name: String) -> [XMLNode] { elements.filter { $0.name == name } }

    /// All descendant elements with this name.
    func descendants(named name: String) -> [XMLNode] {
        elements.flatMap { ($0.name == name ? [$0] : []) + $0.descendants(named: name) }
    }

    /// Trimmed text of the first child with this name.
    func text(of name: String) -> String? {
        children(named: name).first?.text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// An attribute's value, case-insensitively by name.
    func attributeValue(_ name: String) -> String? {
        attributes.first { $0.key.lowercased() == name.lowercased() }?.value
    }
}

/// Builds an ``XMLNode`` tree with `XMLParser`, which stops at the first error (no recovery).
final class XMLTreeBuilder: NSObject, XMLParserDelegate {
    private(set) var stack: [XMLNode] = []
    private(set) var root: XMLNode?

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName qName: String?,
        attributes attributeDict: [String: String] = [:]
    ) {
        let node = XMLNode(name: elementName, attributes: attributeDict)
        if let parent = stack.last { parent.elements.append(node) } else if root == nil { root = node }
        stack.append(node)
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        _ = stack.popLast()
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        stack.last?.text += string
    }
}

extension Parse {
    /// An XML document's root element.
    static func xml(_ text: String) throws -> XMLNode {
        let parser = XMLParser(data: Data(try XMLPrecheck.prepare(text)))  // no <?name?>, no <!DOCTYPE
        let builder = XMLTreeBuilder()
        parser.delegate = builder
        parser.shouldResolveExternalEntities = false
        guard parser.parse(), let root = builder.root else {
            let line = parser.lineNumber
            let reason = parser.parserError.map { describe($0) } ?? "not well-formed"
            throw AuditError("invalid XML at line \(line): \(firstLine(of: reason))")
        }
        if let open = builder.stack.last {
            throw AuditError("invalid XML: <\(open.name)> is not closed at the end of the file")
        }
        return root
    }
}

/// `pom.xml`: `<dependency>` (including dependency management and profiles) and `<plugin>`
/// elements. `${property}` versions are resolved from `<properties>`; `system`-scope
/// dependencies are local files and are left out.
struct PomReader: DependencyReader {
    func handles(path: String, fileName: String) -> Bool { fileName == "pom.xml" }

    func read(_ text: String, file: String) throws -> [Dependency] {
        let root = try Parse.xml(text)
        guard root.name == "project" else { throw AuditError("the root element is not <project>") }
        var properties: [String: String] = [:]
        for element in root.children(named: "properties").flatMap(\.elements) {
            properties[element.name] = element.text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        properties["project.version"] = root.text(of: "version")
        func resolve(_ value: String?) -> String? {
            guard var value else { return nil }
            for (name, replacement) in properties { value = value.replacingOccurrences(of: "${\(name)}", with: replacement) }
            return value
        }
        var result: [Dependency] = []
        for element in root.descendants(named: "dependency") + root.descendants(named: "plugin") {
            guard let artifact = element.text(of: "artifactId") else { continue }
            let group = element.text(of: "groupId") ?? (element.name == "plugin" ? "org.apache.maven.plugins" : nil)
            guard let group, element.text(of: "scope") != "system" else { continue }
            let name = "\(resolve(group) ?? group):\(artifact)"
            result.append(Dependency(registry: .maven, name: name, version: resolve(element.text(of: "version")), file: file))
        }
        return result
    }
}

/// `*.csproj`, `*.fsproj`, `*.vbproj` (when there is no `packages.lock.json` beside them):
/// `<PackageReference Include="…" Version="…"/>`; and central package management's
/// `Directory.Packages.props`: `<PackageVersion Include="…" Version="…"/>`.
struct ProjectFileReader: DependencyReader {
    func handles(path: String, fileName: String) -> Bool {
        fileName.hasSuffix(".csproj") || fileName.hasSuffix(".fsproj") || fileName.hasSuffix(".vbproj")
            || fileName == "Directory.Packages.props"
    }
    var supersededBy: [String] { ["packages.lock.json"] }

    func read(_ text: String, file: String) throws -> [Dependency] {
        let root = try Parse.xml(text)
        guard root.name == "Project" else { throw AuditError("the root element is not <Project>") }
        let elements = root.descendants(named: "PackageReference") + root.descendants(named: "PackageVersion")
        return elements.compactMap { element in
            guard let name = element.attributeValue("Include") ?? element.attributeValue("Update") else { return nil }
            let version = element.attributeValue("Version") ?? element.text(of: "Version")
            return Dependency(registry: .nuget, name: name, version: version, file: file)
        }
    }
}

/// `packages.config`: `<package id="…" version="…"/>`.
struct PackagesConfigReader: DependencyReader {
    func handles(path: String, fileName: String) -> Bool { fileName == "packages.config" }

    func read(_ text: String, file: String) throws -> [Dependency] {
        let root = try Parse.xml(text)
        guard root.name == "packages" else { throw AuditError("the root element is not <packages>") }
        return try root.children(named: "package").map { element in
            guard let id = element.attributeValue("id") else { throw AuditError("a <package> has no id") }
            return Dependency(registry: .nuget, name: id, version: element.attributeValue("version"), file: file)
        }
    }
}
