import AptOstreeModel
import AptOstreePOSIX
import OSTreeKit

/// `refresh-md`: apt's package lists for the machine's sources (the booted, or default,
/// deployment's /etc/apt) into the stateroot's cache, which install, search and info read.
public struct RefreshMetadata {
    let context: SysrootContext
    let progress: ProgressSink

    public init(context: SysrootContext, progress: ProgressSink) {
        self.context = context
        self.progress = progress
    }

    public func run() throws {
        let apt = try PackageLayering(context: context, progress: progress).aptForDeployment()
        progress.message("Updating package lists")
        try apt.update(progress: progress)
        progress.message("Package lists are current")
    }
}

extension PackageLayering {
    /// apt over the default (pending, else booted) deployment as it is: the machine's
    /// /etc/apt and that deployment's dpkg database (what search and info compare against).
    func aptForDeployment() throws -> DeploymentApt {
        let osname = try context.osname()
        let d = try context.sourceDeployment(of: osname)
        let dir = deploymentPath(d)
        let status = dir + "/usr/lib/sysimage/dpkg/status"
        guard FS.kind(status) == .regular else {
            throw AptOstreeError(.failed, "Deployment \(d.id) has no dpkg database (/usr/lib/sysimage/dpkg/status); it was not composed for apt-ostree")
        }
        let arch = Deb822.parse(try FileText.read(status)).first { $0["Package"] == "dpkg" }?["Architecture"] ?? "amd64"
        let states = dir + "/usr/lib/sysimage/apt/extended_states"
        return DeploymentApt(etcApt: context.etcRoot(of: osname, fallback: d) + "/etc/apt", status: status,
                             extendedStates: FS.kind(states) == .regular ? states : "/dev/null",
                             cache: context.varDirectory(osname: osname) + "/cache/apt-ostree", architecture: arch)
    }
}
