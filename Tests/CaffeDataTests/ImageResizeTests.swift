// Bilinear resizing, checked against values worked out from OpenCV's fixed-point formulas.

import CaffeSupport
import Testing

@testable import CaffeData

@Suite struct ImageResizeTests {
  private func gray(_ rows: [[UInt8]]) throws -> Image {
    try Image(height: rows.count, width: rows[0].count, channels: 1, pixels: rows.flatMap { $0 })
  }

  @Test func upscalesTwoByTwoToThreeByThreeAsWorkedOutByHand() throws {
    // Columns: fx = (dx + 0.5)·2/3 − 0.5 gives (clamped to pixel 0, weight 1), (pixel 0,
    // weights 1024/1024), (clamped to pixel 1). Rows keep their weights: (341, 1707) on row 0
    // twice, (1024, 1024), (1707, 341) on row 1 twice. Each element is
    // (r0·b0 + r1·b1 + 2²¹) >> 22 on the rows scaled by 2048: the middle row is
    // ⌊(0 + 200)/2 + ½⌋ = 100, ⌊(50 + 125)/2 + ½⌋ = 88, ⌊(100 + 50)/2 + ½⌋ = 75.
    let image = try gray([[0, 100], [200, 50]])
    let resized = try image.resized(height: 3, width: 3)
    #expect(resized.pixels == [0, 50, 100, 100, 88, 75, 200, 125, 50])
  }

  @Test func rowsOfSixteenOrMoreUseOpenCVsSIMDRounding() throws {
    // 3 × 5 → 2 × 20: the first 16 elements of each row take OpenCV's 128-bit SIMD blend
    // ((r0 >> 4)·b0 >> 16) + ((r1 >> 4)·b1 >> 16), then (v + 2) >> 2, which is 1 lower than the
    // exact rounding at (0, 5), (0, 13), (0, 14) and (1, 11); the last 4 use the exact formula.
    let image = try gray([
      [171, 206, 5, 206, 120], [131, 161, 73, 250, 13], [71, 98, 146, 104, 33],
    ])
    let resized = try image.resized(height: 2, width: 20)
    #expect(
      resized.pixels == [
        161, 161, 165, 174, 182, 190, 173, 130, 87, 44, 46, 95, 144, 192, 201, 171, 140, 109,
        93, 93, 86, 86, 89, 96, 103, 110, 116, 119, 123, 126, 129, 132, 136, 139, 126, 98, 70,
        42, 28, 28,
      ])
  }

  @Test func halvingAveragesTwoByTwoBlocksRoundingHalfUp() throws {
    let pixels: [UInt8] = [
      1, 2, 10, 20, 30, 40, 0, 0, 255, 254, 7, 8, 9, 10, 11, 12, 0, 1, 255, 255, 0, 0, 0, 0,
    ]
    let image = try Image(height: 2, width: 4, channels: 3, pixels: pixels)
    let half = try image.resized(height: 1, width: 2)
    // Blue of the first block: (1 + 20 + 9 + 12 + 2) >> 2 = 11 (10.5 rounded up).
    #expect(half.pixels == [11, 11, 16, 127, 66, 66])
  }

  @Test func sameSizeIsTheImageItself() throws {
    let image = try gray([[1, 2, 3], [4, 5, 6]])
    #expect(try image.resized(height: 2, width: 3) == image)
  }

  @Test func colourChannelsAreResizedIndependently() throws {
    let image = try Image(
      height: 2, width: 2, channels: 3, pixels: [0, 0, 0, 100, 0, 0, 200, 0, 0, 50, 0, 0])
    let resized = try image.resized(height: 3, width: 3)
    #expect(resized.channels == 3)
    #expect(
      stride(from: 0, to: 27, by: 3).map { resized.pixels[$0] } == [
        0, 50, 100, 100, 88, 75, 200, 125, 50,
      ])
    #expect(stride(from: 1, to: 27, by: 3).allSatisfy { resized.pixels[$0] == 0 })
  }

  @Test func nonPositiveSizesAreRefused() throws {
    let image = try gray([[1]])
    #expect(throws: CaffeError.self) { try image.resized(height: 0, width: 3) }
  }
}
