import BulwarkCore
import BulwarkStorage
import CoreMetrics
import Foundation

/// A ``ReleaseStore`` that records how long each call takes (`bulwark_storage_duration_seconds`
/// with `store="releases"` and the operation). The timers are created once, here.
struct TimedReleaseStore: ReleaseStore {
    let base: any ReleaseStore
    private let packageTimer: CoreMetrics.Timer
    private let releasesTimer: CoreMetrics.Timer
    private let releaseTimer: CoreMetrics.Timer
    private let insertTimer: CoreMetrics.Timer
    private let lookupTimer: CoreMetrics.Timer
    private let insertManyTimer: CoreMetrics.Timer

    init(_ base: any ReleaseStore, metrics: BulwarkMetrics) {
        self.base = base
        packageTimer = metrics.storageTimer(store: "releases", operation: "package")
        releasesTimer = metrics.storageTimer(store: "releases", operation: "releases")
        releaseTimer = metrics.storageTimer(store: "releases", operation: "release")
        insertTimer = metrics.storageTimer(store: "releases", operation: "insert")
        lookupTimer = metrics.storageTimer(store: "releases", operation: "packages-for-url")
        insertManyTimer = metrics.storageTimer(store: "releases", operation: "insert-many")
    }

    func package(_ id: PackageIdentifier) async throws -> PackageIdentifier? {
        try await timed(packageTimer) { try await base.package(id) }
    }

    func releases(of id: PackageIdentifier) async throws -> [ReleaseSummary] {
        try await timed(releasesTimer) { try await base.releases(of: id) }
    }

    func release(_ id: PackageIdentifier, version: SemanticVersion) async throws -> Release? {
        try await timed(releaseTimer) { try await base.release(id, version: version) }
    }

    func insert(_ release: Release) async throws {
        try await timed(insertTimer) { try await base.insert(release) }
    }

    func insert(_ release: Release, recording event: PackageEvent) async throws {
        try await timed(insertTimer) { try await base.insert(release, recording: event) }
    }

    func packages(forRepositoryURL normalized: String) async throws -> [PackageIdentifier] {
        try await timed(lookupTimer) { try await base.packages(forRepositoryURL: normalized) }
    }

    func insertMany(_ releases: [Release]) async throws {
        try await timed(insertManyTimer) { try await base.insertMany(releases) }
    }
}

/// A ``RegistryReadStore`` that records its calls' durations like ``TimedReleaseStore``
/// (`store="reads"`).
struct TimedRegistryReads: RegistryReadStore {
    let base: any RegistryReadStore
    private let versionsTimer: CoreMetrics.Timer
    private let releaseTimer: CoreMetrics.Timer

    init(_ base: any RegistryReadStore, metrics: BulwarkMetrics) {
        self.base = base
        versionsTimer = metrics.storageTimer(store: "reads", operation: "package-versions")
        releaseTimer = metrics.storageTimer(store: "reads", operation: "release")
    }

    func packageVersions(_ id: PackageIdentifier) async throws -> PackageVersions? {
        try await timed(versionsTimer) { try await base.packageVersions(id) }
    }

    func releaseForReading(_ id: PackageIdentifier, version: SemanticVersion) async throws -> Release? {
        try await timed(releaseTimer) { try await base.releaseForReading(id, version: version) }
    }

    func releaseWithVersions(_ id: PackageIdentifier, version: SemanticVersion) async throws -> (Release, PackageVersions)? {
        try await timed(releaseTimer) { try await base.releaseWithVersions(id, version: version) }
    }
}

/// Runs `body` and records its duration in `timer`, also when it throws.
func timed<T>(_ timer: CoreMetrics.Timer, _ body: () async throws -> T) async rethrows -> T {
    let start = ContinuousClock.now
    defer {
        let elapsed = ContinuousClock.now - start
        timer.recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    }
    return try await body()
}
