import Foundation

/// `bulwark audit`: which registries a project depends on, and how they protect publishing.
public enum Audit {
    /// Largest dependency file read; bigger ones are reported as errors.
    public static let maximumFileSize = 32 * 1024 * 1024

    /// Every reader, most valuable ecosystems first.
    public static let readers: [any DependencyReader] = [
        SwiftResolvedReader(), SwiftManifestReader(),
        NPMLockReader(), YarnLockReader(), PNPMLockReader(),
        RequirementsReader(), PoetryLockReader(), PipfileLockReader(), UVLockReader(), PylockReader(),
        CargoLockReader(),
        GoModReader(), GoSumReader(),
        GemfileLockReader(),
        ComposerLockReader(),
        PomReader(), GradleLockReader(),
        NuGetLockReader(), ProjectFileReader(), PackagesConfigReader(),
        PodfileLockReader(),
        WorkflowReader(),
        DockerfileReader(), ComposeReader(),
        MixLockReader(),
        RenvLockReader(), DescriptionReader(),
        DepsEdnReader(), ProjectCljReader(),
        CondaEnvironmentReader(), CondaLockReader(),
        CabalFreezeReader(), StackLockReader(),
        JuliaManifestReader(),
        SpackLockReader(), SpackYamlReader(),
        BrewfileReader(),
    ]

    /// Audits the directory at `root` (or the single dependency file `root`): reads every
    /// dependency file under it and pairs each dependency with its registry's 2FA status.
    ///
    /// A dependency that several files name (the same registry, name and version) is counted
    /// once, under the first file in path order; one named only by a version range or without a
    /// version is left out when the same package is pinned somewhere. Files that cannot be read
    /// become ``FileError``s.
    public static func run(
        root: URL, data: RegistryData, progress: (@Sendable (Int, Int) -> Void)? = nil
    ) throws -> AuditReport {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isDirectory) else {
            throw AuditError("no such file or directory: \(root.path)")
        }
        var base = root
        var paths: [String]
        if isDirectory.boolValue {
            paths = DirectoryWalker().files(under: root)
        } else {
            // A single file: keep enough of its path for readers that look at folders
            // (`.github/workflows/ci.yml`, `requirements/dev.txt`).
            let components = root.standardizedFileURL.pathComponents
            guard let length = (1...min(3, components.count - 1)).first(where: { length in
                reader(for: components.suffix(length).joined(separator: "/")) != nil
            }) else {
                throw AuditError("not a dependency file bulwark audit reads: \(root.path)")
            }
            paths = [components.suffix(length).joined(separator: "/")]
            base = root.standardizedFileURL
            for _ in 0..<length { base = base.deletingLastPathComponent() }
        }
        let present = Set(paths)
        var dependencies: [Dependency] = []
        var errors: [FileError] = []
        var seen = Set<String>()
        let matching = paths.compactMap { path -> (String, any DependencyReader)? in
            guard let reader = reader(for: path) else { return nil }
            let directory = (path as NSString).deletingLastPathComponent
            let isSuperseded = reader.supersededBy.contains { sibling in
                present.contains(directory.isEmpty ? sibling : directory + "/" + sibling)
            }
            return isSuperseded ? nil : (path, reader)
        }
        for (index, (path, reader)) in matching.enumerated() {
            progress?(index + 1, matching.count)
            do {
                let text = try readText(base.appendingPathComponent(path))
                for dependency in try reader.read(text, file: path) {
                    let key = "\(dependency.registry.rawValue)\u{0}\(dependency.name.lowercased())\u{0}\(dependency.version ?? "")"
                    if seen.insert(key).inserted { dependencies.append(dependency) }
                }
            } catch let error as AuditError {
                errors.append(FileError(file: path, message: error.description))
            } catch {
                errors.append(FileError(file: path, message: "\(error)"))
            }
        }
        return AuditReport(dependencies: droppingRedundantConstraints(dependencies), errors: errors, data: data)
    }

    /// The reader for a file, by its path relative to the audited directory.
    public static func reader(for relativePath: String) -> (any DependencyReader)? {
        let fileName = (relativePath as NSString).lastPathComponent
        return readers.first { $0.handles(path: relativePath, fileName: fileName) }
    }

    /// Reads one file (`relativePath` under `root`) with its reader, without the de-duplication
    /// of a whole audit. Throws when no reader handles the file or it cannot be read.
    public static func readFile(_ relativePath: String, in root: URL) throws -> [Dependency] {
        guard let reader = reader(for: relativePath) else { throw AuditError("no reader for \(relativePath)") }
        return try reader.read(readText(root.appendingPathComponent(relativePath)), file: relativePath)
    }

    /// Drops a dependency without a version, or with only a range (`>= 1.1.0`, `^2.0`), when the
    /// same package is also found with a concrete version: a manifest next to a lockfile elsewhere.
    static func droppingRedundantConstraints(_ dependencies: [Dependency]) -> [Dependency] {
        func isConstraint(_ version: String?) -> Bool {
            guard let first = version?.first else { return true }
            return "<>=~^!*".contains(first)
        }
        let pinned = Set(dependencies.filter { !isConstraint($0.version) }.map { "\($0.registry.rawValue)\u{0}\($0.name.lowercased())" })
        var seenConstraints = Set<String>()
        return dependencies.filter { dependency in
            guard isConstraint(dependency.version) else { return true }
            let key = "\(dependency.registry.rawValue)\u{0}\(dependency.name.lowercased())"
            return !pinned.contains(key) && seenConstraints.insert(key).inserted
        }
    }

    static func readText(_ url: URL) throws -> String {
        let attributes = try? FileManager.default.attributesOfItem(atPath: url.path)
        if let size = attributes?[.size] as? NSNumber, size.intValue > maximumFileSize {
            throw AuditError("file is larger than \(maximumFileSize / 1024 / 1024) MiB; skipped")
        }
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw AuditError("cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw AuditError("not UTF-8 text")
        }
        return text
    }
}
