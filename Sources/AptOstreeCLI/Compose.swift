import ArgumentParser
import AptOstreeModel
import AptOstreePOSIX

/// What `compose` asks of the engine; composing needs libostree and root, so it always runs
/// in-process (the thin client re-executes itself as `apt-ostreed --direct`).
public protocol Composer: Sendable {
    func composeTree(_ request: ComposeTreeRequest, progress: ProgressSink) throws -> ComposeOutcome
    func composeImage(_ request: ComposeImageRequest, progress: ProgressSink) throws
}

extension InProcess {
    /// The composer, when this process has the engine.
    nonisolated(unsafe) public static var composer: Composer?
}

/// The composer of this process, or this process becomes one (never returns then).
func composer() throws -> Composer {
    if let c = InProcess.composer { return c }
    try execDirect()
}

extension AptOstree {
    /// `compose`: build base trees and disk images.
    struct Compose: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Commands to compose a tree",
            subcommands: [Tree.self, Image.self])
    }
}

extension AptOstree.Compose {
    /// `compose tree MANIFEST --repo=REPO`.
    struct Tree: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Process a manifest: bootstrap with mmdebstrap, commit to an OSTree repository",
            discussion: "Exits 77 when nothing changed since the ref's previous commit (same manifest, same archive state).")

        @Argument(help: ArgumentHelp("The YAML (or JSON) manifest.", valueName: "MANIFEST"))
        var manifest: String

        @Option(name: [.customShort("r"), .long], help: ArgumentHelp("Path to OSTree repository", valueName: "REPO"))
        var repo: String

        @Option(help: ArgumentHelp("Cached state: apt lists and downloaded packages, kept between composes", valueName: "CACHEDIR"))
        var cachedir: String?

        @Option(help: ArgumentHelp("Working directory", valueName: "WORKDIR"))
        var workdir: String?

        @Flag(name: .customLong("dry-run"), help: "Just print the transaction and exit")
        var dryRun = false

        @Flag(name: .customLong("force-nocache"), help: "Always create a new OSTree commit, even if nothing appears to have changed")
        var forceNocache = false

        @Option(name: .customLong("add-metadata-string"), help: ArgumentHelp("Append given key and value (in string format) to metadata", valueName: "KEY=VALUE"))
        var metadataStrings: [String] = []

        @Option(name: .customLong("write-commitid-to"), help: ArgumentHelp("File to write the composed commitid to instead of updating the ref", valueName: "FILE"))
        var writeCommitidTo: String?

        @Option(help: ArgumentHelp("Commit with specific parent", valueName: "REV"))
        var parent: String?

        @Option(name: .customLong("touch-if-changed"), help: ArgumentHelp("Update the modification time on FILE if a new commit was created", valueName: "FILE"))
        var touchIfChanged: String?

        @Flag(name: .customLong("unified-core"), help: "Accepted for rpm-ostree compatibility: composing is always one process")
        var unifiedCore = false

        @Flag(name: .shortAndLong, help: "Print only errors")
        var quiet = false

        func run() throws {
            var request = ComposeTreeRequest(manifest: manifest, repo: repo)
            request.cachedir = cachedir
            request.workdir = workdir
            request.dryRun = dryRun
            request.forceNocache = forceNocache
            request.metadataStrings = metadataStrings
            request.writeCommitidTo = writeCommitidTo
            request.parent = parent
            request.touchIfChanged = touchIfChanged
            let progress: ProgressSink = quiet ? SilentProgress() : TerminalProgress()
            if try composer().composeTree(request, progress: progress) == .unchanged {
                throw ExitCode(ExitStatus.unchanged)
            }
        }
    }

    /// `compose image MANIFEST_OR_REF --repo=REPO --format=raw|qcow2 OUTPUT`.
    struct Image: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a bootable disk image (BIOS, MBR, extlinux) holding a sysroot with the commit deployed",
            discussion: "With a manifest, the tree is composed first (nothing new is committed when nothing changed).")

        @Argument(help: ArgumentHelp("A manifest file, or a ref in the repository.", valueName: "MANIFEST_OR_REF"))
        var source: String

        @Argument(help: ArgumentHelp("The image file (or, with --format=sysroot, the folder) to write.", valueName: "OUTPUT"))
        var output: String

        @Option(name: [.customShort("r"), .long], help: ArgumentHelp("Path to OSTree repository", valueName: "REPO"))
        var repo: String

        @Option(help: ArgumentHelp("raw or qcow2 (a disk), or sysroot (OUTPUT is a folder made into a sysroot)", valueName: "FORMAT"))
        var format: String = "raw"

        @Option(help: ArgumentHelp("Disk size, e.g. 4G or 2048M (default 4G; raw images are sparse)", valueName: "SIZE"))
        var size: String = "4G"

        @Option(name: [.customLong("os"), .customLong("stateroot")], help: ArgumentHelp("Stateroot name (default: the manifest's osname, else debian)", valueName: "NAME"))
        var osname: String?

        @Option(name: .customLong("karg"), help: ArgumentHelp("An extra kernel argument", valueName: "KARG"))
        var kargs: [String] = []

        @Option(help: ArgumentHelp("Cached state for composing a manifest", valueName: "CACHEDIR"))
        var cachedir: String?

        @Option(help: ArgumentHelp("Working directory", valueName: "WORKDIR"))
        var workdir: String?

        @Flag(name: .shortAndLong, help: "Print only errors")
        var quiet = false

        func validate() throws {
            guard ["raw", "qcow2", "sysroot"].contains(format) else { throw ValidationError("--format must be raw, qcow2 or sysroot, not '\(format)'") }
            guard Self.parseSize(size) != nil else { throw ValidationError("--size must be a number with K, M, G or T, not '\(size)'") }
        }

        /// `4G`, `512M`, `1T`, or bytes.
        static func parseSize(_ text: String) -> UInt64? {
            let units: [Character: UInt64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]
            if let last = text.last?.uppercased().first, let unit = units[last] {
                return UInt64(text.dropLast()).map { $0 * unit }
            }
            return UInt64(text)
        }

        func run() throws {
            var request = ComposeImageRequest(source: source, repo: repo, format: format, output: output)
            request.size = Self.parseSize(size) ?? request.size
            request.osname = osname
            request.kernelArgs = kargs
            request.cachedir = cachedir
            request.workdir = workdir
            try composer().composeImage(request, progress: quiet ? SilentProgress() : TerminalProgress())
        }
    }
}
