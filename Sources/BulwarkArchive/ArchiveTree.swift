import BulwarkCore

/// The archive's entries as a directory tree whose names compare as on a case-insensitive file
/// system: lowercased, then by Unicode canonical equivalence (which is how `String` compares). Adding
/// an entry refuses one that would collide with another when extracted: the same name twice, names
/// differing only in case, and an entry inside a file or a symbolic link (extracting it would write
/// through the link or fail).
struct ArchiveTree {
    struct Node {
        /// The node's name as the first entry through it spelled it.
        let component: String
        let parent: Int
        var children: [String: Int] = [:]
        /// Directories implied by deeper entries have no entry of their own.
        var hasEntry = false
        var kind: ZipEntryRecord.Kind = .directory
        /// For a symbolic link, its target once read.
        var linkTarget: String?
    }

    /// Node 0 stands above the top-level directory.
    private(set) var nodes: [Node] = [Node(component: "", parent: 0)]

    /// Adds the entry `name`, already split into safe `components`, and returns its node.
    mutating func add(name: String, components: [Substring], kind: ZipEntryRecord.Kind) throws(BulwarkError) -> Int {
        var node = 0
        for (depth, component) in components.enumerated() {
            let isLast = depth == components.count - 1
            guard nodes[node].kind == .directory else {
                throw .unprocessable("the source archive has the entry '\(name)' inside '\(path(of: node))', which is not a directory")
            }
            let key = component.lowercased()
            guard let child = nodes[node].children[key] else {
                nodes.append(Node(component: String(component), parent: node, hasEntry: isLast, kind: isLast ? kind : .directory))
                nodes[node].children[key] = nodes.count - 1
                node = nodes.count - 1
                continue
            }
            if nodes[child].component != String(component) {
                let existing = path(of: child)
                let spelled = components[...depth].joined(separator: "/")
                throw .unprocessable("the source archive has the names '\(existing)' and '\(spelled)', which differ only in case")
            }
            if isLast {
                guard !nodes[child].hasEntry else {
                    throw .unprocessable("the source archive has the entry '\(name)' more than once")
                }
                guard kind == .directory else {
                    throw .unprocessable("the source archive has entries inside '\(name)', which is not a directory")
                }
                nodes[child].hasEntry = true
            }
            node = child
        }
        return node
    }

    mutating func setLinkTarget(_ target: String, of node: Int) {
        nodes[node].linkTarget = target
    }

    /// The node's path, spelled as the entries spell it.
    func path(of node: Int) -> String {
        var components: [String] = []
        var current = node
        while current != 0 {
            components.append(nodes[current].component)
            current = nodes[current].parent
        }
        return components.reversed().joined(separator: "/")
    }

    /// The child of `node` named `component` as a case-insensitive file system would find it.
    func child(of node: Int, named component: Substring) -> Int? {
        nodes[node].children[component.lowercased()]
    }
}
