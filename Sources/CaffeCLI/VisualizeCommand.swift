// `caffe visualize`: a net's activations and filters for one example, tiled into PNG grids.

import ArgumentParser
import Caffe
import CaffeData
import CaffeSupport
import CaffeTools
import Foundation

/// `caffe visualize --model M [--weights W] (--input img.png | --db DB [--index i])
/// --blobs conv1,pool1 [--params conv1] --out DIR [--colormap gray|viridis]` (not in Caffe;
/// the pictures of Caffe's classification notebook, `vis_square`).
///
/// Runs the net forward on one example (see ``VisualizeInput`` for how it is fed: through the
/// net's data layer with its TEST transform, or into a deploy net's input blob) and writes:
/// - for each `--blobs` blob, `DIR/<blob>.png`: the C channels of its first item (N = 0), each
///   H × W channel one tile normalised on its own, in a grid of ⌈√C⌉ columns. A (N, D) blob
///   shows its D values as one-pixel tiles normalised together;
/// - for each `--params` layer, `DIR/<layer>_filters.png`: its weights (O, I, kh, kw), each
///   filter one tile: in colour when I = 3 (channels read as blue, green, red, Caffe's image
///   order), otherwise one gray-scale tile per (output, input) pair, output-major.
///
/// `/` in blob and layer names (GoogLeNet's `inception_3a/1x1`) becomes `_` in file names.
/// Every picture is enlarged with square pixels to about 600 pixels on its longer side.
public struct VisualizeCommand: ParsableCommand {
  /// The `visualize` subcommand's name and one-line help abstract.
  public static let configuration = CommandConfiguration(
    commandName: "visualize",
    abstract: "draw a net's activations and filters for one example as PNG grids")

  @Option(name: .customLong("model"), help: "The model definition protocol buffer text file.")
  var model = ""

  @Option(name: .customLong("weights"), help: "Trained weights (.caffemodel).")
  var weights = ""

  @Option(name: .customLong("input"), help: "An image file (JPEG or PNG) to run forward.")
  var input = ""

  @Option(name: .customLong("db"), help: "A database of Datum records to take the example from.")
  var db = ""

  @Option(name: .customLong("backend"), help: "The database backend: lmdb or leveldb.")
  var backend = "lmdb"

  @Option(name: .customLong("index"), help: "The record of --db to use, counting from 0.")
  var index = 0

  @Option(name: .customLong("blobs"), help: "Blobs to draw, separated by ','.")
  var blobs = ""

  @Option(name: .customLong("params"), help: "Layers whose filters to draw, separated by ','.")
  var params = ""

  @Option(name: .customLong("out"), help: "The folder to write the PNG files to.")
  var out = ""

  @Option(
    name: .customLong("colormap"), help: "How one-channel tiles are coloured: gray or viridis.")
  var colormap = "gray"

  @Option(
    name: .customLong("scale"),
    help: "Replaces transform_param.scale: the factor applied to pixels (0.00390625 for LeNet).")
  var scale: Float?

  /// Creates the command with every option at its default; the parser fills them in.
  public init() {}

  /// Checks that the flags name a model, exactly one example, something to draw and a folder.
  /// - Throws: `ValidationError` saying which flag is missing or wrong.
  public func validate() throws {
    try require(model, "Need a model definition to visualize (--model).")
    guard input.isEmpty != db.isEmpty else {
      throw ValidationError("Give exactly one example: --input image.png or --db DB --index i.")
    }
    guard !names(blobs).isEmpty || !names(params).isEmpty else {
      throw ValidationError("Name something to draw: --blobs conv1,pool1 and/or --params conv1.")
    }
    try require(out, "Need a folder for the pictures (--out DIR).")
    guard ImageGrid.ColorMap(rawValue: colormap) != nil else {
      throw ValidationError("--colormap \(colormap): use gray or viridis")
    }
    guard index >= 0 else { throw ValidationError("--index \(index): must be 0 or more") }
  }

