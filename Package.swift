// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "apt-ostree",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "apt-ostree", targets: ["apt-ostree"]),
        .executable(name: "apt-ostreed", targets: ["apt-ostreed"]),
        .library(name: "AptOstreeCore", targets: ["AptOstreeCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // libostree (and GLib/GIO through it) as a system library.
        .systemLibrary(
            name: "CLibOSTree",
            pkgConfig: "ostree-1",
            providers: [.apt(["libostree-dev"])]
        ),
        // Wrappers for the GLib macros and variadic functions Swift cannot import.
        .target(name: "COSTreeShims", dependencies: ["CLibOSTree"]),
        // Swift wrappers over libostree: Sysroot, Repo, Deployment, KernelArgs.
        .target(name: "OSTreeKit", dependencies: ["CLibOSTree", "COSTreeShims"]),
        // GLib/GIO without libostree (the thin client's D-Bus), and C helpers for it.
        .systemLibrary(name: "CGio", pkgConfig: "gio-unix-2.0", providers: [.apt(["libglib2.0-dev"])]),
        .target(name: "CGioShims", dependencies: ["CGio"]),
        // Bus names, introspection, GVariant <-> JSON, the connection wrapper.
        .target(name: "AptOstreeDBus", dependencies: ["CGio", "CGioShims", "AptOstreeModel"]),
        // POSIX helpers both binaries share: files, processes, stderr.
        .target(name: "AptOstreePOSIX", dependencies: ["AptOstreeModel"]),
        // Value types only: status, origin, JSON, errors.
        .target(name: "AptOstreeModel"),
        // The engine.
        .target(name: "AptOstreeCore", dependencies: [
            "OSTreeKit", "AptOstreeModel", "AptOstreePOSIX", .product(name: "Yams", package: "Yams"),
        ]),
        // The command tree, renderers, and the D-Bus client engine (no libostree: fast start).
        .target(name: "AptOstreeCLI", dependencies: [
            "AptOstreeModel", "AptOstreeDBus", "AptOstreePOSIX",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // The engine run in-process (links libostree through Core).
        .target(name: "AptOstreeEngine", dependencies: ["AptOstreeCLI", "AptOstreeCore"]),
        // The daemon: objects on the system bus, transactions, authorization.
        .target(name: "AptOstreeDaemon", dependencies: ["AptOstreeDBus", "AptOstreeEngine", "AptOstreeCore", "AptOstreePOSIX"]),
        .executableTarget(name: "apt-ostree", dependencies: ["AptOstreeCLI"]),
        .executableTarget(name: "apt-ostreed", dependencies: [
            "AptOstreeDaemon", "AptOstreeEngine", "AptOstreeCLI", "AptOstreeCore", "AptOstreePOSIX",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // bench/daemon's GetStatus round-trip loop.
        .executableTarget(name: "apt-ostree-bench", dependencies: ["AptOstreeDBus", "CGio"]),
        // Temp sysroots and fixtures for the tests.
        .target(name: "AptOstreeTestSupport", dependencies: ["CGio", "AptOstreePOSIX"]),
        .testTarget(name: "AptOstreeUnitTests", dependencies: ["AptOstreeModel", "AptOstreeCore", "AptOstreeCLI", "AptOstreeDBus", "CGio", "AptOstreePOSIX", "OSTreeKit"]),
        // The debian tier: composes from Debian's mirror (cached under .cache/).
        .testTarget(name: "AptOstreeDebianTests", dependencies: ["AptOstreeTestSupport", "OSTreeKit"]),
        .testTarget(name: "AptOstreeSysrootTests", dependencies: [
            "AptOstreeCore", "AptOstreeCLI", "AptOstreeTestSupport", "OSTreeKit",
        ]),
    ]
)
