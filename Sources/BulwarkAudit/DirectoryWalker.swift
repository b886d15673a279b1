import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Lists the files under a directory, skipping dependency caches, build output and VCS data.
///
/// Symbolic links are followed, but every directory is entered at most once (by its real
/// path), so link loops end. Depth and the number of files are bounded.
public struct DirectoryWalker: Sendable {
    /// Directory names never entered.
    public static let skippedDirectories: Set<String> = [
        ".git", ".hg", ".svn", "node_modules", "bower_components", ".build", ".swiftpm", "vendor", "Pods",
        "Carthage", "DerivedData", ".gradle", ".venv", "venv", ".tox", "__pycache__", ".mypy_cache",
        ".pytest_cache", ".yarn", ".pnpm-store", "_build", "deps", ".stack-work", "dist-newstyle",
        "target", ".terraform", ".idea", ".cache",
    ]

    /// Deepest directory level entered.
    public var maximumDepth = 64
    /// Most files listed.
    public var maximumFiles = 200_000

    /// Creates a walker.
    public init() {}

    /// Relative paths (`/`-separated, sorted) of the regular files under `root`.
    public func files(under root: URL) -> [String] {
        var visited = Set<String>()
        var result: [String] = []
        walk(root.path, relative: "", depth: 0, visited: &visited, result: &result)
        return result.sorted()
    }

    private func walk(_ path: String, relative: String, depth: Int, visited: inout Set<String>, result: inout [String]) {
        guard depth <= maximumDepth, result.count < maximumFiles else { return }
        guard let real = realPath(path), visited.insert(real).inserted else { return }
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return }
        for name in names.sorted() {
            let child = path + "/" + name
            let childRelative = relative.isEmpty ? name : relative + "/" + name
            var info = stat()
            guard stat(child, &info) == 0 else { continue }  // dangling link
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                if Self.skippedDirectories.contains(name) { continue }
                walk(child, relative: childRelative, depth: depth + 1, visited: &visited, result: &result)
            case S_IFREG:
                if result.count < maximumFiles { result.append(childRelative) }
            default:
                continue
            }
        }
    }

    private func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
