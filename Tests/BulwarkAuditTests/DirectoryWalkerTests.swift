import BulwarkAudit
import Foundation
import Testing

/// The walker skips caches and VCS data, survives symlink loops, and the audit refuses huge files.
@Suite struct DirectoryWalkerTests {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("audit-walk-\(UUID())")

    func write(_ path: String, _ text: String) throws {
        let url = root.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    @Test func skipsDependencyCachesAndSymlinkLoops() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        try write("app/Gemfile.lock", "GEM\n  remote: https://rubygems.org/\n  specs:\n    rack (3.0.8)\n")
        try write("node_modules/left-pad/package-lock.json", "{}")
        try write(".git/config", "")
        try write(".build/checkouts/x/Package.resolved", "{}")
        try write("vendor/bundle/Gemfile.lock", "")
        try write("Pods/Manifest.lock", "")
        // app/loop -> .. (a cycle) and app/self -> app.
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("app/loop").path, withDestinationPath: "..")
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("app/self").path, withDestinationPath: ".")
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("dangling").path, withDestinationPath: "nowhere")
        let files = DirectoryWalker().files(under: root)
        #expect(files == ["app/Gemfile.lock"])
        let report = try Audit.run(root: root, data: Fixtures.data)
        #expect(report.total == 1 && report.errors.isEmpty)
    }

    @Test func aHugeFileIsAnErrorNotAReadAndASingleFileCanBeAudited() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        try write("big/requirements.txt", "")
        let handle = try FileHandle(forWritingTo: root.appendingPathComponent("big/requirements.txt"))
        try handle.truncate(atOffset: UInt64(Audit.maximumFileSize + 1))
        try handle.close()
        try write("small/Cargo.lock", "version = 3\n\n[[package]]\nname = \"serde\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n")
        let report = try Audit.run(root: root, data: Fixtures.data)
        #expect(report.errors.map(\.file) == ["big/requirements.txt"])
        #expect(report.errors.first?.message.contains("larger than") == true)
        #expect(report.total == 1)
        let single = try Audit.run(root: root.appendingPathComponent("small/Cargo.lock"), data: Fixtures.data)
        #expect(single.dependencies.map(\.dependency.name) == ["serde"])
        #expect(single.dependencies.first?.dependency.file == "Cargo.lock")
        let workflow = try Audit.run(root: Fixtures.url("project/.github/workflows/ci.yml"), data: Fixtures.data)
        #expect(workflow.total == 6 && workflow.dependencies.first?.dependency.file == ".github/workflows/ci.yml")
        try write("notes.txt", "hello")
        #expect(throws: AuditError.self) { try Audit.run(root: root.appendingPathComponent("notes.txt"), data: Fixtures.data) }
    }

    @Test func binaryContentIsAnError() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try Data([0xFF, 0xFE, 0x00, 0xC3, 0x28]).write(to: root.appendingPathComponent("go.mod"))
        let report = try Audit.run(root: root, data: Fixtures.data)
        #expect(report.errors.count == 1 && report.total == 0)
    }
}
