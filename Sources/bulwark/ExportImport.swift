import ArgumentParser
import BulwarkCore
import BulwarkStorage
import Foundation
import Logging

/// `bulwark admin export DIR`: every durable row and every archive of the registry the storage
/// options select, as files (format in ``RegistryExport``). With `import`, this moves a registry
/// from the embedded default to PostgreSQL + S3 (or back) with every release byte-identical.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the registry (database rows and archives) into a new directory.",
        discussion: "TOTP seeds stay sealed with the registry's secret key: run the new deployment with the same --secret-key-file. Sessions, challenges and throttling counters are not exported."
    )

    @Argument(help: "A directory that doesn't exist yet (or is empty).") var directory: String
    @OptionGroup var storage: StorageOptions

    func run() async throws {
        var logger = Logger(label: "bulwark.export")
        logger.logLevel = .warning
        let stores = try await storage.open(logger: logger, migrate: false)
        guard let database = stores.releases as? any TableDumping else {
            FileHandle.standardError.write(Data("error: this storage can't be exported\n".utf8))
            throw ExitCode.failure
        }
        let summary = try await failAsync {
            try await RegistryExport.export(from: database, blobs: stores.blobs, to: URL(fileURLWithPath: directory))
        }
        print("exported \(summary.rows) rows in \(summary.tables) tables and \(summary.blobs) archives to \(directory)")
    }
}

/// `bulwark admin import DIR`: loads an export into the (empty) registry the storage options select.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Load an export into an empty registry (migrations are applied first).",
        discussion: "Archives are checked against their checksums and stored first; then every table is loaded in one transaction, so a failed import leaves the database empty."
    )

    @Argument(help: "A directory written by `bulwark admin export`.") var directory: String
    @OptionGroup var storage: StorageOptions

    func run() async throws {
        var logger = Logger(label: "bulwark.import")
        logger.logLevel = .warning
        let stores = try await storage.open(logger: logger, migrate: true)
        guard let database = stores.releases as? any TableDumping else {
            FileHandle.standardError.write(Data("error: this storage can't be imported into\n".utf8))
            throw ExitCode.failure
        }
        let summary = try await failAsync {
            try await RegistryExport.import(from: URL(fileURLWithPath: directory), into: database, blobs: stores.blobs)
        }
        print("imported \(summary.rows) rows in \(summary.tables) tables and \(summary.blobs) archives from \(directory)")
    }
}
