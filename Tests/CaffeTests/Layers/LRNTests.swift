// LRN layer: shapes, forward against a naive reference (both regions), gradients, parameter and
// shape errors, and Caffe's own outputs.

import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Foundation
import Testing

@testable import Caffe

@Suite struct LRNTests {
  /// Caffe's LRN test bottom: (N, C, H, W) = (2, 7, 3, 3).
  static let shape = [2, 7, 3, 3]

  static let within = "norm_region: WITHIN_CHANNEL local_size: 3"

  func makeLRN(_ body: String = "") throws -> LRNLayer {
    try LayerFixture.make(LRNLayer.self, "name: \"lrn\" lrn_param { \(body) }")
  }

  /// LRN computed element by element from its definition (Caffe's `ReferenceLRNForward`).
  func reference(_ bottom: Blob, _ lrn: LRNParameter) -> [Float] {
    let (n, c, h, w) = (bottom.shape[0], bottom.shape[1], bottom.shape[2], bottom.shape[3])
    let size = Int(lrn.localSize)
    let radius = (size - 1) / 2
    let x = bottom.dataArray
    func at(_ i: Int, _ j: Int, _ y: Int, _ z: Int) -> Float { x[((i * c + j) * h + y) * w + z] }
    var out = x
    for i in 0..<n {
      for j in 0..<c {
        for y in 0..<h {
          for z in 0..<w {
            var sum: Float = 0
            var scale: Float
            if lrn.normRegion == .withinChannel {
              for yy in max(0, y - radius)...min(h - 1, y + radius) {
                for zz in max(0, z - radius)...min(w - 1, z + radius) {
                  sum += at(i, j, yy, zz) * at(i, j, yy, zz)
                }
              }
              scale = 1 + lrn.alpha * sum / Float(size * size)
            } else {
              for jj in max(0, j - radius)...min(c - 1, j + radius) {
                sum += at(i, jj, y, z) * at(i, jj, y, z)
              }
              scale = lrn.k + lrn.alpha * sum / Float(size)
            }
            out[((i * c + j) * h + y) * w + z] = at(i, j, y, z) * Foundation.pow(scale, -lrn.beta)
          }
        }
      }
    }
    return out
  }

  // MARK: - Setup

  @Test(arguments: ["", within])
  func topHasTheBottomsShape(_ body: String) throws {
    let layer = try makeLRN(body)
    let bottom = try BlobBuilder.gaussian(Self.shape)
    let top = Blob()
    try layer.setUp(bottom: [bottom], top: [top])
    #expect(top.shape == Self.shape)
    try bottom.reshape([1, 3, 4, 5])
    try layer.forward(bottom: [bottom], top: [top])
    #expect(top.shape == [1, 3, 4, 5])
  }

  // MARK: - Forward

  // Caffe's TestForwardAcrossChannels(LargeRegion) and TestForwardWithinChannel: epsilon 1e-5.
  @Test(arguments: [
    "", "local_size: 15", within, "alpha: 0.3 beta: 0.6 k: 2", "local_size: 1",
    "norm_region: WITHIN_CHANNEL local_size: 5 alpha: 0.9",
  ])
  func forwardMatchesTheReference(_ body: String) throws {
    let layer = try makeLRN(body)
    let bottom = try BlobBuilder.gaussian(Self.shape)
    let top = Blob()
    try layer.setUp(bottom: [bottom], top: [top])
    try layer.forward(bottom: [bottom], top: [top])
    let expected = reference(bottom, layer.param.lrnParam)
    #expect(LayerFixture.maxDifference(top.dataArray, expected) <= 1e-5)
  }

  @Test func defaultsAreCaffes() throws {
    let lrn = try makeLRN().param.lrnParam
    #expect(lrn.localSize == 5 && lrn.alpha == 1 && lrn.beta == 0.75 && lrn.k == 1)
    #expect(lrn.normRegion == .acrossChannels)
  }

  @Test func oneChannelByHand() throws {
    // local_size 1 across channels: y = x · (1 + x²)^−0.75.
    let layer = try makeLRN("local_size: 1")
    let bottom = try BlobBuilder.values([1, 1, 1, 2], [1, 2])
    let top = Blob()
    try layer.setUp(bottom: [bottom], top: [top])
    try layer.forward(bottom: [bottom], top: [top])
    let expected: [Float] = [Foundation.pow(2, -0.75), 2 * Foundation.pow(5, -0.75)]
    #expect(LayerFixture.maxDifference(top.dataArray, expected) <= 1e-6)
  }

  // MARK: - Gradient

  // Caffe's TestGradientAcrossChannels(LargeRegion) and TestGradientWithinChannel: (1e-2, 1e-2).
  @Test(arguments: ["", "local_size: 15", within])
  func gradientIsExact(_ body: String) throws {
    let layer = try makeLRN(body)
    let bottom = try BlobBuilder.gaussian(Self.shape)
    let checker = GradientChecker(stepSize: 1e-2, threshold: 1e-2)
    let failures = try checker.checkGradientExhaustive(
      layer, bottom: [bottom], top: LayerFixture.tops(1))
    #expect(failures.isEmpty, "\(failures.prefix(5))")
  }

  // MARK: - Errors

  @Test(arguments: [0, 2, 4])
  func evenLocalSizeIsRejected(_ size: Int) throws {
    #expect { try makeLRN("local_size: \(size)") } throws: {
      LayerFixture.isInvalid($0, layer: "lrn", field: "lrn_param.local_size")
    }
  }

  @Test(arguments: [[2, 7, 3], [2, 7, 3, 3, 1]])
  func bottomNeedsFourAxes(_ shape: [Int]) throws {
    let layer = try makeLRN()
    #expect {
      try layer.setUp(bottom: [try BlobBuilder.gaussian(shape)], top: LayerFixture.tops(1))
    } throws: {
      "\($0)".contains("lrn") && "\($0)".contains("4 axes") && "\($0)".contains("\(shape)")
    }
  }

  @Test func inPlaceIsRejected() throws {
    let layer = try makeLRN()
    let blob = try BlobBuilder.gaussian(Self.shape)
    #expect { try layer.setUp(bottom: [blob], top: [blob]) } throws: {
      "\($0)".contains("lrn") && "\($0)".contains("in place")
    }
  }

  // MARK: - Caffe's outputs

  @Test(.enabled(if: Golden.isAvailable), arguments: ["lrn_channels", "lrn_spatial"])
  func matchesCaffe(_ name: String) throws {
    try LayerGoldenTests().check(name)
  }
}
