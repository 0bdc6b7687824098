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
        // Value types only: status, origin, JSON, errors.
        .target(name: "AptOstreeModel"),
        // The engine.
        .target(name: "AptOstreeCore", dependencies: ["OSTreeKit", "AptOstreeModel"]),
        // The command tree and renderers.
        .target(name: "AptOstreeCLI", dependencies: [
            "AptOstreeCore", "AptOstreeModel", "OSTreeKit",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "apt-ostree", dependencies: ["AptOstreeCLI"]),
        .executableTarget(name: "apt-ostreed", dependencies: [
            "AptOstreeCore",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // Temp sysroots and fixtures for the tests.
        .target(name: "AptOstreeTestSupport", dependencies: ["AptOstreeCore"]),
        .testTarget(name: "AptOstreeUnitTests", dependencies: ["AptOstreeModel", "AptOstreeCore", "AptOstreeCLI"]),
        .testTarget(name: "AptOstreeSysrootTests", dependencies: [
            "AptOstreeCore", "AptOstreeCLI", "AptOstreeTestSupport", "OSTreeKit",
        ]),
    ]
)
