import AptOstreeTestSupport
import Foundation
import Testing

/// An HTTP server over a folder on a free loopback port: python3's http.server, which can
/// also misbehave on requests for repo objects: `drop` answers the ones after the first N
/// with a truncated body and a closed connection, `slow` waits N seconds before each.
private final class HTTPServer {
    enum Fault { case none, drop(after: Int), slow(seconds: Double) }
    static let script = #"""
        import http.server, sys, time
        mode, arg, directory, port = sys.argv[1], float(sys.argv[2]), sys.argv[3], int(sys.argv[4])
        log = sys.argv[5] if len(sys.argv) > 5 else ''
        count = 0
        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *a, **k): super().__init__(*a, directory=directory, **k)
            def log_message(self, *a): pass
            def log_request(self, *a):
                if log:
                    with open(log, 'a') as f: f.write(self.path + ' ' + self.headers.get('User-Agent', '') + '\n')
            def do_GET(self):
                global count
                if '/objects/' in self.path or '/deltas/' in self.path:
                    count += 1
                    if mode == 'drop' and count > arg:
                        self.send_response(200)
                        self.send_header('Content-Length', '100000')
                        self.end_headers()
                        self.wfile.write(b'truncated')
                        self.wfile.flush()
                        self.close_connection = True
                        return
                    if mode == 'slow':
                        time.sleep(arg)
                return super().do_GET()
        http.server.ThreadingHTTPServer(('127.0.0.1', port), Handler).serve_forever()
        """#
    let child: Child
    let port: Int
    init(directory: String, fault: Fault = .none, log: String = "") throws {
        port = Int.random(in: 20000..<60000)
        let (mode, arg): (String, String)
        switch fault {
        case .none: (mode, arg) = ("plain", "0")
        case .drop(let n): (mode, arg) = ("drop", String(n))
        case .slow(let s): (mode, arg) = ("slow", String(s))
        }
        child = try Child(["python3", "-c", Self.script, mode, arg, directory, String(port), log])
        for _ in 0..<100 {
            if (try? run(["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/\(port)"]))?.status == 0 { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw TestFailure("http.server did not start")
    }
    func stop() {
        child.signal(SIGTERM)
        _ = child.finish()
    }
    deinit { stop() }
}

/// Makes a new commit on `branch` in the archive repo: `from`'s tree plus a marker file,
/// its metadata with `version` and base-files' version bumped (so package diffs see it).
private func commitUpdate(repo: String, from: String, branch: String, version: String, marker: String) throws -> String {
    let script = #"""
        set -e
        repo="$1"; from="$2"; branch="$3"; version="$4"; marker="$5"
        d=$(mktemp -d); mkdir -p "$d/usr/share/aot-update"; echo "$version" > "$d/usr/share/aot-update/$marker"
        pkgs=$(ostree show --repo="$repo" --print-metadata-key=aptostree.dpkg.pkglist "$from")
        pkgs=$(printf '%s' "$pkgs" | python3 -c "import sys,re; t=sys.stdin.read(); print(re.sub(r\"\('base-files', '([^']*)'\", lambda m: \"('base-files', '\" + m.group(1) + \"+aot$4'\", t, count=1))" | sed "s/\$4/$version/")
        kver=$(ostree show --repo="$repo" --print-metadata-key=ostree.linux "$from" | tr -d "'")
        ostree commit --repo="$repo" --branch="$branch" --tree=ref="$from" --tree=dir="$d" --no-bindings \
            --add-metadata-string=version="$version" --add-metadata-string=ostree.linux="$kver" \
            --add-metadata=ostree.bootable=true --add-metadata=aptostree.dpkg.pkglist="$pkgs" >/dev/null
        rm -rf "$d"
        ostree rev-parse --repo="$repo" "$branch"
        """#
    let r = try run(["bash", "-c", script, "sh", repo, from, branch, version, marker])
    guard r.status == 0 else { throw TestFailure("commit update: \(r.stderr)") }
    return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
}

private func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

/// Deployments, origins and boot entries (not refs).
private func deploymentsFingerprint(_ s: TestSysroot) throws -> String {
    try run(["sh", "-c", "cd \"$1\" && { ls ostree/deploy/*/deploy boot/loader/entries; cat boot/loader/entries/*.conf ostree/deploy/*/deploy/*.origin; } | sha256sum",
             "sh", s.path]).stdout
}

/// Remotes, rebase, upgrade (check, preview, deploy), reset, against the composed base served
/// over loopback HTTP, with a layered package carried across.
@Suite(.serialized) struct UpdatesTests {
    @Test func rebaseUpgradeAndResetFollowARemoteAndKeepLayeredPackages() throws {
        var lib = TestDeb("aot-lib")
        lib.files = ["/usr/share/aot-lib/marker": "lib\n"]
        let debs = try LocalAptRepo([lib])
        defer { debs.remove() }
        let repo = try ComposedBase.ensure()
        let branch = "test/updates-\(UUID().uuidString.prefix(8))"
        defer { _ = try? run(["ostree", "refs", "--repo=\(repo)", "--delete", branch]) }
        let v1 = try commitUpdate(repo: repo, from: ComposedBase.ref, branch: branch, version: "12.90", marker: "v1")
        let server = try HTTPServer(directory: (repo as NSString).deletingLastPathComponent)
        defer { server.stop() }
        let url = "http://127.0.0.1:\(server.port)/" + (repo as NSString).lastPathComponent

        let s = try ComposedBase.sysroot(sources: debs.sourceLine)
        #expect(try s.direct(["install", "aot-lib"]).status == 0)
        // A base package removed by an override: applied again onto every new base.
        #expect(try s.direct(["override", "remove", "ca-certificates"]).status == 0)
        // Remotes through libostree.
        #expect(try s.direct(["remote", "add", "srv", url, "--no-gpg-verify"]).status == 0)
        #expect(try s.direct(["remote", "list", "-u"]).stdout == "srv  \(url)\n")
        #expect(try s.direct(["remote", "show-url", "srv"]).stdout == url + "\n")
        let again = try s.direct(["remote", "add", "srv", url])
        #expect(again.status == 1 && again.stderr == "error: Remote 'srv' already exists\n")

        // Rebase onto the remote's branch: pulled over HTTP, the layered package applied again.
        let rebase = try s.direct(["rebase", "srv:\(branch)"])
        #expect(rebase.status == 0, "\(rebase.stdout)\(rebase.stderr)")
        var d = try s.deploymentPath()
        #expect(read(d + "/usr/share/aot-update/v1") == "12.90\n" && read(d + "/usr/share/aot-lib/marker") == "lib\n")
        #expect(!FileManager.default.fileExists(atPath: d + "/usr/share/ca-certificates"))
        var top = try #require(try s.deployments().first)
        #expect(top["base-checksum"] as? String == v1 && top["requested-packages"] as? [String] == ["aot-lib"])
        #expect(top["origin"] as? String == "srv:\(branch)")

        // Nothing new: --check exits 77, upgrade changes nothing.
        let none = try s.direct(["upgrade", "--check"])
        #expect(none.status == 77 && none.stdout.contains("No upgrade available."), "\(none.stdout)\(none.stderr)")
        #expect(try s.direct(["upgrade", "--unchanged-exit-77"]).status == 77)

        // A new commit on the server: check and preview see it from metadata, deploy nothing.
        let v2 = try commitUpdate(repo: repo, from: v1, branch: branch, version: "12.91", marker: "v2")
        // (--check and --preview fetch commit objects and move the remote ref; deployments stay.)
        let before = try deploymentsFingerprint(s)
        let check = try s.direct(["upgrade", "--check"])
        #expect(check.status == 0 && check.stdout.contains("Update available: 12.91 (\(v2))"), "\(check.stdout)\(check.stderr)")
        let preview = try s.direct(["upgrade", "--preview"])
        #expect(preview.status == 0 && preview.stdout.contains("Diff: 1 upgraded") && preview.stdout.contains("base-files"), "\(preview.stdout)")
        #expect(try deploymentsFingerprint(s) == before)
        // The upgrade itself, through a static delta the server offers: new base, package
        // kept, old deployment kept for rollback.
        let delta = try run(["ostree", "static-delta", "generate", "--repo=\(repo)", "--from=\(v1)", "--to=\(v2)"])
        try #require(delta.status == 0, "\(delta.stderr)")
        defer { _ = try? run(["ostree", "static-delta", "delete", "--repo=\(repo)", "\(v1)-\(v2)"]) }
        let up = try s.direct(["upgrade"])
        #expect(up.status == 0, "\(up.stdout)\(up.stderr)")
        #expect(up.stdout.contains("Pulled 1 delta part, "), "\(up.stdout)")
        d = try s.deploymentPath()
        #expect(read(d + "/usr/share/aot-update/v2") == "12.91\n" && read(d + "/usr/share/aot-lib/marker") == "lib\n")
        #expect(!FileManager.default.fileExists(atPath: d + "/usr/share/ca-certificates"))
        top = try #require(try s.deployments().first)
        #expect(top["base-checksum"] as? String == v2 && top["version"] as? String == "12.91")
        #expect((top["base-removals"] as? [[String]])?.first?.first == "ca-certificates")
        #expect(try s.deployments()[1]["base-checksum"] as? String == v1)

        // Bad input: clear errors, nothing changed.
        let mid = try s.layeringFingerprint()
        for (args, message) in [(["rebase", "nosuch:\(branch)"], "Remote 'nosuch' not found"),
                                (["rebase", "srv:no/such/branch"], "no/such/branch"),
                                (["remote", "add", "bad", "ftp://x"], "the URL must be http://, https:// or file://")] {
            let r = try s.direct(args)
            #expect(r.status == 1 && r.stderrLines.count == 1 && r.stderr.contains(message), "\(args): \(r.stderr)")
        }
        server.stop()
        let down = try s.direct(["upgrade", "--check"])
        #expect(down.status == 1 && down.stderrLines.count == 1 && down.stderr.contains("Pulling"), "\(down.stderr)")
        #expect(try s.layeringFingerprint() == mid)

        // reset: the same base, nothing layered.
        let reset = try s.direct(["reset"])
        #expect(reset.status == 0, "\(reset.stderr)")
        top = try #require(try s.deployments().first)
        #expect(top["checksum"] as? String == v2 && (top["requested-packages"] as? [String])?.isEmpty == true)
        #expect((top["requested-base-removals"] as? [String])?.isEmpty == true)
        #expect(read(try s.deploymentPath() + "/usr/share/aot-lib/marker") == nil)
        #expect(FileManager.default.fileExists(atPath: try s.deploymentPath() + "/usr/share/ca-certificates"))
        #expect(try s.direct(["remote", "delete", "srv"]).status == 0)
        #expect(try s.direct(["remote", "list"]).stdout.isEmpty)
    }

    @Test func automaticUpdatePolicyChecksThenStagesAndCountMeReportsOncePerWeek() throws {
        let repo = try ComposedBase.ensure()
        let branch = "test/auto-\(UUID().uuidString.prefix(8))"
        defer { _ = try? run(["ostree", "refs", "--repo=\(repo)", "--delete", branch]) }
        _ = try commitUpdate(repo: repo, from: ComposedBase.ref, branch: branch, version: "12.90", marker: "a1")
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("aot-http-\(UUID()).log").path
        defer { try? FileManager.default.removeItem(atPath: log) }
        let server = try HTTPServer(directory: (repo as NSString).deletingLastPathComponent, log: log)
        defer { server.stop() }
        let url = "http://127.0.0.1:\(server.port)/" + (repo as NSString).lastPathComponent
        let s = try ComposedBase.sysroot(sources: "")
        #expect(try s.direct(["remote", "add", "srv", url, "--no-gpg-verify"]).status == 0)
        #expect(try s.direct(["rebase", "srv:\(branch)"]).status == 0)
        let trigger = ["upgrade", "--trigger-automatic-update-policy"]

        // No configuration: policy none, nothing runs, countme sends nothing.
        let before = try deploymentsFingerprint(s)
        let off = try s.direct(trigger)
        #expect(off.status == 0 && off.stdout.contains("Automatic updates are not enabled; exiting..."), "\(off.stdout)\(off.stderr)")
        let quiet = try s.direct(["countme"])
        #expect(quiet.status == 0 && quiet.stdout.contains("Count Me is disabled"), "\(quiet.stdout)\(quiet.stderr)")
        #expect(try deploymentsFingerprint(s) == before)
        #expect(!(read(log) ?? "").contains("countme"))

        // check: the new base's metadata only; status shows the cached update and the run.
        let conf = try s.deploymentPath() + "/etc/apt-ostree/apt-ostreed.conf"
        try FileManager.default.createDirectory(atPath: (conf as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try "[Daemon]\nAutomaticUpdatePolicy=check\n[CountMe]\nEnabled=true\n".write(toFile: conf, atomically: true, encoding: .utf8)
        let v2 = try commitUpdate(repo: repo, from: branch, branch: branch, version: "12.91", marker: "a2")
        let checked = try s.direct(trigger)
        #expect(checked.status == 0 && checked.stdout.contains("Update available: 12.91"), "\(checked.stdout)\(checked.stderr)")
        #expect(try deploymentsFingerprint(s) == before)
        let json = try JSONSerialization.jsonObject(with: Data(try s.direct(["status", "--json"]).stdout.utf8)) as? [String: Any]
        let cached = json?["cached-update"] as? [String: Any]
        #expect(cached?["checksum"] as? String == v2 && cached?["version"] as? String == "12.91")
        let auto = json?["automatic-updates"] as? [String: Any]
        #expect(auto?["policy"] as? String == "check")
        #expect((auto?["last-run"] as? [String: Any])?["result"] as? String == "update available: 12.91")
        let text = try s.direct(["status"]).stdout
        #expect(text.contains("AutomaticUpdates: check; apt-ostreed-automatic.timer: last run "), "\(text)")
        #expect(text.contains("AvailableUpdate:") && text.contains("Version: 12.91") && text.contains("Diff: 1 upgraded"), "\(text)")

        // stage: the update is deployed for the next boot and no longer shown as available.
        try "[Daemon]\nAutomaticUpdatePolicy=stage\n[CountMe]\nEnabled=true\n".write(toFile: conf, atomically: true, encoding: .utf8)
        let staged = try s.direct(trigger)
        #expect(staged.status == 0, "\(staged.stdout)\(staged.stderr)")
        let top = try #require(try s.deployments().first)
        #expect((top["base-checksum"] ?? top["checksum"]) as? String == v2)
        #expect(FileManager.default.fileExists(atPath: try s.deploymentPath() + "/usr/share/aot-update/a2"))
        let after = try JSONSerialization.jsonObject(with: Data(try s.direct(["status", "--json"]).stdout.utf8)) as? [String: Any]
        #expect(after?["cached-update"] is NSNull)
        #expect(((after?["automatic-updates"] as? [String: Any])?["last-run"] as? [String: Any])?["result"] as? String == "staged 12.91")

        // countme: one request to the remote with the age bucket alone, then nothing this week.
        let counted = try s.direct(["countme"])
        #expect(counted.status == 0 && counted.stdout.contains("Counted this week at remote 'srv' (age bucket 1)"), "\(counted.stdout)\(counted.stderr)")
        let again = try s.direct(["countme"])
        #expect(again.status == 0 && again.stdout.contains("Already counted this week"), "\(again.stdout)")
        let requests = (read(log) ?? "").split(separator: "\n").filter { $0.contains("countme") }
        #expect(requests.count == 1)
        #expect(requests.first?.hasPrefix("/\((repo as NSString).lastPathComponent)/countme?countme=1 apt-ostree/") == true, "\(requests)")
    }

    @Test func upgradeThroughTheDaemonPullsAndDeploys() throws {
        let repo = try ComposedBase.ensure()
        let branch = "test/daemon-\(UUID().uuidString.prefix(8))"
        defer { _ = try? run(["ostree", "refs", "--repo=\(repo)", "--delete", branch]) }
        _ = try commitUpdate(repo: repo, from: ComposedBase.ref, branch: branch, version: "12.80", marker: "d1")
        let server = try HTTPServer(directory: (repo as NSString).deletingLastPathComponent)
        defer { server.stop() }
        let url = "http://127.0.0.1:\(server.port)/" + (repo as NSString).lastPathComponent
        let s = try ComposedBase.sysroot(sources: "")
        let d = try TestDaemon(sysroot: s)
        #expect(try d.cli(["remote", "add", "srv", url, "--no-gpg-verify"]).status == 0)
        #expect(try d.cli(["remote", "list"], uid: 65534).stdout == "srv\n")
        let denied = try d.cli(["rebase", "srv:\(branch)"], uid: 65534)
        #expect(denied.status == 1 && denied.stderr.contains("org.debian.aptostree1.rebase"), "\(denied.stderr)")
        let r = try d.cli(["rebase", "srv:\(branch)"])
        #expect(r.status == 0 && r.stdout.contains("Rebased to srv:\(branch) 12.80"), "\(r.stdout)\(r.stderr)")
        let v2 = try commitUpdate(repo: repo, from: branch, branch: branch, version: "12.81", marker: "d2")
        let check = try d.cli(["upgrade", "--check"])
        #expect(check.status == 0 && check.stdout.contains("Update available: 12.81"), "\(check.stdout)\(check.stderr)")
        // Overrides need polkit's override action, not install's.
        let refused = try d.cli(["override", "remove", "ca-certificates"], uid: 65534)
        #expect(refused.status == 1 && refused.stderr.contains("org.debian.aptostree1.override"), "\(refused.stderr)")
        let removed = try d.cli(["override", "remove", "ca-certificates"])
        #expect(removed.status == 0, "\(removed.stdout)\(removed.stderr)")
        let up = try d.cli(["upgrade"])
        #expect(up.status == 0, "\(up.stderr)")
        #expect(try s.deployments().first?["base-checksum"] as? String == v2)
        #expect(try s.deployments().first?["requested-base-removals"] as? [String] == ["ca-certificates"])
        #expect(!FileManager.default.fileExists(atPath: try s.deploymentPath() + "/usr/share/ca-certificates"))
        #expect(try d.cli(["upgrade", "--check"]).status == 77)
        #expect(try d.log().contains("upgrade"))

        // deploy VERSION and deploy CHECKSUM fetch commits the client never had, keep the
        // override, and pin the origin; upgrade unpins.
        let v3 = try commitUpdate(repo: repo, from: branch, branch: branch, version: "12.82", marker: "d3")
        let v4 = try commitUpdate(repo: repo, from: branch, branch: branch, version: "12.83", marker: "d4")
        let deniedDeploy = try d.cli(["deploy", "12.82"], uid: 65534)
        #expect(deniedDeploy.status == 1 && deniedDeploy.stderr.contains("org.debian.aptostree1.deploy"), "\(deniedDeploy.stderr)")
        let byVersion = try d.cli(["deploy", "12.82"])
        #expect(byVersion.status == 0 && byVersion.stdout.contains("Deploying 12.82 (\(v3))"), "\(byVersion.stdout)\(byVersion.stderr)")
        var top = try #require(try s.deployments().first)
        #expect(top["base-checksum"] as? String == v3 && top["override-commit"] as? String == v3)
        #expect(FileManager.default.fileExists(atPath: try s.deploymentPath() + "/usr/share/aot-update/d3"))
        #expect(!FileManager.default.fileExists(atPath: try s.deploymentPath() + "/usr/share/ca-certificates"))
        let byChecksum = try d.cli(["deploy", v4, "--unchanged-exit-77"])
        #expect(byChecksum.status == 0, "\(byChecksum.stdout)\(byChecksum.stderr)")
        top = try #require(try s.deployments().first)
        #expect(top["base-checksum"] as? String == v4 && top["override-commit"] as? String == v4)
        #expect(try d.cli(["deploy", v4, "--unchanged-exit-77"]).status == 77)
        let missing = try d.cli(["deploy", "12.99"])
        #expect(missing.status == 1 && missing.stderr.contains("version 12.99 not found in the history of srv:\(branch)"), "\(missing.stderr)")
        #expect(try d.cli(["upgrade"]).status == 0)
        top = try #require(try s.deployments().first)
        #expect(top["base-checksum"] as? String == v4 && top["override-commit"] == nil)
    }

    @Test func aSignedRemoteRefusesUnsignedAndForeignCommits() throws {
        let repo = try ComposedBase.ensure()
        let branch = "test/signed-\(UUID().uuidString.prefix(8))"
        defer { _ = try? run(["ostree", "refs", "--repo=\(repo)", "--delete", branch]) }
        let commit = try commitUpdate(repo: repo, from: ComposedBase.ref, branch: branch, version: "12.70", marker: "s1")
        // Two GPG keys: the one the remote trusts, and another.
        let keys = FileManager.default.temporaryDirectory.appendingPathComponent("apt-ostree-gpg-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: keys) }
        let gen = try run(["bash", "-c", """
            set -e
            for who in good other; do
                mkdir -p "$1/$who"; chmod 700 "$1/$who"
                gpg --homedir "$1/$who" --batch --passphrase '' --quick-gen-key "apt-ostree $who <$who@example.org>" ed25519 sign never 2>/dev/null
                gpg --homedir "$1/$who" --with-colons --list-keys | awk -F: '/^fpr/ {print $10; exit}' > "$1/$who.id"
            done
            gpg --homedir "$1/good" --armor --export > "$1/good.asc"
            """, "sh", keys])
        try #require(gen.status == 0, "\(gen.stderr)")
        let goodID = try String(contentsOfFile: keys + "/good.id", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let otherID = try String(contentsOfFile: keys + "/other.id", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let server = try HTTPServer(directory: (repo as NSString).deletingLastPathComponent)
        defer { server.stop() }
        let url = "http://127.0.0.1:\(server.port)/" + (repo as NSString).lastPathComponent
        let s = try ComposedBase.sysroot(sources: "")
        let add = try s.direct(["remote", "add", "srv", url, "--gpg-import=\(keys)/good.asc"])
        #expect(add.status == 0, "\(add.stderr)")
        let before = try deploymentsFingerprint(s)

        // Unsigned: refused.
        let unsigned = try s.direct(["rebase", "srv:\(branch)"])
        #expect(unsigned.status == 1 && unsigned.stderrLines.count == 1 && unsigned.stderr.contains("GPG"), "\(unsigned.stderr)")
        // Signed by a key the remote does not trust: refused.
        #expect(try run(["ostree", "gpg-sign", "--repo=\(repo)", "--gpg-homedir=\(keys)/other", commit, otherID]).status == 0)
        let foreign = try s.direct(["rebase", "srv:\(branch)"])
        #expect(foreign.status == 1 && foreign.stderrLines.count == 1 && foreign.stderr.contains("public key not found"), "\(foreign.stderr)")
        #expect(try deploymentsFingerprint(s) == before)
        // Signed by the trusted key: deployed.
        #expect(try run(["ostree", "gpg-sign", "--repo=\(repo)", "--gpg-homedir=\(keys)/good", commit, goodID]).status == 0)
        let signed = try s.direct(["rebase", "srv:\(branch)"])
        #expect(signed.status == 0, "\(signed.stdout)\(signed.stderr)")
        #expect(try s.deployments().first?["checksum"] as? String == commit)
        // A key file that does not exist: no remote is added.
        let missing = try s.direct(["remote", "add", "other", url, "--gpg-import=/nonexistent.asc"])
        #expect(missing.status == 1 && missing.stderr.contains("/nonexistent.asc does not exist"))
        #expect(try s.direct(["remote", "list"]).stdout == "srv\n")
    }

    @Test func aServerThatDropsOrStallsLeavesTheSystemAsItWasAndALaterUpgradeWorks() throws {
        let repo = try ComposedBase.ensure()
        let branch = "test/flaky-\(UUID().uuidString.prefix(8))"
        defer { _ = try? run(["ostree", "refs", "--repo=\(repo)", "--delete", branch]) }
        _ = try commitUpdate(repo: repo, from: ComposedBase.ref, branch: branch, version: "12.60", marker: "f1")
        let served = (repo as NSString).deletingLastPathComponent
        let name = (repo as NSString).lastPathComponent

        let s = try ComposedBase.sysroot(sources: "")
        var server = try HTTPServer(directory: served)
        #expect(try s.direct(["remote", "add", "srv", "http://127.0.0.1:\(server.port)/\(name)", "--no-gpg-verify"]).status == 0)
        #expect(try s.direct(["rebase", "srv:\(branch)"]).status == 0)
        server.stop()
        // The update: 300 new files of random bytes, so the pull has objects to fetch.
        let made = try run(["bash", "-c", """
            set -e
            d=$(mktemp -d); mkdir -p "$d/usr/share/aot-bulk"
            for i in $(seq 300); do head -c 2000 /dev/urandom > "$d/usr/share/aot-bulk/f$i"; done
            kver=$(ostree show --repo="$1" --print-metadata-key=ostree.linux "$2" | tr -d "'")
            ostree commit --repo="$1" --branch="$2" --tree=ref="$2" --tree=dir="$d" --no-bindings \\
                --add-metadata-string=version=12.61 --add-metadata-string=ostree.linux="$kver" --add-metadata=ostree.bootable=true >/dev/null
            rm -rf "$d"; ostree rev-parse --repo="$1" "$2"
            """, "sh", repo, branch])
        try #require(made.status == 0, "\(made.stderr)")
        let v2 = made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        // The remote's URL follows each new server's port.
        func serve(_ fault: HTTPServer.Fault) throws -> HTTPServer {
            let srv = try HTTPServer(directory: served, fault: fault)
            _ = try run(["ostree", "remote", "delete", "--repo=\(s.path)/ostree/repo", "srv"])
            _ = try run(["ostree", "remote", "add", "--repo=\(s.path)/ostree/repo", "--no-gpg-verify", "srv", "http://127.0.0.1:\(srv.port)/\(name)"])
            return srv
        }
        let before = try s.layeringFingerprint()
        let remoteRef = try run(["ostree", "rev-parse", "--repo=\(s.path)/ostree/repo", "srv:\(branch)"]).stdout

        // A server that drops the connection half-way: a clear error, nothing changed.
        server = try serve(.drop(after: 40))
        let dropped = try s.direct(["upgrade"])
        #expect(dropped.status == 1 && dropped.stderrLines.count == 1 && dropped.stderr.contains("Pulling"), "\(dropped.stdout)\(dropped.stderr)")
        #expect(try s.layeringFingerprint() == before)
        #expect(try run(["ostree", "rev-parse", "--repo=\(s.path)/ostree/repo", "srv:\(branch)"]).stdout == remoteRef)
        server.stop()

        // A slow server, interrupted: the pull stops, nothing changed. Progress shows the
        // objects, the rate and the time left.
        server = try serve(.slow(seconds: 0.25))
        let child = try Child([aptOstreeBinary, "upgrade", "--sysroot=\(s.path)"], environment: ["DBUS_SYSTEM_BUS_ADDRESS": "unix:path=/nonexistent"])
        var out = ""
        while !out.contains("Receiving objects: ") {
            let chunk = child.readSomeStdout()
            if chunk.isEmpty { break }
            out += chunk
        }
        Thread.sleep(forTimeInterval: 1.5)
        child.signal(SIGINT)
        let interrupted = child.finish()
        out += interrupted.stdout
        #expect(interrupted.status == 1 && interrupted.stderr.contains("Cancelled"), "\(out)\(interrupted.stderr)")
        #expect(out.contains("Receiving objects: ") && out.contains("/s") && out.contains(" left"), "\(out)")
        #expect(try s.layeringFingerprint() == before)
        server.stop()

        // A good server again: the upgrade completes (objects fetched before are reused).
        server = try serve(.none)
        let good = try s.direct(["upgrade"])
        #expect(good.status == 0 && good.stdout.contains("Pulled "), "\(good.stdout)\(good.stderr)")
        #expect(try s.deployments().first?["checksum"] as? String == v2)
        #expect(FileManager.default.fileExists(atPath: try s.deploymentPath() + "/usr/share/aot-bulk/f300"))
        server.stop()
    }
}
