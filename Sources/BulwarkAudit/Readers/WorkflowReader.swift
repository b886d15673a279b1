import Foundation

/// GitHub Actions workflows (`.github/workflows/*.yml`): `uses:` of steps and of reusable
/// workflow jobs, counted as `owner/repo` at the ref. Local actions (`./…`) are left out;
/// `docker://image` counts under Docker Hub when the image is on Docker Hub.
struct WorkflowReader: DependencyReader {
    func handles(path: String, fileName: String) -> Bool {
        path.contains(".github/workflows/") && (fileName.hasSuffix(".yml") || fileName.hasSuffix(".yaml"))
    }

    func read(_ text: String, file: String) throws -> [Dependency] {
        let root = try Parse.yamlMapping(text)
        guard let jobs = root["jobs"] as? [String: Any] else { throw AuditError("no jobs: not a workflow") }
        var uses: [String] = []
        for name in jobs.keys.sorted() {
            guard let job = jobs[name] as? [String: Any] else { throw AuditError("job \(name) is not a mapping") }
            if let reference = job["uses"] as? String { uses.append(reference) }
            for step in job["steps"] as? [Any] ?? [] {
                if let reference = Parse.string(step, "uses") { uses.append(reference) }
            }
            if let container = job["container"] as? String { uses.append("docker://" + container) }
            if let image = Parse.string(job["container"], "image") { uses.append("docker://" + image) }
            for service in (job["services"] as? [String: Any] ?? [:]).values {
                if let image = Parse.string(service, "image") { uses.append("docker://" + image) }
            }
        }
        return uses.compactMap { reference in
            if reference.hasPrefix("./") || reference.hasPrefix(".\\") { return nil }
            if reference.hasPrefix("docker://") { return DockerfileReader.dependency(image: String(reference.dropFirst(9)), file: file) }
            let parts = reference.split(separator: "@", maxSplits: 1)
            guard let repository = parts.first else { return nil }
            let path = repository.split(separator: "/")
            guard path.count >= 2 else { return nil }
            let ref = parts.count > 1 ? String(parts[1]) : nil
            return Dependency(registry: .githubActions, name: "\(path[0])/\(path[1])", version: ref, file: file)
        }
    }
}
