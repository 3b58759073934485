// plot_training_log's charts: tick values, the data each chart type takes, and the PNG and SVG
// files.

import CCairo
import CaffeSupport
import CaffeTestSupport
import CaffeTools
import Foundation
import Testing

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// The width and height stored in a PNG's IHDR chunk, or nil when `data` is not a PNG.
func pngSize(_ data: Data) -> (width: Int, height: Int)? {
  let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
  let bytes = [UInt8](data.prefix(24))
  guard bytes.count == 24, Array(bytes[0..<8]) == signature,
    bytes[12..<16].elementsEqual("IHDR".utf8)
  else { return nil }
  let word = { (offset: Int) in bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) } }
  return (word(16), word(20))
}

/// The share of pixels of the PNG at `path` that are not white, and whether one has `colour`.
func inkCoverage(png path: String, colour: (UInt8, UInt8, UInt8)) throws -> (Double, Bool) {
  let surface = try #require(cairo_image_surface_create_from_png(path))
  defer { cairo_surface_destroy(surface) }
  try #require(cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS)
  cairo_surface_flush(surface)
  let width = Int(cairo_image_surface_get_width(surface))
  let height = Int(cairo_image_surface_get_height(surface))
  let stride = Int(cairo_image_surface_get_stride(surface))
  let pixels = try #require(cairo_image_surface_get_data(surface))
  var ink = 0
  var found = false
  for row in 0..<height {
    for column in 0..<width {
      // ARGB32 in native (little-endian) order: bytes B, G, R, A.
      let pixel = pixels + row * stride + column * 4
      if pixel[0] < 250 || pixel[1] < 250 || pixel[2] < 250 { ink += 1 }
      if (pixel[2], pixel[1], pixel[0]) == colour { found = true }
    }
  }
  return (Double(ink) / Double(width * height), found)
}

@Suite("PlotTrainingLog: ticks, chart data and image files")
struct PlotTrainingLogTests {
  @Test(arguments: [
    (0.1198, 0.9897, 0.1, 1.0, 0.1), (0.0374, 0.9913, 0.0, 1.0, 0.2),
    (0.0016, 2.4154, 0.0, 2.5, 0.5),
    (0.0, 10_000.0, 0.0, 10_000.0, 2000.0), (5000.0, 5500.0, 5000.0, 5500.0, 100.0),
    (0.00599, 0.01, 0.0055, 0.01, 0.0005), (0.001, 0.001, 0.0004, 0.0016, 0.0002),
    (0.0, 0.0, -1.0, 1.0, 0.5),
  ])
  func ticksAreRoundAndCoverTheData(
    minimum: Double, maximum: Double, lower: Double, upper: Double, step: Double
  ) {
    let ticks = AxisTicks(minimum: minimum, maximum: maximum, count: 7)
    #expect(abs(ticks.step - step) < step * 1e-9)
    #expect(abs(ticks.lower - lower) < step * 1e-9 && abs(ticks.upper - upper) < step * 1e-9)
    #expect(ticks.lower <= minimum && ticks.upper >= maximum)
  }

  @Test func tickLabelsShowTheDecimalsTheStepNeeds() {
    let accuracy = AxisTicks(minimum: 0.04, maximum: 0.99, count: 7)
    #expect(accuracy.values.map(accuracy.label) == ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
    let iterations = AxisTicks(minimum: 0, maximum: 10_000, count: 7)
    #expect(iterations.values.map(iterations.label).last == "10000")
    let rate = AxisTicks(minimum: 0.00599, maximum: 0.01, count: 7)
    #expect(rate.label(0.006) == "0.0060")
    let around = AxisTicks(minimum: -0.3, maximum: 0.3, count: 7)
    #expect(around.values.map(around.label).contains("0.0"))
  }

