import AptOstreeDBus
import AptOstreeModel
import CGio
#if canImport(Glibc)
import Glibc
#endif

// apt-ostree-bench: GetStatus round trips against the daemon on the system bus
// (DBUS_SYSTEM_BUS_ADDRESS), printing the median and p99. Used by bench/daemon.

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

let calls = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 1000 : 1000
do {
    let bus = try Bus.system()
    var samples: [Double] = []
    samples.reserveCapacity(calls)
    for _ in 0..<calls {
        let t0 = now()
        let r = try bus.call(BusNames.service, BusNames.sysrootPath, BusNames.sysrootInterface, "GetStatus",
                             g_variant_new_tuple([VariantCodec.dictionary([:])], 1), replyType: "(s)")
        g_variant_unref(r)
        samples.append((now() - t0) * 1000)
    }
    samples.sort()
    func pct(_ p: Double) -> Double { samples[min(samples.count - 1, Int(Double(samples.count) * p))] }
    print("GetStatus round trip over \(calls) calls: median \(String(format3(pct(0.5)))) ms, p99 \(String(format3(pct(0.99)))) ms, max \(String(format3(samples.last!))) ms")
} catch {
    print("error: \(error)")
    exit(1)
}

func format3(_ v: Double) -> String {
    let scaled = Int((v * 1000).rounded())
    let frac = String(scaled % 1000)
    return "\(scaled / 1000).\(String(repeating: "0", count: 3 - frac.count))\(frac)"
}
