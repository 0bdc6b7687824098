import AptOstreePOSIX
@testable import AptOstreeCore
import Foundation
import OSTreeKit
import Testing

/// The byte and text formats apt-ostree writes or reads itself: the initramfs overlay's cpio,
/// pull progress lines, apt's package lists.
@Suite struct FormatsTests {
    @Test func cpioIsNewcWithParentsPaddingAndATrailer() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("aot-cpio-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir + "/etc/sub", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "abc\n".write(toFile: dir + "/etc/sub/f", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: dir + "/etc/sub/l", withDestinationPath: "f")
        var w = CPIOWriter()
        try w.add(hostPath: dir + "/etc/sub", as: "etc/sub")
        let bytes = w.archive
        // Entries: etc (parent), etc/sub, etc/sub/f, etc/sub/l, TRAILER!!!.
        var names: [String] = [], datas: [[UInt8]] = [], i = 0
        while i + 110 <= bytes.count {
            let header = String(decoding: bytes[i..<i + 110], as: UTF8.self)
            #expect(header.hasPrefix("070701"))
            func field(_ k: Int) -> Int { Int(header.dropFirst(6 + 8 * k).prefix(8), radix: 16)! }
            let size = field(6), nameSize = field(11)
            let name = String(decoding: bytes[(i + 110)..<(i + 110 + nameSize - 1)], as: UTF8.self)
            i = (i + 110 + nameSize + 3) & ~3
            datas.append(Array(bytes[i..<(i + size)]))
            i = (i + size + 3) & ~3
            names.append(name)
            if name == "TRAILER!!!" { break }
        }
        #expect(names == ["etc", "etc/sub", "etc/sub/f", "etc/sub/l", "TRAILER!!!"])
        #expect(datas[2] == Array("abc\n".utf8) && datas[3] == Array("f".utf8))
        #expect(i == bytes.count && bytes.count % 4 == 0)
        // The same files give the same bytes (times are zero).
        var again = CPIOWriter()
        try again.add(hostPath: dir + "/etc/sub", as: "etc/sub")
        #expect(again.archive == bytes)
        #expect(throws: (any Error).self) { var x = CPIOWriter(); try x.add(hostPath: dir + "/nosuch", as: "etc/nosuch") }
    }

    @Test func pullProgressShowsObjectsRateAndTimeLeft() {
        var p = PullProgress()
        p.fetched = 25
        p.requested = 100
        p.bytes = 2_000_000
        p.seconds = 4
        #expect(p.percent == 25)
        #expect(p.secondsLeft == 12)
        #expect(p.text == "Receiving objects: 25/100, 2.0 MB at 500.0 kB/s, 0:12 left")
        p.outstandingMetadataFetches = 3
        #expect(p.percent == nil && p.text == "Receiving metadata objects: 25, 2.0 MB at 500.0 kB/s")
        var d = PullProgress()
        d.deltaParts = (1, 4)
        d.deltaBytes = (1_000_000, 5_000_000)
        d.bytes = 1_000_000
        d.seconds = 100
        #expect(d.percent == 20 && d.text == "Receiving delta parts: 1/4, 1.0 MB/5.0 MB at 10.0 kB/s, 6:40 left")
        var s = PullProgress()
        s.status = "Scanning metadata: 12"
        #expect(s.text == "Scanning metadata: 12" && s.percent == nil)
    }

    @Test func aptPackageListsWithVersionsAreRead() {
        let lines = ["   foo (2.0 => 1.0)", "   bar:amd64 (1.2-3)", "  baz* (0.1) qux (3)"]
        let parsed = DeploymentApt.listedPackages(lines)
        #expect(parsed.map(\.name) == ["foo", "bar:amd64", "baz", "qux"])
        #expect(parsed.map(\.version) == ["1.0", "1.2-3", "0.1", "3"])
    }
}
