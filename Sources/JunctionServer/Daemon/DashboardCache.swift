import Foundation
import JunctionStore
import Synchronization

/// The dashboard's audit figures, computed once per range and shared.
///
/// Every open dashboard polls, and each snapshot reads the whole range of the audit trail. Two
/// rules keep that cheap however many tabs are open: requests for a range that arrive while its
/// snapshot is being computed wait for that one computation (single flight), and a snapshot is
/// reused for a short time that grows with the range (its last bucket is a minute to an hour
/// wide, so a few seconds of age do not show).
public final class DashboardCache: Sendable {
    private struct State {
        var entries: [DashboardRange: (at: ContinuousClock.Instant, snapshot: DashboardSnapshot)] = [:]
        var inFlight: [DashboardRange: Task<DashboardSnapshot, any Error>] = [:]
    }

    private let state = Mutex(State())
    private let compute: @Sendable (DashboardRange) async throws -> DashboardSnapshot

    public init(compute: @escaping @Sendable (DashboardRange) async throws -> DashboardSnapshot) {
        self.compute = compute
    }

    public convenience init(database: AppDatabase) {
        self.init { range in try await DashboardRepository(database).snapshot(range: range) }
    }

    /// How long a snapshot of `range` is reused.
    public static func maximumAge(of range: DashboardRange) -> Duration {
        switch range {
        case .oneHour: .seconds(1)
        case .sixHours: .seconds(3)
        case .oneDay: .seconds(5)
        case .sevenDays: .seconds(15)
        }
    }

    public func snapshot(range: DashboardRange) async throws -> DashboardSnapshot {
        let now = ContinuousClock.now
        let task = state.withLock { state -> Task<DashboardSnapshot, any Error>? in
            if let entry = state.entries[range], now - entry.at < Self.maximumAge(of: range) { return nil }
            if let running = state.inFlight[range] { return running }
            // Awaited below by every caller of this range; removed from `inFlight` when it ends.
            let task = Task { [compute] in try await compute(range) }
            state.inFlight[range] = task
            return task
        }
        guard let task else {
            if let cached = state.withLock({ $0.entries[range]?.snapshot }) { return cached }
            return try await snapshot(range: range)
        }
        do {
            let snapshot = try await task.value
            state.withLock { state in
                state.entries[range] = (.now, snapshot)
                if state.inFlight[range] == task { state.inFlight[range] = nil }
            }
            return snapshot
        } catch {
            state.withLock { state in
                if state.inFlight[range] == task { state.inFlight[range] = nil }
            }
            throw error
        }
    }
}
