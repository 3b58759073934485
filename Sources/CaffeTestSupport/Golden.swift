// Paths of the shared fixtures: Caffe's own files beside the checkout, and the repo's Tests/Fixtures.

import Foundation

/// Locates test fixtures: `../shared` beside the package (Caffe's golden files and corpus, absent
/// on some machines) and `Tests/Fixtures` inside it.
public enum Golden {
  /// The package root (the folder holding Package.swift).
  public static let packageRoot: URL = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url
  }()

  /// `../shared` beside the package root.
  public static let shared: URL = packageRoot.deletingLastPathComponent()
    .appendingPathComponent("shared")

  /// Whether the shared fixtures are present.
  public static var isAvailable: Bool {
    FileManager.default.fileExists(atPath: shared.appendingPathComponent("golden").path)
  }

  /// A path inside `../shared`.
  ///
  /// For example `Golden.path("golden/lenet_iter_10000.caffemodel")`.
  public static func path(_ relative: String) -> String {
    shared.appendingPathComponent(relative).path
  }

  /// A path inside `Tests/Fixtures`.
  public static func fixture(_ relative: String) -> String {
    packageRoot.appendingPathComponent("Tests/Fixtures").appendingPathComponent(relative).path
  }

  /// A fresh empty temporary folder.
  public static func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory
      .appendingPathComponent("swift-caffe-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }
}
