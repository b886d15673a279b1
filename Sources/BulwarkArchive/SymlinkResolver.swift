import BulwarkCore

/// Checks that every symbolic link resolves inside the top-level directory the way the file system
/// will resolve it after extraction: component by component from the link's directory, expanding each
/// component that is itself a link in the archive, so that a link cannot escape through another one.
/// `..` in the top-level directory leaves the package. A component the archive doesn't have is followed
/// lexically (on disk the link would dangle, which is harmless either way).
enum SymlinkResolver {
    /// Links expanded while resolving one link, as Linux allows (`ELOOP`).
    static let maxExpansions = 40
    /// Components walked for all links of one archive together, so that links expanding one another
    /// cannot make inspection slow.
    static let maxSteps = 1_000_000

    /// `links` are the tree's nodes of every symbolic link, with the entry names to report.
    static func check(_ links: [(node: Int, name: String)], in tree: ArchiveTree) throws(BulwarkError) {
        var steps = 0
        for link in links {
            try resolve(link.node, named: link.name, in: tree, steps: &steps)
        }
    }

    private static func resolve(_ link: Int, named name: String, in tree: ArchiveTree, steps: inout Int) throws(BulwarkError) {
        let outside = BulwarkError.unprocessable("the symbolic link '\(name)' points outside the package")
        // The directories from the top-level one down to the one holding the link.
        var directories: [Int] = []
        var current = tree.nodes[link].parent
        while current != 0 {
            directories.append(current)
            current = tree.nodes[current].parent
        }
        directories.reverse()
        guard let target = tree.nodes[link].linkTarget, !directories.isEmpty else { throw outside }

        var pending = Array(components(of: target).reversed())
        var missingDepth = 0  // components below the last one the archive has
        var expansions = 0
        while let component = pending.popLast() {
            steps += 1
            guard steps <= maxSteps else {
                throw .unprocessable("the symbolic link '\(name)' is too complex to resolve")
            }
            if component == "." { continue }
            if component == ".." {
                if missingDepth > 0 {
                    missingDepth -= 1
                } else {
                    guard directories.count > 1 else { throw outside }
                    directories.removeLast()
                }
                continue
            }
            guard missingDepth == 0, let directory = directories.last,
                  let child = tree.child(of: directory, named: component)
            else {
                missingDepth += 1
                continue
            }
            guard tree.nodes[child].kind == .symlink else {
                directories.append(child)
                continue
            }
            // A link among the components: continue with its target, from the directory holding it.
            expansions += 1
            guard expansions <= maxExpansions else {
                throw .unprocessable("the symbolic link '\(name)' goes through more than \(maxExpansions) symbolic links")
            }
            guard let next = tree.nodes[child].linkTarget, !next.hasPrefix("/") else { throw outside }
            pending.append(contentsOf: components(of: next).reversed())
        }
    }

    private static func components(of target: String) -> [Substring] {
        target.split(separator: "/", omittingEmptySubsequences: true)
    }
}
