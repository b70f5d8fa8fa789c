#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's open-file limit (`RLIMIT_NOFILE`). The daemon holds a descriptor per HTTP
/// connection, per client session and three per downstream process; the common soft default of
/// 1024 is far below what the hard limit allows, so the daemon raises it as it starts.
enum FileDescriptorLimit {
    /// Raises the soft limit to the hard one (on Darwin at most `OPEN_MAX`, which is what
    /// `setrlimit` accepts there) and returns the soft limit in force afterwards, nil when it
    /// cannot be read.
    @discardableResult
    static func raise() -> Int? {
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return nil }
        var target = limit.rlim_max
        #if canImport(Darwin)
        target = min(target, rlim_t(OPEN_MAX))
        #endif
        if target > limit.rlim_cur {
            var raised = limit
            raised.rlim_cur = target
            if setrlimit(resource, &raised) == 0 { limit = raised }
        }
        // RLIM_INFINITY is the largest value: it clamps to Int.max.
        return Int(clamping: limit.rlim_cur)
    }

    /// The soft limit in force, nil when it cannot be read.
    static var current: Int? {
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return nil }
        // RLIM_INFINITY is the largest value: it clamps to Int.max.
        return Int(clamping: limit.rlim_cur)
    }

    /// How many HTTP connections to allow: the configured number, but at most half the
    /// descriptors, so sessions, downstream pipes and the database keep the rest.
    static func connectionCap(configured: Int, limit: Int?) -> Int {
        guard let limit else { return configured }
        return max(8, min(configured, limit / 2))
    }

    #if canImport(Glibc)
    private static var resource: __rlimit_resource_t { __rlimit_resource_t(RLIMIT_NOFILE.rawValue) }
    #else
    private static var resource: Int32 { RLIMIT_NOFILE }
    #endif
}
