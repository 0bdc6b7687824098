import CLibOSTree

/// A kernel command line, edited with libostree's OstreeKernelArgs (the same rules as
/// `ostree admin kargs` and rpm-ostree: `KEY`, `KEY=VALUE`, repeated keys kept in order).
public final class KernelArgs: @unchecked Sendable {
    let pointer: OpaquePointer

    /// Parses a command line such as the `options` line of a boot entry. Line breaks and
    /// tabs separate words as spaces do (`/proc/cmdline` ends in a newline, and a newline
    /// inside a boot entry's `options` line would corrupt the entry).
    public init(_ commandLine: String) {
        let flat = String(commandLine.map { $0 == "\n" || $0 == "\t" || $0 == "\r" ? " " : $0 })
        pointer = ostree_kernel_args_from_string(flat)
    }

    deinit { ostree_kernel_args_free(pointer) }

    /// The arguments in order (libostree keeps empty words from repeated spaces; they are dropped).
    public var strv: [String] { takeStrv(ostree_kernel_args_to_strv(pointer)).filter { !$0.isEmpty } }

    /// The command line as one string.
    public var string: String { takeString(ostree_kernel_args_to_string(pointer)) ?? "" }

    /// The last value of `key`, nil when the key is absent, "" for a bare key.
    public func lastValue(_ key: String) -> String? {
        guard let v = ostree_kernel_args_get_last_value(pointer, key) else { return nil }
        return String(cString: v)
    }

    /// Appends `arg` (`KEY` or `KEY=VALUE`), keeping earlier values of the same key.
    public func append(_ arg: String) {
        ostree_kernel_args_append(pointer, arg)
    }

    /// Deletes `arg`: a `KEY=VALUE` pair, or a bare `KEY` that has a single value.
    public func delete(_ arg: String) throws {
        try withGError { ostree_kernel_args_delete(pointer, arg, $0) }
    }

    /// Replaces `KEY=VALUE` (the key must have a single value) or `KEY=OLD=NEW`.
    public func replace(_ arg: String) throws {
        try withGError { ostree_kernel_args_new_replace(pointer, arg, $0) }
    }
}
