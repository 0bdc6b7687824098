#!/usr/bin/env python3
"""The crash harness: runs each operation against a real sysroot with a failpoint set
(APT_OSTREE_FAILPOINTS, in fail and abort mode) or killed with SIGKILL after a random delay,
then checks the sysroot: the deployment set is the old one or the complete new one and nothing
in between, every origin parses (libostree and apt-ostree both read them), `ostree fsck` is
clean, no lock is held, and the next transaction succeeds. Prints a table.

Run by bench/crash/run.sh, which prepares the base; see there for the options."""
import argparse, json, os, random, shutil, signal, subprocess, sys, tempfile, time

FAILPOINTS = {
    "install": ["resolve.after", "download.after", "dpkg.mid", "layer.after-commit", "deploy.before", "deploy.after-tree", "deploy.after"],
    "uninstall": ["layer.after-commit", "deploy.before", "deploy.after-tree", "deploy.after"],
    "upgrade": ["pull.mid", "pull.after", "deploy.before", "deploy.after-tree", "deploy.after"],
    "kargs": ["deploy.before", "deploy.after-tree", "deploy.after"],
    "rollback": ["deploy.before", "deploy.after"],
    "cleanup": ["deploy.before", "cleanup.mid"],
}
PKG = "aot-crash"


class Harness:
    def __init__(self, args):
        self.args = args
        self.bin = args.bin
        self.work = tempfile.mkdtemp(prefix="apt-ostree-crash-", dir="/var/tmp")
        self.sysroot = self.work + "/sysroot"
        self.remote = self.work + "/remote"
        self.problems = []
        self.unreached = []
        self.serial = 0

    # --- running things ---------------------------------------------------------------
    def sh(self, argv, check=True, env=None):
        r = subprocess.run(argv, capture_output=True, text=True, env=env)
        if check and r.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} exited {r.returncode}: {r.stderr.strip()[-400:]}")
        return r

    def env(self, failpoints=None):
        e = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS="unix:path=/nonexistent", LC_ALL="C.UTF-8")
        e.pop("APT_OSTREE_FAILPOINTS", None)
        if failpoints:
            e["APT_OSTREE_FAILPOINTS"] = failpoints
        return e

    def aot(self, *args, check=True):
        return self.sh([self.bin, *args, f"--sysroot={self.sysroot}"], check=check, env=self.env())

    # --- setup ------------------------------------------------------------------------
    def setup(self):
        a = self.args
        self.sh([self.bin, "compose", "image", a.ref, self.sysroot, "--format=sysroot", f"--repo={a.repo}", "-q"])
        self.sh(["ostree", f"--repo={self.sysroot}/ostree/repo", "config", "set", "core.fsync", "false"])
        self.publish()
        # A remote the upgrades come from: the base, then one more commit per upgrade trial.
        self.sh(["ostree", "init", f"--repo={self.remote}", "--mode=archive"])
        self.sh(["ostree", "pull-local", f"--repo={self.remote}", a.repo, a.ref])
        self.aot("remote", "add", "crash", "file://" + self.remote, "--no-gpg-verify")
        self.aot("rebase", f"crash:{a.ref}")

    def publish(self):
        """A new version of the tiny package in a new local apt repository, made the default
        deployment's only source: each install resolves anew, so no layer is reused and
        dpkg runs every time."""
        self.pkgver = getattr(self, "pkgver", 0) + 1
        v, pkg, repo = f"1.{self.pkgver}", self.work + "/pkg", self.work + f"/apt-{self.pkgver}"
        shutil.rmtree(pkg, ignore_errors=True)
        os.makedirs(pkg + "/DEBIAN"); os.makedirs(pkg + "/usr/bin"); os.makedirs(repo)
        with open(pkg + "/usr/bin/" + PKG, "w") as f:
            f.write(f"#!/bin/sh\necho crash {v}\n")
        os.chmod(pkg + "/usr/bin/" + PKG, 0o755)
        with open(pkg + "/DEBIAN/control", "w") as f:
            f.write(f"Package: {PKG}\nVersion: {v}\nArchitecture: all\nMaintainer: apt-ostree <apt-ostree@localhost>\n"
                    "Description: the crash harness's package\n")
        with open(pkg + "/DEBIAN/postinst", "w") as f:
            f.write("#!/bin/sh\nsleep 0.5\n")
        os.chmod(pkg + "/DEBIAN/postinst", 0o755)
        self.sh(["dpkg-deb", "--root-owner-group", "-b", pkg, repo + f"/{PKG}_{v}_all.deb"])
        packages = subprocess.run(["dpkg-scanpackages", "."], cwd=repo, capture_output=True, text=True).stdout
        with open(repo + "/Packages", "w") as f:
            f.write(packages)
        with open(self.deployment_path(0) + "/etc/apt/sources.list", "w") as f:
            f.write(f"deb [trusted=yes] file:{repo} ./\n")

    def new_remote_commit(self):
        a, r = self.args, self.remote
        self.serial += 1
        d = tempfile.mkdtemp(dir=self.work)
        os.makedirs(d + "/usr/share/aot-crash")
        with open(d + f"/usr/share/aot-crash/{self.serial}", "w") as f:
            f.write(f"{self.serial}\n")
        show = lambda k: self.sh(["ostree", f"--repo={r}", "show", f"--print-metadata-key={k}", a.ref]).stdout.strip()
        pkgs, kver = show("aptostree.dpkg.pkglist"), show("ostree.linux").strip("'")
        self.sh(["ostree", f"--repo={r}", "commit", f"--branch={a.ref}", f"--tree=ref={a.ref}", f"--tree=dir={d}", "--no-bindings",
                 f"--add-metadata-string=version=99.{self.serial}", f"--add-metadata-string=ostree.linux={kver}",
                 "--add-metadata=ostree.bootable=true", f"--add-metadata=aptostree.dpkg.pkglist={pkgs}"])
        shutil.rmtree(d)
        return self.sh(["ostree", f"--repo={r}", "rev-parse", a.ref]).stdout.strip()

    # --- observing --------------------------------------------------------------------
    def deployments(self):
        return json.loads(self.aot("status", "--json").stdout)["deployments"]

    def deployment_path(self, i):
        d = self.deployments()[i]
        return f"{self.sysroot}/ostree/deploy/{d['osname']}/deploy/{d['checksum']}.{d['serial']}"

    def fingerprint(self):
        """The listed deployments in order, their origins and boot entries."""
        out = []
        for d in self.deployments():
            path = f"{self.sysroot}/ostree/deploy/{d['osname']}/deploy/{d['checksum']}.{d['serial']}"
            with open(path + ".origin") as f:
                out.append((d["checksum"], d["serial"], f.read()))
        entries = sorted(os.listdir(self.sysroot + "/boot/loader/entries"))
        for e in entries:
            with open(self.sysroot + "/boot/loader/entries/" + e) as f:
                out.append((e, f.read()))
        return out

    def layered(self):
        top = self.deployments()[0]
        return PKG in (top.get("requested-packages") or [])

    def invariants(self):
        """What must hold after any interruption; returns the broken ones."""
        bad = []
        r = self.sh(["flock", "-n", "-E", "75", self.sysroot + "/ostree/lock", "true"], check=False)
        if r.returncode != 0:
            bad.append("the sysroot lock is still held")
        r = self.sh(["ostree", "admin", "status", f"--sysroot={self.sysroot}"], check=False)
        if r.returncode != 0:
            bad.append("ostree admin status fails: " + r.stderr.strip()[:200])
        r = self.aot("status", "--json", check=False)
        if r.returncode != 0:
            bad.append("apt-ostree status fails: " + r.stderr.strip()[:200])
        else:
            for d in json.loads(r.stdout)["deployments"]:
                path = f"{self.sysroot}/ostree/deploy/{d['osname']}/deploy/{d['checksum']}.{d['serial']}"
                if not os.path.isdir(path + "/usr"):
                    bad.append(f"listed deployment {d['checksum'][:12]}.{d['serial']} has no tree")
                if not d.get("origin") and not d.get("base-checksum"):
                    bad.append(f"deployment {d['checksum'][:12]}.{d['serial']} has no parseable origin")
        if self.args.fsck:
            r = self.sh(["ostree", "fsck", f"--repo={self.sysroot}/ostree/repo", "--quiet"], check=False)
            if r.returncode != 0:
                bad.append("ostree fsck: " + (r.stderr or r.stdout).strip()[-300:])
        return bad

    # --- operations -------------------------------------------------------------------
    def prepare(self, op, trial):
        """Brings the sysroot to the state the operation starts from; returns its command
        and a check that the complete new state holds."""
        if op == "install":
            if self.layered():
                self.aot("uninstall", PKG)
            self.publish()
            return ["install", PKG], lambda: self.layered() and os.path.exists(self.deployment_path(0) + f"/usr/bin/{PKG}")
        if op == "uninstall":
            if not self.layered():
                self.aot("install", PKG)
            return ["uninstall", PKG], lambda: not self.layered() and not os.path.exists(self.deployment_path(0) + f"/usr/bin/{PKG}")
        if self.layered():
            self.aot("uninstall", PKG)
        if op == "upgrade":
            head = self.new_remote_commit()
            return ["upgrade"], lambda: self.deployments()[0].get("checksum") == head
        if op == "kargs":
            arg = f"aot.trial={trial}"
            return ["kargs", f"--append={arg}"], lambda: arg in self.boot_options(0)
        if len(self.deployments()) < 2:
            self.aot("kargs", f"--append=aot.prep={trial}")
        deps = self.deployments()
        if op == "rollback":
            second = (deps[1]["checksum"], deps[1]["serial"])
            return ["rollback"], lambda: (self.deployments()[0]["checksum"], self.deployments()[0]["serial"]) == second
        if op == "cleanup":
            first, n = (deps[0]["checksum"], deps[0]["serial"]), len(deps)
            return ["cleanup", "-r"], lambda: len(self.deployments()) == n - 1 and (self.deployments()[0]["checksum"], self.deployments()[0]["serial"]) == first
        raise ValueError(op)

    def boot_options(self, i):
        return self.deployments()[i].get("kernel-args") or []

    def run_faulted(self, command, failpoint=None, delay=None):
        argv = [self.bin, *command, f"--sysroot={self.sysroot}"]
        p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=self.env(failpoint),
                             start_new_session=True)
        if delay is not None:
            try:
                p.wait(timeout=delay)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        # What the killed process started may still run (apt's download method, dpkg in
        # the sandbox die with it; give the rest a moment).
        time.sleep(0.2)
        return p.returncode

    def trial(self, op, n, failpoint=None, delay=None):
        command, became_new = self.prepare(op, n)
        before = self.fingerprint()
        rc = self.run_faulted(command, failpoint, delay)
        bad = self.invariants()
        state = "?"
        if not bad:
            after = self.fingerprint()
            if after == before:
                state = "old"
            elif became_new():
                state = "new"
            else:
                bad.append("the deployments are neither the old set nor the new one")
        if not bad:
            # The next transaction: the same operation again, clean, must succeed (or find
            # nothing to do, exit 77); then the sysroot is ready for the next trial.
            if state == "old":
                r = self.sh([self.bin, *command, f"--sysroot={self.sysroot}"], check=False, env=self.env())
                if r.returncode not in (0, 77):
                    bad.append(f"the next transaction ({' '.join(command)}) failed: {r.stderr.strip()[:200]}")
            else:
                r = self.aot("kargs", f"--append=aot.next={n}", check=False)
                if r.returncode != 0:
                    bad.append(f"the next transaction (kargs) failed: {r.stderr.strip()[:200]}")
        how = failpoint or f"kill -9 after {delay:.2f}s"
        if failpoint and rc == 0:
            self.unreached.append(f"{op} / {failpoint}")
        if bad:
            self.problems.append(f"{op} / {how} (exit {rc}): " + "; ".join(bad))
        if self.args.verbose:
            print(f"  {op:9} {how:34} exit {rc:4} -> {state}{'  INCONSISTENT: ' + '; '.join(bad) if bad else ''}", flush=True)
        return not bad

    def clean_duration(self, op):
        command, _ = self.prepare(op, 0)
        start = time.monotonic()
        self.sh([self.bin, *command, f"--sysroot={self.sysroot}"], env=self.env())
        return time.monotonic() - start

    def run(self):
        a = self.args
        rng = random.Random(a.seed)
        rows = []
        for op in a.ops:
            duration = self.clean_duration(op)
            plan = []
            for i, fp in enumerate(FAILPOINTS[op]):
                modes = ["fail", "abort"] if not a.quick else [("abort", "fail")[i % 2]]
                plan += [(f"{fp}={m}", None) for m in modes]
            plan += [(None, rng.uniform(0.05, duration * 1.1)) for _ in range(max(a.trials - len(plan), a.kills))]
            ok = sum(self.trial(op, n, fp, delay) for n, (fp, delay) in enumerate(plan, 1))
            rows.append((op, len(plan), ok, len(plan) - ok, duration))
            print(f"{op}: {len(plan)} trials, {len(plan) - ok} inconsistent (clean run {duration:.1f} s)", flush=True)
        print()
        print(f"{'operation':10} {'trials':>7} {'consistent':>11} {'inconsistent':>13}")
        for op, t, ok, bad, _ in rows:
            print(f"{op:10} {t:7} {ok:11} {bad:13}")
        total = sum(r[1] for r in rows)
        bad = sum(r[3] for r in rows)
        print(f"{'total':10} {total:7} {total - bad:11} {bad:13}")
        for p in self.problems:
            print("inconsistent: " + p)
        for u in self.unreached:
            print("failpoint not reached (the operation had no such step): " + u)
        return 0 if bad == 0 else 1

    def close(self):
        subprocess.run(["sh", "-c", 'chattr -i "$1"/ostree/deploy/*/deploy/* 2>/dev/null; rm -rf "$2"', "sh", self.sysroot, self.work])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bin", required=True)
    p.add_argument("--repo", required=True)
    p.add_argument("--ref", required=True)
    p.add_argument("--ops", default="install,uninstall,upgrade,kargs,rollback,cleanup")
    p.add_argument("--trials", type=int, default=50, help="trials per operation (failpoints first, then random kills)")
    p.add_argument("--kills", type=int, default=2, help="at least this many random kills per operation")
    p.add_argument("--quick", action="store_true", help="each failpoint in one mode only")
    p.add_argument("--no-fsck", dest="fsck", action="store_false")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("-v", "--verbose", action="store_true")
    a = p.parse_args()
    a.ops = [o for o in a.ops.split(",") if o]
    for o in a.ops:
        if o not in FAILPOINTS:
            p.error(f"unknown operation {o}")
    h = Harness(a)
    try:
        h.setup()
        sys.exit(h.run())
    finally:
        h.close()


if __name__ == "__main__":
    main()
