import AptOstreeDBus
import AptOstreeModel
import CGio
import CGioShims
import Dispatch
import Synchronization

/// One transaction: an object on the bus at `/org/debian/aptostree1/Transaction/N` that
/// runs its work once `Start` is called (so a client that subscribed first misses no
/// signal), emits progress signals, and ends with `Finished(success, error)`, which is
/// replayed to a client that calls `Start` late.
public final class Transaction: @unchecked Sendable {
    enum Phase: Equatable { case created, running, finished(Bool, String) }

    /// Its number and object path.
    public let id: Int
    public let path: String
    /// What it does (the method name in lowercase words: "kargs", "rollback").
    public let title: String
    /// Who asked: "uid N (bus name)".
    public let initiator: String
    /// The initiating client's bus name.
    let sender: String
    /// The method and its parameters, to re-attach an identical request.
    let requestKey: String
    let work: @Sendable (ProgressSink) throws -> Void
    let bus: Bus
    let log: DaemonLog
    let phase = Mutex(Phase.created)
    let cancelled = Atomic<Bool>(false)
    var registrationID: UInt32 = 0
    var watchID: UInt32 = 0
    /// Called on the main context once Finished was emitted.
    var onFinished: ((Transaction) -> Void)?

    init(id: Int, title: String, initiator: String, sender: String, requestKey: String, bus: Bus, log: DaemonLog,
         work: @escaping @Sendable (ProgressSink) throws -> Void) {
        self.id = id
        self.path = "\(BusNames.transactionPathPrefix)/\(id)"
        self.title = title
        self.initiator = initiator
        self.sender = sender
        self.requestKey = requestKey
        self.bus = bus
        self.log = log
        self.work = work
    }

    var isFinished: Bool { if case .finished = phase.withLock({ $0 }) { return true }; return false }
    var isStarted: Bool { phase.withLock { $0 } != .created }

    /// Emits a signal on the transaction object.
    func emit(_ name: String, _ params: OpaquePointer?) {
        g_dbus_connection_emit_signal(bus.connection, nil, path, BusNames.transactionInterface, name, params, nil)
    }

    /// `Start`: runs the work on a worker thread the first time; a later call on a finished
    /// transaction replays `Finished`. Returns whether this call started it.
    func start() -> Bool {
        let previous: Phase = phase.withLock { p in
            let old = p
            if p == .created { p = .running }
            return old
        }
        switch previous {
        case .created:
            log.log(.info, "txn \(id) \(title): started by \(initiator)")
            DispatchQueue.global().async { self.run() }
            return true
        case .running:
            return false
        case .finished(let ok, let message):
            emit("Finished", aot_tuple_bs(ok ? 1 : 0, message))
            return false
        }
    }

    /// `Cancel`: the work stops at its next safe point (before anything irreversible).
    func cancel() {
        log.log(.info, "txn \(id) \(title): cancel requested")
        cancelled.store(true, ordering: .sequentiallyConsistent)
        if phase.withLock({ $0 }) == .created { finish(false, "Cancelled") }
    }

    private func run() {
        let sink = SignalProgress(transaction: self)
        do {
            try sink.checkpoint()
            try work(sink)
            finish(true, "")
        } catch let e as AptOstreeError {
            finish(false, e.message)
        } catch {
            finish(false, "\(error)")
        }
    }

    func finish(_ ok: Bool, _ message: String) {
        let already: Bool = phase.withLock { p in
            if case .finished = p { return true }
            p = .finished(ok, message)
            return false
        }
        guard !already else { return }
        log.log(ok ? .info : .warning, "txn \(id) \(title): \(ok ? "succeeded" : "failed: \(message)") (\(initiator))")
        emit("Finished", aot_tuple_bs(ok ? 1 : 0, message))
        onMainContext { self.onFinished?(self) }
    }
}

/// Progress of a running transaction, as D-Bus signals.
struct SignalProgress: ProgressSink {
    let transaction: Transaction

    func message(_ text: String) {
        transaction.log.log(.debug, "txn \(transaction.id): \(text)")
        transaction.emit("Message", aot_tuple_s(text))
    }

    func percent(_ text: String, _ value: Int) {
        transaction.emit("PercentProgress", aot_tuple_su(text, UInt32(max(0, min(100, value)))))
    }

    func checkpoint() throws {
        if transaction.cancelled.load(ordering: .sequentiallyConsistent) {
            throw AptOstreeError(.cancelled, "Cancelled")
        }
    }
}
