import AptOstreeModel
import OSTreeKit

/// Maps an origin keyfile to the `Origin` model and writes model changes back into a copy
/// of the keyfile, so keys this version does not know survive an edit.
enum OriginCodec {
    static let originGroup = "origin"
    static let packagesGroup = "packages"
    static let overridesGroup = "overrides"
    static let aptostreeGroup = "aptostree"

    /// Reads the model from a keyfile.
    static func decode(_ kf: KeyFile) -> Origin {
        var o = Origin()
        o.refspec = kf.string(originGroup, "refspec") ?? kf.string(originGroup, "baserefspec")
        o.containerImageReference = kf.string(originGroup, "container-image-reference")
        o.overrideCommit = kf.string(originGroup, "override-commit")
        o.requestedPackages = kf.stringList(packagesGroup, "requested")
        o.requestedLocalPackages = kf.stringList(packagesGroup, "requested-local")
        o.overrideRemove = kf.stringList(overridesGroup, "remove")
        o.overrideReplaceLocal = kf.stringList(overridesGroup, "replace-local")
        o.overrideReplace = kf.stringList(overridesGroup, "replace")
        o.regenerateInitramfs = kf.bool(aptostreeGroup, "regenerate-initramfs") ?? false
        o.initramfsArgs = kf.stringList(aptostreeGroup, "initramfs-args")
        o.initramfsEtc = kf.stringList(aptostreeGroup, "initramfs-etc")
        return o
    }

    /// A copy of `base` (or a new keyfile) carrying `origin`.
    static func encode(_ origin: Origin, over base: KeyFile?) throws -> KeyFile {
        let kf = try base?.copy() ?? KeyFile()
        kf.remove(originGroup, "refspec")
        kf.remove(originGroup, "baserefspec")
        if let r = origin.refspec {
            kf.set(originGroup, origin.hasLayering ? "baserefspec" : "refspec", r)
        }
        if let c = origin.containerImageReference { kf.set(originGroup, "container-image-reference", c) }
        if let c = origin.overrideCommit {
            kf.set(originGroup, "override-commit", c)
        } else {
            kf.remove(originGroup, "override-commit")
        }
        kf.set(packagesGroup, "requested", list: origin.requestedPackages)
        kf.set(packagesGroup, "requested-local", list: origin.requestedLocalPackages)
        kf.set(overridesGroup, "remove", list: origin.overrideRemove)
        kf.set(overridesGroup, "replace-local", list: origin.overrideReplaceLocal)
        kf.set(overridesGroup, "replace", list: origin.overrideReplace)
        if origin.regenerateInitramfs {
            kf.set(aptostreeGroup, "regenerate-initramfs", bool: true)
        } else {
            kf.remove(aptostreeGroup, "regenerate-initramfs")
        }
        kf.set(aptostreeGroup, "initramfs-args", list: origin.initramfsArgs)
        kf.set(aptostreeGroup, "initramfs-etc", list: origin.initramfsEtc)
        return kf
    }
}
