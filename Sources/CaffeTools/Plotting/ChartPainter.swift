// Draws a LineChart on a cairo context: frame, grid, ticks, labels, title, lines and legend.

import CCairo

/// Draws one ``LineChart`` onto a cairo context of a given size, in device units (pixels for
/// PNG, points for SVG), with the origin at the top left.
struct ChartPainter {
  /// The plot area: the rectangle inside the axes.
  struct Frame {
    var left: Double
    var top: Double
    var right: Double
    var bottom: Double
  }

  let context: OpaquePointer
  let width: Double
  let height: Double

  /// Font sizes, in device units.
  static let titleSize = 18.0
  static let labelSize = 15.0
  static let tickSize = 12.5
  /// The gap between text and what it labels, and between the picture edge and text.
  static let gap = 8.0

  /// Draws the whole chart over a white background.
  func draw(_ chart: LineChart) {
    let xs = chart.series.flatMap(\.x)
    let ys = chart.series.flatMap(\.y)
    let xTicks = AxisTicks(minimum: xs.min() ?? 0, maximum: xs.max() ?? 1, count: 7)
    let yTicks = AxisTicks(minimum: ys.min() ?? 0, maximum: ys.max() ?? 1, count: 7)
    cairo_set_source_rgb(context, 1, 1, 1)
    cairo_paint(context)
    let frame = layout(xTicks: xTicks, yTicks: yTicks)
    drawGridAndTicks(frame, xTicks: xTicks, yTicks: yTicks)
    drawTexts(chart, frame: frame)
    for (index, series) in chart.series.enumerated() {
      drawSeries(series, style: index, frame: frame, xTicks: xTicks, yTicks: yTicks)
    }
    if !chart.series.isEmpty { drawLegend(chart, frame: frame) }
  }

  /// The plot area, leaving room for the title, the axis labels and the tick labels.
  private func layout(xTicks: AxisTicks, yTicks: AxisTicks) -> Frame {
    setFont(size: Self.tickSize)
    let yLabelWidth = yTicks.values.map { textWidth(yTicks.label($0)) }.max() ?? 0
    let lastXLabel = textWidth(xTicks.label(xTicks.upper))
    let left = Self.gap * 2 + Self.labelSize + Self.gap + yLabelWidth + Self.gap
    let right = width - max(Self.gap * 3, lastXLabel / 2 + Self.gap)
    let top = Self.gap * 2 + Self.titleSize + Self.gap * 2
    let bottom = height - (Self.gap * 2 + Self.labelSize + Self.gap + Self.tickSize + Self.gap)
    return Frame(left: left, top: top, right: right, bottom: bottom)
  }

  /// The light grid at every tick, the black frame, tick marks and tick labels.
  private func drawGridAndTicks(_ frame: Frame, xTicks: AxisTicks, yTicks: AxisTicks) {
    let xPositions = xTicks.values.map {
      (value: $0, at: Self.map($0, xTicks, frame.left, frame.right))
    }
    let yPositions = yTicks.values.map {
      (value: $0, at: Self.map($0, yTicks, frame.bottom, frame.top))
    }
    cairo_set_line_width(context, 1)
    cairo_set_source_rgb(context, 0.88, 0.88, 0.88)
    for tick in xPositions { line(from: (tick.at, frame.top), to: (tick.at, frame.bottom)) }
    for tick in yPositions { line(from: (frame.left, tick.at), to: (frame.right, tick.at)) }
    cairo_set_source_rgb(context, 0, 0, 0)
    cairo_rectangle(
      context, frame.left, frame.top, frame.right - frame.left, frame.bottom - frame.top)
    cairo_stroke(context)
    setFont(size: Self.tickSize)
    for tick in xPositions {
      line(from: (tick.at, frame.bottom), to: (tick.at, frame.bottom + 5))
      let text = xTicks.label(tick.value)
      show(
        text, x: tick.at - textWidth(text) / 2, baseline: frame.bottom + Self.gap + Self.tickSize)
    }
    for tick in yPositions {
      line(from: (frame.left - 5, tick.at), to: (frame.left, tick.at))
      let text = yTicks.label(tick.value)
      show(
        text, x: frame.left - Self.gap - textWidth(text), baseline: tick.at + Self.tickSize * 0.35)
    }
  }

  /// The title, centred above the plot, and the axis labels.
  private func drawTexts(_ chart: LineChart, frame: Frame) {
    cairo_set_source_rgb(context, 0, 0, 0)
    setFont(size: Self.titleSize, bold: true)
    let centre = (frame.left + frame.right) / 2
    show(
      chart.title, x: centre - textWidth(chart.title) / 2, baseline: Self.gap * 2 + Self.titleSize)
    setFont(size: Self.labelSize)
    show(chart.xLabel, x: centre - textWidth(chart.xLabel) / 2, baseline: height - Self.gap * 2)
    cairo_save(context)
    let middle = (frame.top + frame.bottom) / 2
    cairo_translate(context, Self.gap * 2 + Self.labelSize, middle + textWidth(chart.yLabel) / 2)
    cairo_rotate(context, -Double.pi / 2)
    show(chart.yLabel, x: 0, baseline: 0)
    cairo_restore(context)
  }

  /// The device coordinate of `value` on an axis running from `start` (at `ticks.lower`) to
  /// `end` (at `ticks.upper`).
  static func map(_ value: Double, _ ticks: AxisTicks, _ start: Double, _ end: Double) -> Double {
    start + (value - ticks.lower) / (ticks.upper - ticks.lower) * (end - start)
  }

  /// Strokes a straight line with the current colour and width.
  func line(from start: (Double, Double), to end: (Double, Double)) {
    cairo_move_to(context, start.0, start.1)
    cairo_line_to(context, end.0, end.1)
    cairo_stroke(context)
  }

  /// Selects the sans-serif font (DejaVu Sans on Debian) at `size`.
  func setFont(size: Double, bold: Bool = false) {
    let weight = bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL
    cairo_select_font_face(context, "sans-serif", CAIRO_FONT_SLANT_NORMAL, weight)
    cairo_set_font_size(context, size)
  }

  /// The advance width of `text` in the current font.
  func textWidth(_ text: String) -> Double {
    var extents = cairo_text_extents_t()
    cairo_text_extents(context, text, &extents)
    return extents.x_advance
  }

  /// Draws `text` with its left end at `x` and its baseline at `baseline`.
  func show(_ text: String, x: Double, baseline: Double) {
    cairo_move_to(context, x, baseline)
    cairo_show_text(context, text)
  }
}
