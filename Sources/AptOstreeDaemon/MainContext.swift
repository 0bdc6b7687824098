import CGio

final class ClosureBox {
    let body: () -> Void
    init(_ b: @escaping () -> Void) { body = b }
}

/// Runs `body` on the default main context (the thread running the daemon's GMainLoop),
/// where all daemon state lives and where objects must be registered.
func onMainContext(_ body: @escaping () -> Void) {
    let box = Unmanaged.passRetained(ClosureBox(body)).toOpaque()
    g_main_context_invoke_full(nil, G_PRIORITY_DEFAULT, { data in
        Unmanaged<ClosureBox>.fromOpaque(data!).takeUnretainedValue().body()
        return 0
    }, box, { data in Unmanaged<ClosureBox>.fromOpaque(data!).release() })
}

/// Monotonic seconds.
func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
