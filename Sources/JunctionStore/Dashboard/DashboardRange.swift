import Foundation

/// How far back the dashboard looks, and how finely its time series is cut.
public enum DashboardRange: String, Codable, Sendable, CaseIterable, Hashable {
    case oneHour = "1h"
    case sixHours = "6h"
    case oneDay = "24h"
    case sevenDays = "7d"

    /// The length of the range in seconds.
    public var seconds: Int {
        switch self {
        case .oneHour: 3600
        case .sixHours: 6 * 3600
        case .oneDay: 24 * 3600
        case .sevenDays: 7 * 24 * 3600
        }
    }

    /// The width of one time-series bucket in seconds.
    public var bucketSeconds: Int {
        switch self {
        case .oneHour: 60
        case .sixHours: 300
        case .oneDay: 900
        case .sevenDays: 3600
        }
    }

    /// How many buckets the time series has: 60, 72, 96 or 168.
    public var bucketCount: Int { seconds / bucketSeconds }

    /// Where a range ending at `now` starts. Buckets are aligned to multiples of
    /// ``bucketSeconds`` since the Unix epoch, and the last one holds `now`: so a chart polled
    /// again a moment later shows the same buckets with the same counts, and every bucket but the
    /// last is whole. The range is therefore up to one bucket shorter than ``seconds``.
    public func start(endingAt now: Date) -> Date {
        let nowSeconds = Int(now.timeIntervalSince1970.rounded(.down))
        let lastBucket = nowSeconds - nowSeconds % bucketSeconds
        return Date(timeIntervalSince1970: TimeInterval(lastBucket - (bucketCount - 1) * bucketSeconds))
    }

}
