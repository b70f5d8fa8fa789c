import CJunctionShims
import Foundation
import JunctionGateway
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How `junction serve` ends when it is told to: the first SIGTERM or SIGINT starts a graceful
/// shutdown and a watchdog; a second one exits at once.
enum DaemonShutdown {
    /// Exit status when the watchdog ends a shutdown that did not finish in time.
    static let timedOutStatus: Int32 = 1

    /// Set when the watchdog fires. The graceful path may still finish while the watchdog gives
    /// the audit its last second; it must then exit with `timedOutStatus` too, not 0.
    private static let overran = Atomic<Bool>(false)

    /// Whether the watchdog has fired: the shutdown overran its bound.
    static var didOverrun: Bool { overran.load(ordering: .acquiring) }

    /// Installs the SIGTERM/SIGINT handler. `onFirst` runs once, on a thread of its own, with the
    /// first signal's number. A second signal never reaches Swift: the handler SIGKILLs every
    /// child's process group, removes `daemon.json` and the sockets (see
    /// `junction_force_exit_unlink`) and exits with 128 + its number (130, 143). False if the
    /// handler could not be installed.
    static func installSignals(onFirst: @escaping @Sendable (Int32) -> Void) -> Bool {
        let fd = junction_shutdown_signals_install()
        guard fd >= 0 else { return false }
        let thread = Thread {
            var byte: UInt8 = 0
            while true {
                let count = read(fd, &byte, 1)
                if count == 1 {
                    onFirst(Int32(byte))
                    return
                }
                if count < 0 && errno == EINTR { continue }
                return
            }
        }
        thread.name = "junction.signals"
        thread.start()
        return true
    }

    /// Starts the watchdog: if the process still runs `bound` from now, it logs why, gives
    /// `lastWords` (flushing the audit queue) up to a second, then SIGKILLs every child's process
    /// group, removes `daemon.json` and the sockets and exits with `timedOutStatus`. A thread, not
    /// a task: it must fire even when every cooperative thread is stuck.
    static func startWatchdog(
        bound: Duration, logger: Logger, lastWords: @escaping @Sendable () async -> Void
    ) {
        let seconds = Double(bound.components.seconds) + Double(bound.components.attoseconds) / 1e18
        let thread = Thread {
            Thread.sleep(forTimeInterval: seconds)  // blocking-ok: the shutdown watchdog's own thread
            overran.store(true, ordering: .releasing)
            logger.error("shutdown did not finish within \(Int(seconds)) s; stopping the children and exiting now")
            let done = DispatchSemaphore(value: 0)  // blocking-ok: the shutdown watchdog's own thread
            Task.detached {
                await lastWords()
                done.signal()
            }
            _ = done.wait(timeout: .now() + 1)  // blocking-ok: the shutdown watchdog's own thread
            junction_force_exit(timedOutStatus)
        }
        thread.name = "junction.shutdown.watchdog"
        thread.start()
    }
}
