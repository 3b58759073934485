// Fillers: each distribution's statistics, and parameter errors.

import CaffeProto
import Testing

@testable import Caffe

@Suite(.serialized) struct FillerTests {
  private func filled(_ configure: (inout FillerParameter) -> Void, shape: [Int] = [20, 30, 4, 5])
    throws -> [Float]
  {
    var param = FillerParameter()
    configure(&param)
    let blob = try Blob(shape: shape)
    Runtime.setRandomSeed(1701)
    try Filler(param).fill(blob)
    return blob.dataArray
  }

  private func mean(_ v: [Float]) -> Float { v.reduce(0, +) / Float(v.count) }
  private func variance(_ v: [Float]) -> Float {
    let m = mean(v)
    return v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Float(v.count)
  }

  @Test func constant() throws {
    let values = try filled {
      $0.type = "constant"
      $0.value = 2.5
    }
    #expect(values.allSatisfy { $0 == 2.5 })
  }

  @Test func uniformStaysInRange() throws {
    let values = try filled {
      $0.type = "uniform"
      $0.min = -2
      $0.max = 3
    }
    #expect(values.allSatisfy { $0 >= -2 && $0 <= 3 })
    #expect(abs(mean(values) - 0.5) < 0.1)
  }

  @Test func gaussianMeanAndStd() throws {
    let values = try filled {
      $0.type = "gaussian"
      $0.mean = 1
      $0.std = 2
    }
    #expect(abs(mean(values) - 1) < 0.1)
    #expect(abs(variance(values).squareRoot() - 2) < 0.1)
  }

  @Test func sparseGaussianKeepsAboutSparseOverNum() throws {
    let values = try filled(
      {
        $0.type = "gaussian"
        $0.sparse = 5
      }, shape: [20, 600])
    let nonZero = Float(values.filter { $0 != 0 }.count) / Float(values.count)
    #expect(abs(nonZero - 0.25) < 0.03)
  }

  @Test func positiveUnitballRowsSumToOne() throws {
    let values = try filled({ $0.type = "positive_unitball" }, shape: [4, 10])
    for row in 0..<4 {
      #expect(abs(values[row * 10..<row * 10 + 10].reduce(0, +) - 1) < 1e-5)
    }
  }

  @Test(arguments: [
    (FillerParameter.VarianceNorm.fanIn, Float(600)), (.fanOut, 400), (.average, 500),
  ])
  func xavierRangeFollowsVarianceNorm(norm: FillerParameter.VarianceNorm, n: Float) throws {
    let values = try filled {
      $0.type = "xavier"
      $0.varianceNorm = norm
    }
    let limit = (3 / n).squareRoot()
    #expect(values.allSatisfy { abs($0) <= limit })
    #expect(abs(variance(values) - limit * limit / 3) < 0.1 * limit * limit / 3)
  }

  @Test func msraStd() throws {
    let values = try filled { $0.type = "msra" }
    #expect(abs(variance(values) - 2 / 600) < 0.1 * 2 / 600)
  }

  @Test func bilinearKernelForFactorTwo() throws {
    let values = try filled({ $0.type = "bilinear" }, shape: [1, 1, 4, 4])
    #expect(values[0..<4].map { ($0 * 16).rounded() } == [1, 3, 3, 1])
  }

  @Test func unknownTypeAndSparseMisuseAreErrors() throws {
    var param = FillerParameter()
    param.type = "magic"
    #expect(throws: (any Error).self) { try Filler(param) }
    param.type = "uniform"
    param.sparse = 3
    #expect(throws: (any Error).self) { try Filler(param) }
  }
}
