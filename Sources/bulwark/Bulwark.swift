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
}
