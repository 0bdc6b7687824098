import AptOstreeModel
import AptOstreePOSIX
import OSTreeKit
#if canImport(Glibc)
import Glibc
#endif

/// `kargs`: show or change the kernel command line. A change writes a new deployment of
/// the same commit and origin with the new arguments; the old one stays for rollback.
public struct KernelArgsChange {
    /// The request, in rpm-ostree's terms.
    public typealias Request = KargsRequest

    /// The outcome.
    public struct Result: Sendable, Equatable {
        /// The command line before.
        public var before: String
        /// The command line after (equal to before when nothing changed).
        public var after: String
        /// Whether a new deployment was written.
        public var deployed: Bool
        /// Whether the arguments differ.
        public var changed: Bool { before != after }
    }

    let context: SysrootContext
    let progress: ProgressSink

    /// Makes the operation.
    public init(context: SysrootContext, progress: ProgressSink) {
        self.context = context
        self.progress = progress
    }

    /// The deployment the request starts from.
    func source(_ request: Request) throws -> Deployment {
        if let i = request.deployIndex {
            let all = context.sysroot.deployments
            guard i >= 0, i < all.count else {
                throw AptOstreeError(.invalidArgument, "Out of range deployment index \(i), expected < \(all.count)")
            }
            return all[i]
        }
        return try context.defaultDeployment(of: try context.osname())
    }

    /// The command line the request starts from (what a plain `kargs` prints).
    public func current(_ request: Request) throws -> String {
        if request.importProcCmdline {
            let text = try FileText.read(request.procCmdlinePath)
            // The boot loader adds these; they do not belong in a deployment's entry.
            return KernelArgs(text).strv.filter { !$0.hasPrefix("BOOT_IMAGE=") && !$0.hasPrefix("initrd=") }
                .joined(separator: " ")
        }
        return try source(request).kernelArguments
    }

    /// Applies the edits to `existing`, in rpm-ostree's order: delete, replace, append,
    /// append-if-missing, delete-if-present (against the original list).
    public static func apply(_ request: Request, to existing: String) throws -> String {
        if let final = request.finalArgs {
            let k = KernelArgs(final)
            guard k.lastValue("ostree") == nil else {
                throw AptOstreeError(.invalidArgument, "You have an 'ostree' argument in your input, that is not going to be handled")
            }
            guard !k.strv.isEmpty else { throw AptOstreeError(.invalidArgument, "The kernel arguments can not be empty") }
            // Keep libostree's own ostree= argument where it was.
            let ostreeArg = KernelArgs(existing).strv.filter { $0.hasPrefix("ostree=") }
            return (k.strv + ostreeArg).joined(separator: " ")
        }
        for (flag, args) in [("--append", request.append), ("--append-if-missing", request.appendIfMissing),
                             ("--delete", request.delete), ("--delete-if-present", request.deleteIfPresent),
                             ("--replace", request.replace)] {
            for a in args { try validate(a, flag: flag) }
        }
        let original = KernelArgs(existing).strv
        let k = KernelArgs(existing)
        for a in request.delete {
            try withContext("--delete=\(a)") { try k.delete(a) }
        }
        for a in request.replace {
            try withContext("--replace=\(a)") { try k.replace(a) }
        }
        for a in request.append { k.append(a) }
        for a in request.appendIfMissing where !k.strv.contains(a) { k.append(a) }
        for a in request.deleteIfPresent where original.contains(a) {
            try withContext("--delete-if-present=\(a)") { try k.delete(a) }
        }
        return k.string
    }

    /// A kernel argument must be one word (spaces only inside double quotes), with a key,
    /// printable, and must not touch libostree's own `ostree=`.
    static func validate(_ arg: String, flag: String) throws {
        func bad(_ why: String) -> AptOstreeError {
            AptOstreeError(.invalidArgument, "Invalid kernel argument \(quoted(arg)) for \(flag): \(why)")
        }
        guard !arg.isEmpty else { throw bad("empty") }
        guard !arg.hasPrefix("=") else { throw bad("missing key before '='") }
        guard !arg.unicodeScalars.contains(where: isControl) else {
            throw bad("contains a control character")
        }
        var inQuotes = false
        for c in arg {
            if c == "\"" { inQuotes.toggle() }
            if c == " " && !inQuotes { throw bad("contains a space outside quotes (pass one argument per flag)") }
        }
        guard !inQuotes else { throw bad("unbalanced double quote") }
        let key = arg.split(separator: "=", maxSplits: 1).first.map(String.init) ?? arg
        guard key != "ostree" else { throw bad("'ostree' is managed by libostree") }
    }

    /// Runs the request: computes the new command line and, unless print-only or unchanged,
    /// writes the new deployment under the sysroot lock.
    public func run(_ request: Request) throws -> Result {
        if request.printOnly || !request.isModification {
            let before = try current(request)
            let after = request.isModification ? try Self.apply(request, to: before) : before
            return Result(before: before, after: after, deployed: false)
        }
        return try context.withLock(progress: progress) {
            let src = request.importProcCmdline ? try context.defaultDeployment(of: try context.osname())
                                                : try source(request)
            let before = try current(request)
            let after = try Self.apply(request, to: before)
            // rpm-ostree compares what was asked against the source entry: an import of the
            // running command line that differs from the entry is a change too.
            guard after != src.kernelArguments else {
                progress.message("No changes.")
                return Result(before: before, after: after, deployed: false)
            }
            let finalArgs = KernelArgs(after).strv
            // Last line of defence before libostree writes a boot entry: one bad byte there
            // corrupts the entry after the boot config swap, past any undo.
            for a in finalArgs where a.unicodeScalars.contains(where: isControl) {
                throw AptOstreeError(.invalidArgument, "Refusing kernel argument \(quoted(a)): contains a control character")
            }
            guard !finalArgs.isEmpty else { throw AptOstreeError(.invalidArgument, "The kernel arguments can not be empty") }
            let origin = src.origin.map(OriginCodec.decode) ?? Origin()
            _ = try DeploymentWriter(context: context, progress: progress).write(
                osname: src.osname, revision: src.checksum, origin: origin, originBase: src.origin,
                kernelArgs: finalArgs)
            progress.message("Kernel arguments updated.")
            return Result(before: before, after: after, deployed: true)
        }
    }
}

/// Whether `u` is an ASCII control character (which no kernel argument may hold).
func isControl(_ u: Unicode.Scalar) -> Bool { u.value < 0x20 || u.value == 0x7f }

/// `'text'` with control characters shown as escapes, so an error stays on one line.
func quoted(_ s: String) -> String {
    var out = "'"
    for u in s.unicodeScalars {
        switch u {
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case _ where isControl(u): out += "\\x" + String(u.value, radix: 16)
        default: out.unicodeScalars.append(u)
        }
    }
    return out + "'"
}
