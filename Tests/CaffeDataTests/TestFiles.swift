// Paths to the shared MNIST files and throw-away folders for the CaffeData tests.

import Foundation

/// Files in `../shared` beside the package root (absent in some checkouts: tests then skip).
enum SharedFiles {
  /// The package's `../shared` folder, found from this file's own path.
  static let root: URL = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
    .deletingLastPathComponent()  // CaffeDataTests
    .deletingLastPathComponent()  // Tests
    .deletingLastPathComponent()  // package root
    .deletingLastPathComponent()
    .appendingPathComponent("shared")

  /// Caffe 1.0's `convert_mnist_data` output for the 10 000 test digits.
  static let goldenTestLMDB = root.appendingPathComponent("golden/mnist_test_lmdb").path

  /// The gzipped IDX file of the 10 000 test images.
  static let testImagesGz = root.appendingPathComponent("data/mnist/t10k-images-idx3-ubyte.gz").path

  /// The gzipped IDX file of the 10 000 test labels.
  static let testLabelsGz = root.appendingPathComponent("data/mnist/t10k-labels-idx1-ubyte.gz").path

  /// Whether the golden LMDB is present.
  static var hasGoldenLMDB: Bool {
    FileManager.default.fileExists(atPath: goldenTestLMDB + "/data.mdb")
  }

  /// Whether the gzipped MNIST test files are present.
  static var hasMNISTTest: Bool {
    FileManager.default.fileExists(atPath: testImagesGz)
      && FileManager.default.fileExists(atPath: testLabelsGz)
  }
}

/// A fresh folder under the system temp folder, removed with everything in it on deinit.
final class TemporaryFolder {
  /// The folder's path.
  let path: String

  init() throws {
    let url = FileManager.default.temporaryDirectory
      .appendingPathComponent("caffedata-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
    path = url.path
  }

  deinit { try? FileManager.default.removeItem(atPath: path) }

  /// A path inside the folder.
  func child(_ name: String) -> String { path + "/" + name }

  /// Decompresses `gzPath` into this folder with /bin/gunzip and returns the output's path.
  func gunzip(_ gzPath: String) throws -> String {
    let name = ((gzPath as NSString).lastPathComponent as NSString).deletingPathExtension
    let output = child(name)
    guard FileManager.default.createFile(atPath: output, contents: nil) else {
      throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: output])
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/gunzip")
    process.arguments = ["-c", gzPath]
    process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: gzPath])
    }
    return output
  }
}
