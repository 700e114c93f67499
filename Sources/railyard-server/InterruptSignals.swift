import ArgumentParser
import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import RailyardEngine

/// SIGTERM and SIGINT stop a `migrate` cleanly: the running migration is
/// cancelled and rolls back, the lock is released, the embedded database
/// stops. A second signal ends the process at once.
final class InterruptSignals: @unchecked Sendable {  // `first` is guarded by `lock`; `sources` is set in init only
    private let lock = NSLock()
    private var sources: [DispatchSourceSignal] = []
    private var first: Int32?

    /// The signal that interrupted the run, if one did.
    var received: Int32? { lock.withLock { first } }

    /// 128 + the signal, the exit code of a run a signal stopped.
    var exitCode: ExitCode? { received.map { ExitCode(128 + $0) } }

    init(cancelling cancellation: MigrationCancellation) {
        for number in [SIGTERM, SIGINT] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [self] in
                let isFirst = lock.withLock { () -> Bool in
                    guard first == nil else { return false }
                    first = number
                    return true
                }
                guard isFirst else { _exit(128 + number) }
                Output.error("… \(number == SIGTERM ? "SIGTERM" : "SIGINT") received: stopping after rolling back the migration in progress (send it again to exit at once)")
                cancellation.cancel(by: number == SIGTERM ? "SIGTERM" : "SIGINT")
            }
            source.resume()
            sources.append(source)
        }
    }

    deinit {
        sources.forEach { $0.cancel() }
    }
}
