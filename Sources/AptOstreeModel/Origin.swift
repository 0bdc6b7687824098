/// What the user asked a deployment to be, as stored in its origin keyfile, in rpm-ostree's
/// shape: `[origin] refspec=` (or `baserefspec=` once packages are layered,
/// `container-image-reference=`, `override-commit=`), `[packages] requested=` and
/// `requested-local=`, `[overrides] remove=`, `replace-local=`, `replace=`, and
/// `[aptostree] regenerate-initramfs=`, `initramfs-args=`, `initramfs-etc=`.
public struct Origin: Equatable, Sendable {
    /// The ref (`remote:ref` or `ref`) or checksum the base comes from.
    public var refspec: String?
    /// A container image reference, when the base is an image.
    public var containerImageReference: String?
    /// A commit pinned by `deploy REVISION`; `upgrade` clears it.
    public var overrideCommit: String?
    /// Packages to layer, by name.
    public var requestedPackages: [String] = []
    /// Local .deb files kept in the repo: `sha256:name`.
    public var requestedLocalPackages: [String] = []
    /// Base packages to remove.
    public var overrideRemove: [String] = []
    /// Base packages replaced by local .debs: `sha256:name`.
    public var overrideReplaceLocal: [String] = []
    /// Base packages replaced from apt sources: `name=version`.
    public var overrideReplace: [String] = []
    /// Whether the initramfs is regenerated client side.
    public var regenerateInitramfs = false
    /// Extra arguments for the initramfs generator.
    public var initramfsArgs: [String] = []
    /// /etc files tracked into an overlay initramfs.
    public var initramfsEtc: [String] = []

    /// An origin that follows `refspec`.
    public init(refspec: String? = nil) { self.refspec = refspec }

    /// Whether anything is layered or overridden on the base (rpm-ostree then writes
    /// `baserefspec` instead of `refspec`).
    public var hasLayering: Bool {
        !requestedPackages.isEmpty || !requestedLocalPackages.isEmpty || !overrideRemove.isEmpty
            || !overrideReplaceLocal.isEmpty || !overrideReplace.isEmpty
    }
}
