import Foundation
import Logging
import Synchronization

/// The server's log handler: one line per message, in swift-log's `StreamLogHandler` layout
/// (`2026-12-03T17:18:18+0000 info bulwark : request_id=… route=/healthz [BulwarkServer] request`).
///
/// Unlike `StreamLogHandler`, which formats its whole metadata into a string every time a key is set,
/// this one formats only when a line is written. Every request sets two keys (Hummingbird's
/// `hb.request.id` and Bulwark's `request_id`) and usually logs nothing at the default level: that
/// formatting was about 7 % of the server's CPU on a request that does nothing (`/healthz`).
public struct LineLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level = .info
    private let label: String
    private let sink: @Sendable (String) -> Void

    /// Writes to standard output (as `StreamLogHandler.standardOutput` does).
    public init(label: String, metadataProvider: Logger.MetadataProvider? = nil) {
        self.init(label: label, metadataProvider: metadataProvider, sink: LineLogHandler.standardOutput)
    }

    /// Writes each line (with its newline) to `sink`.
    public init(label: String, metadataProvider: Logger.MetadataProvider? = nil, sink: @escaping @Sendable (String) -> Void) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get(), !provided.isEmpty { merged.merge(provided) { _, new in new } }
        if let explicit = event.metadata, !explicit.isEmpty { merged.merge(explicit) { _, new in new } }
        if let error = event.error {
            merged["error.message"] = "\(error)"
            merged["error.type"] = "\(String(reflecting: type(of: error)))"
        }
        let fields = merged.isEmpty ? "" : " " + merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        sink("\(Self.timestamp()) \(event.level) \(label) :\(fields) [\(event.source)] \(event.message)\n")
    }

    /// Local time, `%Y-%m-%dT%H:%M:%S%z`.
    static func timestamp() -> String {
        var now = time(nil)
        var local = tm()
        localtime_r(&now, &local)
        var buffer = [CChar](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &local)
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static let outputLock = Mutex(())

    @Sendable static func standardOutput(_ line: String) {
        var bytes = Array(line.utf8)
        outputLock.withLock { _ in
            bytes.withUnsafeMutableBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let written = write(STDOUT_FILENO, buffer.baseAddress! + offset, buffer.count - offset)
                    if written > 0 {
                        offset += written
                    } else if written < 0, errno == EINTR {
                        continue
                    } else {
                        return  // nowhere to log a failure to log
                    }
                }
            }
        }
    }
}
