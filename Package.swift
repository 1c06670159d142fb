// swift-tools-version:6.0
import PackageDescription

// Layers, bottom to top: C libraries (system-library targets found through pkg-config, plus small
// C shims for what Swift cannot call safely), the Swift libraries, then the thin `multiverseg` CLI.
let package = Package(
    name: "MultiverSeg",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "multiverseg", targets: ["MultiverSegCLI"]),
        .library(name: "Inference", targets: ["Inference"]),
        .library(name: "PNGCodec", targets: ["PNGCodec"]),
        .library(name: "Imaging", targets: ["Imaging"]),
        // For the fuzzers in Fuzz/ (a separate package, so the normal build never compiles them).
        .library(name: "ProjectStore", targets: ["ProjectStore"]),
        .library(name: "MicroHTTP", targets: ["MicroHTTP"]),
        .library(name: "Server", targets: ["Server"]),
        .library(name: "ZIP", targets: ["ZIP"]),
        .library(name: "Volumes", targets: ["Volumes"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.0"),
    ],
    targets: [
        // C libraries from Debian (libmicrohttpd-dev, libopenblas-dev, libpng-dev; zlib1g-dev comes with libpng-dev).
        .systemLibrary(
            name: "CMicroHTTPD", pkgConfig: "libmicrohttpd",
            providers: [.apt(["libmicrohttpd-dev"])]),
        .systemLibrary(
            name: "COpenBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CPNG", pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"])]),
        .systemLibrary(
            name: "CZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),
        // C shims: MHD_start_daemon is variadic; libpng reports errors by longjmp; nifti_clib's header
        // needs /usr/include/nifti on the include path and Debian ships no pkg-config file for it.
        .target(name: "CMicroHTTPDShims", dependencies: ["CMicroHTTPD"]),
        .target(name: "CPNGShims", dependencies: ["CPNG"]),
        // DCMTK is C++ (libdcmtk-dev): a C API over it, with its decoders for compressed transfer syntaxes.
        // (dcmtk.pc would link all 27 DCMTK libraries and their TLS/audio/TIFF dependencies; these are the few it uses.)
        .target(
            name: "CDICOMShims",
            linkerSettings: [
                "dcmdata", "dcmimgle", "dcmimage", "dcmjpeg", "ijg8", "ijg12", "ijg16", "dcmjpls", "dcmtkcharls",
                "oflog", "ofstd",
            ].map { .linkedLibrary($0) }),
        .target(
            name: "CNIfTIShims",
            cSettings: [.unsafeFlags(["-I/usr/include/nifti"])],
            linkerSettings: [.linkedLibrary("nifti2"), .linkedLibrary("z")]),
        // Direct and Winograd 3x3 convolution kernels: AVX-512, AVX2, NEON, portable (chosen at run time).
        // Optimised in debug builds too: they are the default path on every CPU, and at -O0 a debug
        // build's forward pass (and the tests that run it) would be many times slower.
        .target(name: "CDirectConvolution", cSettings: [.unsafeFlags(["-O2"], .when(configuration: .debug))]),

        // Swift libraries.
        .target(name: "PNGCodec", dependencies: ["CPNG", "CPNGShims"]),
        // GreyImage and BinaryMask (with the foreground threshold), shared by everything above.
        .target(name: "Imaging", dependencies: ["PNGCodec"]),
        .target(name: "MicroHTTP", dependencies: ["CMicroHTTPD", "CMicroHTTPDShims"]),
        .target(name: "ZIP", dependencies: ["CZlib"]),
        .target(name: "Inference", dependencies: ["COpenBLAS", "ZIP", "CDirectConvolution", "Imaging"]),
        .target(name: "ProjectStore", dependencies: ["PNGCodec", "Imaging", "ZIP"]),
        .target(
            name: "Server",
            dependencies: [
                "MicroHTTP", "ProjectStore", "Inference", "Imaging", "Volumes", "ZIP",
                .product(name: "Mustache", package: "swift-mustache"),
            ]),
        // NIfTI (libnifti2-dev) and DICOM (libdcmtk-dev) volumes cut into slices for a project.
        .target(name: "Volumes", dependencies: ["CNIfTIShims", "CDICOMShims", "PNGCodec", "Imaging", "ProjectStore"]),
        // `propagate`: proposals for a label's remaining images, shards, Slurm batch scripts.
        .target(name: "Propagation", dependencies: ["Inference", "ProjectStore", "Imaging"]),
        .target(name: "Evaluation", dependencies: ["Inference", "PNGCodec", "Imaging", "ProjectStore"]),
        .executableTarget(
            name: "MultiverSegCLI",
            dependencies: [
                "Server", "Inference", "PNGCodec", "Imaging", "ProjectStore", "Evaluation", "Volumes", "Propagation",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // Tests.
        .target(name: "TestSupport", dependencies: ["ZIP"], path: "Tests/TestSupport"),
        .testTarget(name: "PNGCodecTests", dependencies: ["PNGCodec", "TestSupport"]),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging", "PNGCodec"]),
        .testTarget(name: "MicroHTTPTests", dependencies: ["MicroHTTP", "TestSupport"]),
        .testTarget(name: "ProjectStoreTests", dependencies: ["ProjectStore", "Imaging", "TestSupport"]),
        .testTarget(
            name: "VolumesTests", dependencies: ["Volumes", "ProjectStore", "PNGCodec", "Imaging", "TestSupport"],
            // The Python round trips run from scripts/browser-test, not from `swift test`.
            exclude: ["nifti_roundtrip_test.py", "dicom_roundtrip_test.py"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ServerTests", dependencies: ["Server", "Imaging", "Volumes", "ZIP", "TestSupport"]),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "Inference", "PNGCodec", "Imaging", "ProjectStore", "TestSupport"]),
        // Runs the built `multiverseg` binary as a user would.
        .testTarget(name: "CLITests", dependencies: ["TestSupport", "MultiverSegCLI", "Imaging"]),
        .testTarget(
            name: "InferenceTests", dependencies: ["Inference", "Imaging", "ZIP", "TestSupport"],
            resources: [.copy("Fixtures")]),
        .testTarget(name: "ZIPTests", dependencies: ["ZIP"]),
        .testTarget(name: "PropagationTests", dependencies: ["Propagation", "ProjectStore", "Inference", "Imaging", "TestSupport"]),
    ]
)
