// PoolingKernelTests: max and average pooling against the naive definitions, Caffe's edge cases.
import CaffeKernels
import CaffeTestSupport
import Testing

@Suite struct PoolingKernelTests {
  static let cases: [NaiveKernels.Pooling] = [
    .init(planes: 3, height: 8, width: 8, kernel: 2, stride: 2),
    .init(planes: 2, height: 6, width: 7, kernel: 3, stride: 2),
    .init(planes: 2, height: 7, width: 5, kernel: 3, pad: 1, stride: 2),
    .init(planes: 1, height: 5, width: 6, kernel: 3, pad: 2, stride: 1),
    .init(planes: 2, height: 5, width: 5, kernel: 5, stride: 1),
    .init(planes: 40, height: 12, width: 12, kernel: 3, pad: 1, stride: 3),
  ]

  static func geometry(_ spec: NaiveKernels.Pooling) -> PoolingGeometry {
    PoolingGeometry(
      planes: spec.planes, height: spec.height, width: spec.width,
      kernelH: spec.kernel, kernelW: spec.kernel, padH: spec.pad, padW: spec.pad,
      strideH: spec.stride, strideW: spec.stride,
      pooledHeight: spec.pooledHeight, pooledWidth: spec.pooledWidth)
  }

  @Test func caffeCeilRoundingDropsAWindowStartingInThePadding() {
    #expect(
      NaiveKernels.Pooling(planes: 1, height: 6, width: 6, kernel: 3, stride: 2)
        .pooledHeight == 3)
    #expect(
      NaiveKernels.Pooling(planes: 1, height: 7, width: 7, kernel: 3, pad: 1, stride: 2)
        .pooledHeight == 4)
    #expect(
      NaiveKernels.Pooling(planes: 1, height: 4, width: 4, kernel: 2, pad: 1, stride: 2)
        .pooledHeight == 3)
  }

  @Test(arguments: cases)
  func maxPoolingMatchesNaive(spec: NaiveKernels.Pooling) {
    let g = Self.geometry(spec)
    let bottom = gaussianValues(spec.planes * g.planeCount, seed: 51)
    let topDiff = gaussianValues(spec.planes * g.pooledPlaneCount, seed: 52)
    let (expectedTop, expectedMask) = NaiveKernels.maxPool(spec, bottom: bottom)
    let expectedDiff = NaiveKernels.maxPoolBackward(spec, topDiff: topDiff, mask: expectedMask)
    let topCount = spec.planes * g.pooledPlaneCount
    let bottomCount = spec.planes * g.planeCount
    withArena { arena in
      let top = arena.floats(count: topCount)
      let mask = arena.int32s(count: topCount)
      PoolingKernels.maxForward(g, bottom: arena.floats(bottom), into: top, mask: mask)
      #expect(array(top, topCount) == expectedTop)
      #expect(array(mask, topCount).map { Int($0) } == expectedMask)

      let floatMask = arena.floats(count: topCount)
      PoolingKernels.maxForward(g, bottom: arena.floats(bottom), into: top, mask: floatMask)
      #expect(array(floatMask, topCount) == expectedMask.map { Float($0) })

      let bottomDiff = arena.floats(count: bottomCount)
      PoolingKernels.maxBackward(
        g, topDiff: arena.floats(topDiff), mask: mask, into: bottomDiff)
      expectClose(array(bottomDiff, bottomCount), expectedDiff)
      let bottomDiffFromFloats = arena.floats(count: bottomCount)
      PoolingKernels.maxBackward(
        g, topDiff: arena.floats(topDiff), mask: floatMask, into: bottomDiffFromFloats)
      expectClose(array(bottomDiffFromFloats, bottomCount), expectedDiff)
    }
  }

  @Test(arguments: cases)
  func averagePoolingMatchesNaive(spec: NaiveKernels.Pooling) {
    let g = Self.geometry(spec)
    let bottom = gaussianValues(spec.planes * g.planeCount, seed: 53)
    let topDiff = gaussianValues(spec.planes * g.pooledPlaneCount, seed: 54)
    let topCount = spec.planes * g.pooledPlaneCount
    let bottomCount = spec.planes * g.planeCount
    withArena { arena in
      let top = arena.floats(count: topCount)
      PoolingKernels.aveForward(g, bottom: arena.floats(bottom), into: top)
      expectClose(array(top, topCount), NaiveKernels.avePool(spec, bottom: bottom))

      let bottomDiff = arena.floats(count: bottomCount)
      PoolingKernels.aveBackward(g, topDiff: arena.floats(topDiff), into: bottomDiff)
      expectClose(
        array(bottomDiff, bottomCount), NaiveKernels.avePoolBackward(spec, topDiff: topDiff))
    }
  }

  @Test func averagePoolingCountsPaddingInTheDivisor() {
    // A 2×2 image of ones, 3×3 window, pad 1, stride 1: every window covers 4 pixels of the
    // image but 9 (corner windows: 9 as well, since the padded image is 4×4) cells.
    let g = PoolingGeometry(
      planes: 1, height: 2, width: 2, kernelH: 3, kernelW: 3, padH: 1, padW: 1,
      strideH: 1, strideW: 1, pooledHeight: 2, pooledWidth: 2)
    withArena { arena in
      let top = arena.floats(count: 4)
      PoolingKernels.aveForward(g, bottom: arena.floats([1, 1, 1, 1]), into: top)
      expectClose(array(top, 4), [4 / 9, 4 / 9, 4 / 9, 4 / 9])
    }
  }
}
