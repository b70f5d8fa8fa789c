/// Bounds on numbers users configure, so a value that fits the JSON never overflows a clock or
/// a timer inside Junction (a timer of 2^63 seconds would trap), and stays exact in JavaScript.
public enum Limits {
    /// Timeouts, idle times and cache lifetimes: at most a week.
    public static let maxSeconds = 7 * 24 * 3600
    /// Rule priorities: ± one million.
    public static let maxPriority = 1_000_000

    /// `seconds` within 0…``maxSeconds``.
    public static func clampedSeconds(_ seconds: Int) -> Int {
        min(max(seconds, 0), maxSeconds)
    }
}
