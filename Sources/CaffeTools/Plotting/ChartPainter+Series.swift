// The data lines, their markers and the legend of a chart.

import CCairo

extension ChartPainter {
  /// Line colours (8-bit red, green, blue; matplotlib's "tab10"), used in turn: a fixed palette
  /// in place of the random colours of Caffe's script, so that charts are reproducible.
  static let palette: [(UInt8, UInt8, UInt8)] = [
    (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
    (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207),
  ]

  /// Marker shapes, used in turn with the colours.
  enum Marker: CaseIterable {
    case circle, square, triangle, diamond
  }

  /// Series with more points than this are drawn as lines only.
  static let markerLimit = 60

  /// Draws `series` as a line (and markers when it has few points), clipped to the plot area
  /// widened by a marker's size, so that markers on the frame show whole.
  func drawSeries(
    _ series: LineChart.Series, style: Int, frame: Frame, xTicks: AxisTicks, yTicks: AxisTicks
  ) {
    cairo_save(context)
    let pad = 6.0
    cairo_rectangle(
      context, frame.left - pad, frame.top - pad, frame.right - frame.left + 2 * pad,
      frame.bottom - frame.top + 2 * pad)
    cairo_clip(context)
    setColour(style)
    let points = zip(series.x, series.y).map {
      (Self.map($0, xTicks, frame.left, frame.right), Self.map($1, yTicks, frame.bottom, frame.top))
    }
    cairo_set_line_width(context, 1.5)
    cairo_set_line_join(context, CAIRO_LINE_JOIN_ROUND)
    for (index, point) in points.enumerated() {
      if index == 0 {
        cairo_move_to(context, point.0, point.1)
      } else {
        cairo_line_to(context, point.0, point.1)
      }
    }
    cairo_stroke(context)
    if points.count <= Self.markerLimit {
      for point in points { drawMarker(style: style, x: point.0, y: point.1) }
    }
    cairo_restore(context)
  }

  /// The legend: a white box in the upper or lower right corner of the plot with a line sample
  /// (with the marker, where the line has them) and the label of each series.
  func drawLegend(_ chart: LineChart, frame: Frame) {
    setFont(size: Self.tickSize)
    let rowHeight = Self.tickSize + Self.gap
    let sample = 30.0
    let labelWidth = chart.series.map { textWidth($0.label) }.max() ?? 0
    let boxWidth = Self.gap * 3 + sample + labelWidth
    let boxHeight = Double(chart.series.count) * rowHeight + Self.gap
    let boxLeft = frame.right - Self.gap - boxWidth
    let boxTop = chart.legendAtTop ? frame.top + Self.gap : frame.bottom - Self.gap - boxHeight
    cairo_rectangle(context, boxLeft, boxTop, boxWidth, boxHeight)
    cairo_set_source_rgba(context, 1, 1, 1, 0.9)
    cairo_fill_preserve(context)
    cairo_set_source_rgb(context, 0.6, 0.6, 0.6)
    cairo_set_line_width(context, 1)
    cairo_stroke(context)
    for (index, series) in chart.series.enumerated() {
      let middle = boxTop + Self.gap / 2 + (Double(index) + 0.5) * rowHeight
      setColour(index)
      cairo_set_line_width(context, 1.5)
      line(from: (boxLeft + Self.gap, middle), to: (boxLeft + Self.gap + sample, middle))
      if series.x.count <= Self.markerLimit {
        drawMarker(style: index, x: boxLeft + Self.gap + sample / 2, y: middle)
      }
      cairo_set_source_rgb(context, 0, 0, 0)
      show(
        series.label, x: boxLeft + Self.gap * 2 + sample, baseline: middle + Self.tickSize * 0.35)
    }
  }

  /// Selects the colour of series number `style`.
  private func setColour(_ style: Int) {
    let colour = Self.palette[style % Self.palette.count]
    cairo_set_source_rgb(
      context, Double(colour.0) / 255, Double(colour.1) / 255, Double(colour.2) / 255)
  }

  /// Fills the marker of series number `style`, centred at (`x`, `y`), in the current colour.
  private func drawMarker(style: Int, x: Double, y: Double) {
    let size = 3.5
    switch Marker.allCases[style % Marker.allCases.count] {
    case .circle:
      cairo_new_sub_path(context)
      cairo_arc(context, x, y, size, 0, 2 * Double.pi)
    case .square:
      cairo_rectangle(context, x - size, y - size, 2 * size, 2 * size)
    case .triangle:
      cairo_move_to(context, x, y - size * 1.2)
      cairo_line_to(context, x + size * 1.1, y + size * 0.8)
      cairo_line_to(context, x - size * 1.1, y + size * 0.8)
      cairo_close_path(context)
    case .diamond:
      cairo_move_to(context, x, y - size * 1.3)
      cairo_line_to(context, x + size, y)
      cairo_line_to(context, x, y + size * 1.3)
      cairo_line_to(context, x - size, y)
      cairo_close_path(context)
    }
    cairo_fill(context)
  }
}
