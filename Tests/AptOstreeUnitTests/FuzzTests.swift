@testable import AptOstreeCore
import AptOstreeModel
import OSTreeKit
import Testing

/// A seeded mutation fuzzer over every parser of outside input the engine has in-process:
/// manifests (YAML), JSON, deb822 stanzas (control files, Packages, dpkg status), origin
/// keyfiles and kernel command lines. Each run mutates seed inputs (bit flips, byte
/// insertions and deletions, repeated and cut ranges, splices of interesting tokens) and
/// checks properties: no crash, errors only as AptOstreeError, and round trips where the
/// format has one. Seeded, so a failure reproduces; `AOT_FUZZ_RUNS` scales the executions.
private struct Rng {
    var state: UInt64
    mutating func next() -> UInt64 {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        return state
    }
    mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }
}

private let tokens: [String] = ["\n", "\r\n", " ", "\t", ":", "=", "[", "]", "{", "}", "\"", "'", "\\", "#", "-", ",", "..",
                                "\u{0}", "\u{FEFF}", "é", "💥", "- ", ": ", "\n ", "\n\n", "&a", "*a", "!!binary", "%YAML 1.2",
                                "1e999", "-0", "null", "true", "[[[[[[[[", "{{{{{{{{", "\\u0000", "\\ud800", "=\"", ";"]

private func mutate(_ seed: String, _ rng: inout Rng) -> String {
    var bytes = Array(seed.utf8)
    for _ in 0...rng.below(4) {
        switch rng.below(6) {
        case 0 where !bytes.isEmpty: bytes[rng.below(bytes.count)] ^= UInt8(1 << rng.below(8))
        case 1: bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: rng.below(bytes.count + 1))
        case 2 where !bytes.isEmpty: bytes.remove(at: rng.below(bytes.count))
        case 3 where bytes.count > 2:
            let a = rng.below(bytes.count), b = min(bytes.count, a + 1 + rng.below(16))
            bytes.insert(contentsOf: Array(bytes[a..<b]), at: rng.below(bytes.count + 1))
        case 4 where !bytes.isEmpty: bytes = Array(bytes.prefix(rng.below(bytes.count)))
        default: bytes.insert(contentsOf: Array(tokens[rng.below(tokens.count)].utf8), at: rng.below(bytes.count + 1))
        }
    }
    return String(decoding: bytes, as: UTF8.self)
}

private var runs: Int { Int(ProcessInfoShim.env("AOT_FUZZ_RUNS") ?? "") ?? 3000 }

private enum ProcessInfoShim {
    static func env(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
}

/// Runs `body` on `runs` mutations of the seeds (the seeds first); an error `accepting` refuses fails.
private func fuzz(_ seeds: [String], seed: UInt64, runs: Int, accepting: (Error) -> Bool = { $0 is AptOstreeError },
                  _ body: (String) throws -> Void) -> (executions: Int, errors: Int) {
    var rng = Rng(state: seed)
    var errors = 0
    for i in 0..<runs {
        let input = i < seeds.count ? seeds[i] : mutate(seeds[rng.below(seeds.count)], &rng)
        do { try body(input) } catch where accepting(error) { errors += 1 } catch {
            Issue.record("unexpected error type for input \(input.debugDescription): \(error)")
        }
    }
    return (runs, errors)
}

#if canImport(Glibc)
import Glibc
#endif

@Suite struct FuzzTests {
    @Test func manifestsParseOrFailWithOneLine() {
        let seeds = [
            "ref: a/b\nsuite: bookworm\npackages: [vim, htop]\nkernel: true\nadd-commit-metadata: {a: 1, b: x}\n",
            "{\"ref\": \"a/b\", \"suite\": \"trixie\", \"units\": [\"ssh.service\"], \"postprocess\": [\"echo hi\"]}",
            "ref: a/b\nsuite: bookworm\nlocal-packages: [x.deb]\nkernel-args: [quiet]\nversion: 1\n",
        ]
        let r = fuzz(seeds, seed: 0x5eed_0001, runs: runs / 3) { text in
            do { _ = try TreefileLoader.parse(text, source: "m.yaml") } catch let e as AptOstreeError {
                #expect(!e.message.contains("\n") && e.message.hasPrefix("m.yaml: "), "\(e.message.debugDescription)")
                throw e
            }
        }
        #expect(r.executions > 0 && r.errors > 0 && r.errors < r.executions)
    }

    @Test func jsonRoundTripsWhatItParses() {
        let seeds = ["{\"a\": [1, 2.5, -3e2, true, null, \"s\\u00e9\\n\"], \"b\": {\"c\": {}}}", "[]", "\"x\"", "[{\"k\":\"v\"},[[]]]"]
        let r = fuzz(seeds, seed: 0x5eed_0002, runs: runs) { text in
            let v = try JSONParser.parse(text)
            let again = try JSONParser.parse(v.serialized(pretty: false))
            #expect(again.serialized(pretty: false) == v.serialized(pretty: false), "\(text.debugDescription)")
        }
        #expect(r.errors > 0 && r.errors < r.executions)
    }

    @Test func deb822NeverCrashesAndKeepsWellFormedFields() {
        let seeds = [
            "Package: zsh\nStatus: install ok installed\nVersion: 5.9-4\nArchitecture: amd64\nDescription: shell\n more\n .\n\nPackage: a\nStatus: deinstall ok config-files\nVersion: 1\n",
            "Package: x\nDepends: a (>= 1), b | c\nFilename: pool/x.deb\nSHA256: 00\n",
        ]
        _ = fuzz(seeds, seed: 0x5eed_0003, runs: runs) { text in
            for stanza in Deb822.parse(text) {
                for (k, _) in stanza { #expect(!k.isEmpty && !k.contains(":") && !k.contains("\n"), "\(k.debugDescription)") }
            }
            for p in Deb822.installedPackages(status: text) { #expect(!p.name.isEmpty) }
        }
    }

    @Test func originsDecodeAndReencodeToTheSameModel() throws {
        let seeds = [
            "[origin]\nrefspec=srv:debian/bookworm/x86_64/minimal\n",
            "[origin]\nbaserefspec=debian/bookworm/x86_64/minimal\n[packages]\nrequested=htop;vim;\nrequested-local=ab12:aot;\n[overrides]\nremove=nano;\n[aptostree]\nregenerate-initramfs=true\ninitramfs-args=-c;gzip;\n",
        ]
        // libostree reads origins with GLib's keyfile parser: its errors are GLibError.
        let r = fuzz(seeds, seed: 0x5eed_0004, runs: runs, accepting: { $0 is GLibError || $0 is AptOstreeError }) { text in
            let kf = try KeyFile(parsing: text)
            let origin = OriginCodec.decode(kf)
            let again = OriginCodec.decode(try OriginCodec.encode(origin, over: kf))
            #expect(again == origin, "\(text.debugDescription)")
        }
        #expect(r.errors > 0 && r.errors < r.executions)
    }

    @Test func kernelCommandLinesRoundTrip() {
        let seeds = ["root=LABEL=r rw console=ttyS0 console=tty0 quiet", "a=\"b c\" d= =e f==g", "init=/bin/sh -- x"]
        _ = fuzz(seeds, seed: 0x5eed_0005, runs: runs) { text in
            let args = KernelArgs(text)
            #expect(KernelArgs(args.string).strv == args.strv, "\(text.debugDescription)")
        }
    }
}
