// swift-tools-version:6.0
// swift-caffe: the Caffe deep-learning framework, rebuilt in Swift.
import PackageDescription

let v5: [SwiftSetting] = [.swiftLanguageMode(.v5)]
/// For the numeric engine only: no bounds or overflow checks in release builds. Everything that
/// handles what users supply (nets, solvers, files) keeps Swift's checks; the Caffe target
/// measured no faster without them.
let fast: [SwiftSetting] = v5 + [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]

/// An example program in examples/swift/<name>, built against the library.
func example(_ name: String) -> Target {
  .executableTarget(
    name: name, dependencies: ["Caffe", "CaffeData", "CaffeProto"],
    path: "examples/swift/\(name)", swiftSettings: v5)
}

let package = Package(
  name: "swift-caffe",
  platforms: [.macOS(.v13)],
  products: [
    .library(name: "Caffe", targets: ["Caffe"]),
    .executable(name: "caffe", targets: ["caffe"]),
    .executable(name: "convert_mnist_data", targets: ["convert_mnist_data"]),
    .executable(name: "upgrade_net_proto_text", targets: ["upgrade_net_proto_text"]),
    .executable(name: "upgrade_net_proto_binary", targets: ["upgrade_net_proto_binary"]),
    .executable(name: "upgrade_solver_proto_text", targets: ["upgrade_solver_proto_text"]),
    .executable(name: "caffe-bench", targets: ["caffe-bench"]),
    .executable(name: "convert_imageset", targets: ["convert_imageset"]),
    .executable(name: "compute_image_mean", targets: ["compute_image_mean"]),
    .executable(name: "extract_features", targets: ["extract_features"]),
    .executable(name: "draw_net", targets: ["draw_net"]),
    .executable(name: "classify", targets: ["classify"]),
    .executable(name: "parse_log", targets: ["parse_log"]),
    .executable(name: "plot_training_log", targets: ["plot_training_log"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-protobuf", exact: "1.39.0"),
    .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
  ],
  targets: [
    // MARK: - C libraries (Debian -dev packages)
    .systemLibrary(
      name: "CBLAS", pkgConfig: "openblas",
      providers: [.apt(["libopenblas-dev"])]),
    .systemLibrary(
      name: "CLMDB", pkgConfig: "lmdb",
      providers: [.apt(["liblmdb-dev"])]),
    .systemLibrary(name: "CLevelDB", providers: [.apt(["libleveldb-dev"])]),
    .systemLibrary(
      name: "CCairo", pkgConfig: "cairo",
      providers: [.apt(["libcairo2-dev"])]),
    .systemLibrary(
      name: "CHDF5", pkgConfig: "hdf5",
      providers: [.apt(["libhdf5-dev"])]),
    .systemLibrary(
      name: "CJPEG", pkgConfig: "libjpeg",
      providers: [.apt(["libjpeg62-turbo-dev"])]),
    .systemLibrary(
      name: "CPNG", pkgConfig: "libpng",
      providers: [.apt(["libpng-dev"])]),

    // MARK: - Core
    .target(name: "CaffeSupport", exclude: ["README.md"], swiftSettings: v5),
    .target(
      name: "CaffeProto",
      dependencies: ["CaffeSupport", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
      exclude: ["README.md"], swiftSettings: v5),
    .target(
      name: "CaffeKernels", dependencies: ["CBLAS"],
      exclude: ["README.md"], swiftSettings: fast),
    .target(
      name: "CaffeData", dependencies: [
        "CLMDB", "CLevelDB", "CHDF5", "CJPEG", "CPNG", "CaffeProto", "CaffeSupport",
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ],
      exclude: ["README.md"], swiftSettings: v5),
    .target(
      name: "Caffe", dependencies: ["CaffeSupport", "CaffeProto", "CaffeKernels", "CaffeData"],
      exclude: ["README.md"], swiftSettings: v5),

    // MARK: - Tools
    .target(
      name: "CaffeTools", dependencies: ["CaffeSupport", "CaffeProto", "CCairo"],
      exclude: ["README.md"], swiftSettings: v5),
    .target(
      name: "CaffeCLI",
      dependencies: [
        "Caffe", "CaffeData", "CaffeProto", "CaffeTools",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      exclude: ["README.md"], swiftSettings: v5),
    .executableTarget(name: "caffe", dependencies: ["CaffeCLI"], swiftSettings: v5),
    .executableTarget(name: "convert_mnist_data", dependencies: ["CaffeCLI"], swiftSettings: v5),
    .executableTarget(
      name: "upgrade_net_proto_text", dependencies: ["CaffeCLI"], swiftSettings: v5),
    .executableTarget(
      name: "upgrade_net_proto_binary", dependencies: ["CaffeCLI"], swiftSettings: v5),
    .executableTarget(
      name: "upgrade_solver_proto_text", dependencies: ["CaffeCLI"], swiftSettings: v5),
    .executableTarget(name: "parse_log", dependencies: ["CaffeCLI"], swiftSettings: v5),
    .executableTarget(name: "plot_training_log", dependencies: ["CaffeCLI"], swiftSettings: v5),
    .executableTarget(name: "convert_imageset", dependencies: ["CaffeCLI"], swiftSettings: v5),
    .executableTarget(name: "compute_image_mean", dependencies: ["CaffeCLI"], swiftSettings: v5),
    .executableTarget(name: "extract_features", dependencies: ["CaffeCLI"], swiftSettings: v5),
    .executableTarget(name: "draw_net", dependencies: ["CaffeCLI"], swiftSettings: v5),
    .executableTarget(name: "classify", dependencies: ["CaffeCLI"], swiftSettings: v5),
    .executableTarget(
      name: "caffe-bench",
      dependencies: ["Caffe", "CaffeKernels", "CaffeProto", "CaffeSupport", "CBLAS"],
      swiftSettings: fast),

    // MARK: - Examples (Swift programs using the Caffe library)
  ] + ["netspec_lenet", "netspec_resnet50", "classify_digit", "net_surgery"].map(example) + [
    // MARK: - Test support
    .target(
      name: "CaffeTestSupport", dependencies: ["Caffe", "CaffeKernels", "CaffeProto"],
      exclude: ["README.md"], swiftSettings: v5),

    // MARK: - Tests
    .testTarget(
      name: "CaffeKernelsTests", dependencies: ["CaffeKernels", "CaffeTestSupport"],
      swiftSettings: v5),
    .testTarget(
      name: "CaffeProtoTests", dependencies: ["CaffeProto", "CaffeTestSupport"],
      swiftSettings: v5),
    .testTarget(
      name: "CaffeDataTests", dependencies: ["CaffeData", "CaffeTestSupport"],
      swiftSettings: v5),
    .testTarget(
      name: "CaffeTests", dependencies: ["Caffe", "CaffeTestSupport"], swiftSettings: v5),
    .testTarget(
      name: "CaffeToolsTests", dependencies: ["CaffeTools", "CaffeCLI", "CaffeTestSupport"],
      swiftSettings: v5),
    .testTarget(
      name: "CaffeCLITests", dependencies: ["CaffeCLI", "CaffeTestSupport"], swiftSettings: v5),
  ]
)
