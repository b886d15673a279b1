import ArgumentParser
import BulwarkCore
import BulwarkStorage
import Foundation

/// `bulwark admin backup DIR`: a consistent copy of a data directory, safe while the server runs.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the database (VACUUM INTO) and archives (hard links where possible) into a new directory, while the server runs."
    )

    @Argument(help: "Directory to create (it must not exist or be empty).") var directory: String
    @Option(help: "The registry's data directory.") var dataDir: String = ".bulwark"

    func run() async throws {
        let started = Date()
        let summary = try fail {
            try DataDirectoryBackup.backup(dataDirectory: URL(fileURLWithPath: dataDir), to: URL(fileURLWithPath: directory))
        }
        print(
            "backed up \(summary.releases) release(s), \(summary.blobs) archive(s) (\(summary.linkedBlobs) hard-linked), \(summary.bytes) bytes to \(directory) in \(String(format: "%.1f", Date().timeIntervalSince(started))) s"
        )
    }
}

/// `bulwark admin restore DIR --data-dir D`: checks a backup and restores it into an empty directory.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Check a backup (database integrity, every archive's SHA-256) and restore it into a new or empty data directory."
    )

    @Argument(help: "A directory made by `bulwark admin backup`.") var directory: String
    @Option(help: "The data directory to restore into (new or empty).") var dataDir: String

    func run() async throws {
        let summary = try fail {
            try DataDirectoryBackup.restore(from: URL(fileURLWithPath: directory), to: URL(fileURLWithPath: dataDir))
        }
        print("restored \(summary.releases) release(s), \(summary.blobs) archive(s) into \(dataDir); start it with `bulwark serve --data-dir \(dataDir)`")
    }
}
