// swift-tools-version:6.0
import PackageDescription

// libFuzzer targets for the parsers that read untrusted bytes. Built by `scripts/fuzz`
// with `--sanitize=fuzzer` (coverage on every target of the root package too); each target
// defines `LLVMFuzzerTestOneInput`, so it is compiled as a library (`-parse-as-library`).
let fuzzerFlags: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]

let package = Package(
    name: "MultiverSegFuzz",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "MultiverSeg", path: "..")],
    targets: [
        // The invariant check and comparisons the fuzzers share.
        .target(
            name: "FuzzSupport",
            dependencies: [.product(name: "Inference", package: "MultiverSeg")]),
        .executableTarget(
            name: "FuzzPNG",
            dependencies: [
                "FuzzSupport",
                .product(name: "PNGCodec", package: "MultiverSeg"),
                .product(name: "Imaging", package: "MultiverSeg"),
                .product(name: "ProjectStore", package: "MultiverSeg"),
            ],
            swiftSettings: fuzzerFlags),
        .executableTarget(
            name: "FuzzSafeTensors",
            dependencies: [
                "FuzzSupport",
                .product(name: "Inference", package: "MultiverSeg"),
                .product(name: "Imaging", package: "MultiverSeg"),
            ],
            swiftSettings: fuzzerFlags),
        .executableTarget(
            name: "FuzzCheckpoint",
            dependencies: [
                "FuzzSupport",
                .product(name: "Inference", package: "MultiverSeg"),
                .product(name: "ZIP", package: "MultiverSeg"),
            ],
            swiftSettings: fuzzerFlags),
        .executableTarget(
            name: "FuzzAPI",
            dependencies: [
                "FuzzSupport",
                .product(name: "Server", package: "MultiverSeg"),
                .product(name: "MicroHTTP", package: "MultiverSeg"),
                .product(name: "Inference", package: "MultiverSeg"),
                .product(name: "PNGCodec", package: "MultiverSeg"),
            ],
            swiftSettings: fuzzerFlags),
        .executableTarget(
            name: "FuzzVolumes",
            dependencies: [
                "FuzzSupport",
                .product(name: "Volumes", package: "MultiverSeg"),
            ],
            swiftSettings: fuzzerFlags),
    ]
)
