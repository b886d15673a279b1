import Logging
import Synchronization
import Testing

@testable import BulwarkServer

/// The server's log handler: `StreamLogHandler`'s line layout, metadata sorted and merged (handler,
/// provider, call, error), the level respected; setting metadata formats nothing.
@Suite struct LineLogHandlerTests {
    final class Lines: Sendable {
        private let lines = Mutex<[String]>([])
        var all: [String] { lines.withLock { $0 } }
        var sink: @Sendable (String) -> Void { { line in self.lines.withLock { $0.append(line) } } }
    }

    struct Failure: Error, CustomStringConvertible { var description: String { "disk full" } }

    @Test func aLineHasTheStreamLayoutWithSortedMergedMetadata() throws {
        let lines = Lines()
        let provider = Logger.MetadataProvider { ["provided": "p"] }
        var logger = Logger(label: "bulwark") { label in LineLogHandler(label: label, metadataProvider: provider, sink: lines.sink) }
        logger[metadataKey: "request_id"] = "r-1"
        logger[metadataKey: "b"] = "from-handler"
        logger.info("request", metadata: ["b": "from-call", "a": .stringConvertible(200)], source: "BulwarkServer")
        let line = try #require(lines.all.first)
        #expect(lines.all.count == 1)
        #expect(line.hasSuffix(" info bulwark : a=200 b=from-call provided=p request_id=r-1 [BulwarkServer] request\n"))
        // A local time stamp first: 2026-12-03T17:18:18+0000.
        let stamp = String(line.prefix { $0 != " " })
        #expect(stamp.count == 24, "\(stamp)")
        #expect(stamp.dropFirst(10).first == "T")
    }

    @Test func theLevelIsRespectedAndErrorsAreNamed() throws {
        let lines = Lines()
        var logger = Logger(label: "bulwark") { label in LineLogHandler(label: label, sink: lines.sink) }
        logger.debug("hidden")
        #expect(lines.all.isEmpty)
        logger.logLevel = .debug
        logger.debug("shown")
        #expect(lines.all.count == 1)
        logger.error("failed", error: Failure())
        let line = try #require(lines.all.last)
        #expect(line.contains("error.message=disk full"))
        #expect(line.contains("error.type=BulwarkServerTests.LineLogHandlerTests.Failure"))
    }

    /// Loggers are values: a copy's metadata is its own (each request's id stays on its logger).
    @Test func metadataIsPerLoggerValue() {
        let lines = Lines()
        var first = Logger(label: "bulwark") { label in LineLogHandler(label: label, sink: lines.sink) }
        var second = first
        first[metadataKey: "request_id"] = "one"
        second[metadataKey: "request_id"] = "two"
        first.info("a")
        second.info("b")
        #expect(lines.all.map { $0.contains("request_id=one") } == [true, false])
        #expect(lines.all.map { $0.contains("request_id=two") } == [false, true])
    }
}