  @Test func chartTypesFollowCaffesNumbering() {
    #expect(
      ChartType.allCases.map(\.title) == [
        "Test accuracy  vs. Iters", "Test accuracy  vs. Seconds", "Test loss  vs. Iters",
        "Test loss  vs. Seconds", "Train learning rate  vs. Iters",
        "Train learning rate  vs. Seconds", "Train loss  vs. Iters", "Train loss  vs. Seconds",
      ])
    #expect(ChartType.testAccuracyVsIters.legendAtTop == false)
    #expect(ChartType.trainLossVsSeconds.legendAtTop)
  }

  @Test func chartTakesOneSeriesPerLogFromTheRightColumn() throws {
    let paths = [logFixture("swift_lenet_trimmed.log"), logFixture("two_runs_multistep.log")]
    let logs = try paths.map { (path: $0, log: try TrainingLog(path: $0)) }
    let accuracy = try LineChart(type: .testAccuracyVsIters, logs: logs)
    #expect(accuracy.series.map(\.label) == ["swift_lenet_trimmed", "two_runs_multistep"])
    #expect(accuracy.series[1].x == [0, 200, 400, 500])
    #expect(accuracy.series[1].y == [0.105, 0.8125, 0.875, 0.8875])
    let rate = try LineChart(type: .trainLearningRateVsSeconds, logs: logs)
    #expect(rate.series[1].x.first == 1.2001 && rate.series[1].y.last == 0.01)
    #expect(rate.xLabel == "Seconds" && rate.yLabel == "Train learning rate")
  }

  @Test func chartOfAMissingFieldNamesTheLog() throws {
    let path = logFixture("no_test_year_wrap.log")
    let logs = [(path: path, log: try TrainingLog(path: path))]
    #expect(throws: CaffeError.self) { try LineChart(type: .testLossVsIters, logs: logs) }
    do {
      _ = try LineChart(type: .testAccuracyVsSeconds, logs: logs)
    } catch {
      #expect("\(error)".hasPrefix("\(path): has no test output"))
    }
    #expect(try LineChart(type: .trainLossVsIters, logs: logs).series[0].y.count == 4)
  }

  @Test(arguments: ChartType.allCases)
  func everyChartTypeWritesAReadablePNG(type: ChartType) throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let paths = [
      logFixture("swift_lenet_trimmed.log"), logFixture("caffe_lenet_glog06_trimmed.log"),
    ]
    let logs = try paths.map { (path: $0, log: try TrainingLog(path: $0)) }
    let output = folder.appendingPathComponent("chart.png").path
    try LineChart(type: type, logs: logs).write(to: output, width: 640, height: 400)
    let size = try #require(pngSize(try Data(contentsOf: URL(fileURLWithPath: output))))
    #expect(size.width == 640 && size.height == 400)
    let (coverage, hasFirstColour) = try inkCoverage(png: output, colour: (31, 119, 180))
    #expect(coverage > 0.01 && coverage < 0.5, "text, axes and lines, on a mostly white page")
    #expect(hasFirstColour, "the first log's line is drawn in the first palette colour")
  }

  @Test func svgIsWellFormedXML() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = logFixture("two_runs_multistep.log")
    let output = folder.appendingPathComponent("chart.SVG").path
    try LineChart(type: .testLossVsSeconds, logs: [(path, try TrainingLog(path: path))])
      .write(to: output)
    let data = try Data(contentsOf: URL(fileURLWithPath: output))
    let parser = XMLParser(data: data)
    #expect(parser.parse(), "cairo's SVG parses as XML")
    let text = String(decoding: data, as: UTF8.self)
    #expect(text.contains("<svg") && text.contains("width=\"900pt\""))
  }

  @Test func unknownExtensionAndMissingFolderAreErrors() throws {
    let chart = LineChart(title: "t", xLabel: "x", yLabel: "y", series: [], legendAtTop: true)
    #expect(throws: CaffeError.self) { try chart.write(to: "/tmp/chart.jpg") }
    #expect(
      throws: CaffeError.io(
        path: "/nonexistent/c.png", reason: "folder /nonexistent does not exist")
    ) {
      try chart.write(to: "/nonexistent/c.png")
    }
  }
}