  /// Runs the net on the example and writes one PNG per blob and per filter layer.
  /// - Throws: `CaffeError` for unreadable files, unknown blob or layer names, nets that cannot
  ///   take the example, and failed writes.
  public func run() throws {
    let source: VisualizeInput.Source =
      input.isEmpty
      ? .database(path: db, backend: try DatabaseBackend(parsing: backend), index: index)
      : .image(path: input)
    let feed = try VisualizeInput(model: model, source: source, scale: scale)
    let net = try locatingLayerErrors(in: [model]) { try Net(feed.definition) }
    if !weights.isEmpty { try net.copyTrainedLayers(fromFile: weights) }
    try feed.feed(net)
    _ = try net.forward()
    do {
      try FileManager.default.createDirectory(
        atPath: out, withIntermediateDirectories: true, attributes: nil)
    } catch {
      var isFolder: ObjCBool = false
      let exists = FileManager.default.fileExists(atPath: out, isDirectory: &isFolder)
      throw CaffeError.io(
        path: out,
        reason: exists && !isFolder.boolValue
          ? "is a file; give a folder for the pictures with --out"
          : "cannot create the folder for the pictures")
    }
    let colorMap = ImageGrid.ColorMap(rawValue: colormap) ?? .gray
    for name in names(blobs) {
      guard let blob = net.blob(named: name) else {
        throw CaffeError.invalidNet(
          reason: "--blobs \(name): the net has no blob \"\(name)\" (its blobs: "
            + net.blobNames.joined(separator: ", ") + ")")
      }
      let grid = try Self.activationGrid(blob)
      try write(grid, name: name, suffix: "", what: "\(name) (\(blob.shapeString))", colorMap)
    }
    for name in names(params) {
      guard let layer = net.layer(named: name), let weightsBlob = layer.blobs.first else {
        throw CaffeError.invalidNet(
          reason: "--params \(name): the net has no layer \"\(name)\" with weights (its "
            + "layers: " + net.layerNames.joined(separator: ", ") + ")")
      }
      let grid = try Self.filterGrid(weightsBlob, layer: name)
      try write(
        grid, name: name, suffix: "_filters", what: "\(name) filters (\(weightsBlob.shapeString))",
        colorMap)
    }
  }

  /// The channels of item 0 of `blob` as grid tiles.
  ///
  /// - Throws: `CaffeError.invalidData` for a blob with no axes or no values.
  static func activationGrid(_ blob: Blob) throws -> ImageGrid {
    guard blob.numAxes >= 1, blob.count > 0 else {
      throw CaffeError.invalidData(
        layer: "visualize", reason: "blob of shape \(blob.shapeString) has nothing to draw")
    }
    let item = Array(blob.dataArray.prefix(blob.count(from: 1)))
    guard blob.numAxes > 2 else {
      return try ImageGrid(
        values: item, count: item.count, channels: 1, height: 1, width: 1, perTile: false,
        padding: 0)
    }
    let height = blob.shape[2]
    return try ImageGrid(
      values: item, count: blob.shape[1], channels: 1, height: height,
      width: blob.count(from: 3))
  }

  /// The filters of a weight blob (O, I, kh, kw) as grid tiles: O colour tiles when I = 3
  /// (planes reordered from BGR to RGB), O·I gray tiles otherwise.
  ///
  /// - Throws: `CaffeError.invalidData` for weights that are not 4-D.
  static func filterGrid(_ weights: Blob, layer: String) throws -> ImageGrid {
    guard weights.numAxes == 4, weights.count > 0 else {
      throw CaffeError.invalidData(
        layer: layer,
        reason: "weights of shape \(weights.shapeString) are not filters "
          + "(O, I, kh, kw); --params draws convolution layers")
    }
    let (outputs, inputs, height, width) =
      (weights.shape[0], weights.shape[1], weights.shape[2], weights.shape[3])
    var values = weights.dataArray
    guard inputs == 3 else {
      return try ImageGrid(
        values: values, count: outputs * inputs, channels: 1, height: height, width: width)
    }
    let plane = height * width
    for filter in 0..<outputs {
      // (O, 3, kh, kw): swap planes 0 (blue) and 2 (red) of each filter.
      let blue = filter * 3 * plane
      let red = blue + 2 * plane
      for pixel in 0..<plane { values.swapAt(blue + pixel, red + pixel) }
    }
    return try ImageGrid(values: values, count: outputs, channels: 3, height: height, width: width)
  }

  /// Writes `grid` to `out/<name><suffix>.png` and prints where.
  private func write(
    _ grid: ImageGrid, name: String, suffix: String, what: String,
    _ colorMap: ImageGrid.ColorMap
  ) throws {
    let file = name.replacingOccurrences(of: "/", with: "_") + suffix + ".png"
    let path = URL(fileURLWithPath: out).appendingPathComponent(file).path
    try grid.writePNG(to: path, colorMap: colorMap, zoom: grid.zoom())
    print("Wrote \(what) as \(grid.columns) × \(grid.rows) tiles to \(path)")
  }

  /// The comma-separated names in `list`, without empty ones.
  private func names(_ list: String) -> [String] {
    list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
      .filter { !$0.isEmpty }
  }
}
