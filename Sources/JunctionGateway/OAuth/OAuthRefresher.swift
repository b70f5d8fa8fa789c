import Foundation
import JunctionCore
import JunctionStore
import Logging

/// "Never sign in again": refreshes every refreshable token at 80% of its life, at startup for
/// tokens near or past expiry, and at once after the machine wakes from sleep (the wall clock
/// jumped ahead of the monotonic one, which stops while suspended).
public struct OAuthRefresher: Sendable {
    public let manager: OAuthTokenManager
    /// How often the token table is looked at while nothing is due.
    public var interval: Duration = .seconds(30)
    /// After a failure the background refresher tries again after this long.
    public var retryAfterFailure: TimeInterval = 300
    private let logger = Logger(label: "junction.oauth")

    public init(manager: OAuthTokenManager) {
        self.manager = manager
    }

    /// When a token is due for a refresh: at 80% of its life (issue to expiry).
    public static func refreshAt(issuedAt: Date?, expiresAt: Date) -> Date {
        guard let issuedAt, issuedAt < expiresAt else { return expiresAt.addingTimeInterval(-60) }
        return issuedAt.addingTimeInterval(expiresAt.timeIntervalSince(issuedAt) * 0.8)
    }

    /// The tokens due at `now`: refreshable, past 80% of their life, and not failed recently
    /// (a wake retries failures at once: the network may be back).
    public func due(_ tokens: [OAuthTokenInfo], now: Date, woke: Bool) -> [OAuthTokenInfo] {
        tokens.filter { info in
            guard info.hasRefreshToken, let expiresAt = info.expiresAt else { return false }
            if !woke, let failed = info.lastErrorAt, now.timeIntervalSince(failed) < retryAfterFailure,
                failed >= (info.issuedAt ?? .distantPast)
            {
                return false
            }
            return Self.refreshAt(issuedAt: info.issuedAt, expiresAt: expiresAt) <= now
        }
    }

    /// One pass: refreshes what is due; returns the auth scope ids it refreshed or tried.
    @discardableResult
    public func tick(now: Date, woke: Bool = false) async -> [String] {
        let (database, box) = (manager.database, manager.box)
        let store = OAuthTokenRepository(database, box: box)
        guard let all = try? await database.run({ try store.all() }) else { return [] }
        let due = due(all, now: now, woke: woke)
        for info in due { await manager.refresh(scopeId: info.authScopeId, force: true) }
        return due.map(\.authScopeId)
    }

    /// Runs until cancelled: a pass at once (startup), then one per `interval` and one right after
    /// a wake.
    public func run() async {
        var wake = WakeDetector()
        while !Task.isCancelled {
            let woke = wake.observe(wall: Date(), monotonic: SuspendingClock.now)
            if woke { logger.info("oauth: the machine woke from sleep; refreshing tokens that are due") }
            await tick(now: Date(), woke: woke)
            try? await Task.sleep(for: interval)
        }
    }
}

/// Notices a suspend: between two looks the wall clock moved further than the monotonic clock
/// (which stands still while the machine sleeps) by more than `tolerance`.
public struct WakeDetector: Sendable {
    public var tolerance: Duration
    private var last: (wall: Date, monotonic: SuspendingClock.Instant)?

    public init(tolerance: Duration = .seconds(30)) {
        self.tolerance = tolerance
    }

    /// Records a look; true when a sleep happened since the previous one.
    public mutating func observe(wall: Date, monotonic: SuspendingClock.Instant) -> Bool {
        defer { last = (wall, monotonic) }
        guard let last else { return false }
        let wallElapsed = Duration.milliseconds(Int64(wall.timeIntervalSince(last.wall) * 1000))
        let monotonicElapsed = last.monotonic.duration(to: monotonic)
        return wallElapsed - monotonicElapsed > tolerance
    }
}
