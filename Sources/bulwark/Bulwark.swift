import ArgumentParser

@main
struct Bulwark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bulwark",
        abstract: "A package registry where every publish is protected by a second factor.",
        subcommands: [Serve.self, Admin.self, AuditCommand.self]
    )
}

/// Options every command that touches the registry's data shares.
struct StorageOptions: ParsableArguments {
    @Option(help: "Directory for the embedded database and archives.")
    var dataDir: String = ".bulwark"
    /// PostgreSQL instead of the embedded SQLite database (DatabaseOptions.swift).
    @Option(help: ArgumentHelp(
        "PostgreSQL database, postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=require|disable&schema=S&pool_max=N&connect_timeout=S] (or BULWARK_DATABASE_URL); archives stay in DATA-DIR/blobs unless --s3-endpoint.",
        valueName: "url"
    ))
    var databaseURL: String?
    /// `--s3-*`: archives in an S3-compatible bucket (S3Options.swift).
    @OptionGroup var s3: S3Options
}
