// `caffe forward`: one forward pass with inputs from NumPy .npy files and blobs saved as .npy.

import ArgumentParser
import Caffe
import CaffeData
import CaffeProto
import CaffeSupport

/// `caffe forward --model=M [--weights=W] [--phase=TEST|TRAIN] --input name=file.npy …
/// --output blob=file.npy …` (not in Caffe).
///
/// Runs one forward pass, so a net's results can be compared with NumPy, PyTorch or pycaffe:
/// 1. reads each `--input` array (see ``NpyArray`` for the `.npy` types read) and gives the
///    net's input blob of that name the array's shape, as pycaffe's `blob.reshape` does before
///    `net.forward()`. Net-level `input:` declarations without `input_dim`/`input_shape` take
///    their shape from the array too;
/// 2. builds the net in phase TEST unless `--phase=TRAIN` (with `--stage` and `--level`), with
///    weights from their fillers, then copies `--weights` (a `.caffemodel`) when given;
/// 3. copies the arrays into the input blobs and runs the net forward once;
/// 4. writes the data of each `--output` blob as a `.npy` file (float32, little-endian, C
///    order, version 1.0), each written to a temporary name and renamed, so a failure never
///    leaves half a file.
///
/// An input name that is not an input blob of the net (the tops of its `Input` layers), or an
/// output name that is no blob of the net, is an error listing the names there are. Input
/// blobs not given keep the shape the net declares and are filled with zeros.
public struct ForwardCommand: ParsableCommand {
  /// The `forward` subcommand's name and one-line help abstract.
  public static let configuration = CommandConfiguration(
    commandName: "forward",
    abstract: "run one forward pass on .npy inputs and save blobs as .npy files")

  @Option(name: .customLong("model"), help: "The model definition protocol buffer text file.")
  var model = ""

  @Option(name: .customLong("weights"), help: "Optional; trained weights (.caffemodel).")
  var weights = ""

  @Option(name: .customLong("phase"), help: "Optional; network phase (TEST or TRAIN).")
  var phase = ""

  @Option(
    name: .customLong("input"),
    help: "An input blob and the .npy file to fill it from, as name=file.npy; repeatable.")
  var inputs: [String] = []

  @Option(
    name: .customLong("output"),
    help: "A blob to save after the forward pass and its .npy file, as name=file.npy; repeatable.")
  var outputs: [String] = []

  @OptionGroup var netState: NetStateOptions

  /// Creates the command with every option at its default; the parser fills them in.
  public init() {}

  /// Runs the forward pass and writes the requested blobs.
  /// - Throws: `ValidationError` for missing or malformed flags; `CaffeError` for unreadable
  ///   or invalid files, unknown blob names, invalid nets or weights, and failed writes.
  public func run() throws {
    try require(model, "Need a model definition to run forward (--model).")
    guard !outputs.isEmpty else {
      throw ValidationError("Need at least one blob to save (--output blob=file.npy).")
    }
    let inputPairs = try inputs.map { try Self.pair($0, flag: "input") }
    let outputPairs = try outputs.map { try Self.pair($0, flag: "output") }
    let netPhase = try parsedPhase()
    var arrays: [String: NpyArray] = [:]
    for (name, file) in inputPairs {
      let array = try NpyArray(path: file)
      Log.info("Input \(name) from \(file): \(CaffeError.shapeText(array.shape))")
      arrays[name] = array
    }
    netState.useCPU()
    let definition = try netDefinition(phase: netPhase, shapes: arrays.mapValues(\.shape))
    let net = try locatingLayerErrors(in: [model]) { try Net(definition) }
    let inputNames = net.inputBlobs.compactMap { blob in
      net.blobs.firstIndex { $0 === blob }.map { net.blobNames[$0] }
    }
    for name in arrays.keys.sorted() where !inputNames.contains(name) {
      let known = inputNames.isEmpty ? "none" : Self.uniqueNames(inputNames).joined(separator: ", ")
      throw CaffeError.invalidNet(
        reason: "--input \(name): \"\(name)\" is not an input blob of the net (its input "
          + "blobs: \(known))")
    }
    if !weights.isEmpty { try net.copyTrainedLayers(fromFile: weights) }
    let available = Self.uniqueNames(net.blobNames)
    for (name, _) in outputPairs where !available.contains(name) {
      throw CaffeError.invalidNet(
        reason: "--output \(name): the net has no blob \"\(name)\" (its blobs: "
          + available.joined(separator: ", ") + ")")
    }
    for (name, array) in arrays {
      guard let blob = net.blob(named: name) else { continue }
      try blob.setData(array.values)
    }
    Log.info("Running forward")
    let loss = try net.forward()
    Log.info("Loss: \(formatG(loss))")
    for (name, file) in outputPairs {
      guard let blob = net.blob(named: name) else { continue }
      try NpyArray(shape: blob.shape, values: blob.dataArray).write(to: file)
      Log.info("Wrote \(name) (\(blob.shapeString)) to \(file)")
    }
  }

  private func parsedPhase() throws -> Phase {
    switch phase {
    case "", "TEST": return .test
    case "TRAIN": return .train
    default: throw ValidationError("phase must be \"TRAIN\" or \"TEST\" (given \"\(phase)\")")
    }
  }

  /// The net definition, upgraded, with the state of the flags and each fed input blob shaped
  /// like its array.
  ///
  /// - Parameters:
  ///   - phase: the net's phase.
  ///   - shapes: the shape of each fed input blob, by name.
  /// - Returns: the definition to build the net from.
  /// - Throws: `CaffeError` for an unreadable or invalid prototxt, or net-level inputs without
  ///   a shape that are not fed.
  private func netDefinition(phase: Phase, shapes: [String: [Int]]) throws -> NetParameter {
    var raw = try Prototxt.readNet(path: model)
    if !raw.input.isEmpty && raw.inputShape.isEmpty && raw.inputDim.isEmpty {
      // Net inputs declared without a shape (such as OpenCV's test nets) take it from their
      // arrays; Caffe's upgrade would drop them and leave their consumers without a bottom.
      for name in raw.input where shapes[name] == nil {
        throw CaffeError.invalidNet(
          reason: "\(model): net input \"\(name)\" declares no shape (no input_dim or "
            + "input_shape); give it with --input \(name)=file.npy")
      }
      raw.inputShape = raw.input.map { Self.blobShape(shapes[$0] ?? []) }
    }
    var definition = try ProtoUpgrade.upgradeNet(raw, source: model)
    definition.state.phase = phase
    definition.state.stage.append(contentsOf: netState.stages)
    definition.state.level = netState.level
    for index in definition.layer.indices where definition.layer[index].type == "Input" {
      Self.reshapeInputs(of: &definition.layer[index], to: shapes)
    }
    return definition
  }

  /// Gives each top of the Input layer `layer` named in `shapes` that shape; the other tops
  /// keep theirs.
  private static func reshapeInputs(of layer: inout LayerParameter, to shapes: [String: [Int]]) {
    guard layer.top.contains(where: { shapes[$0] != nil }) else { return }
    let declared = layer.inputParam.shape
    layer.inputParam.shape = layer.top.enumerated().map { index, top in
      if let shape = shapes[top] { return blobShape(shape) }
      if declared.count == layer.top.count { return declared[index] }
      return declared.first ?? BlobShape()
    }
  }

  private static func blobShape(_ dimensions: [Int]) -> BlobShape {
    var shape = BlobShape()
    shape.dim = dimensions.map(Int64.init)
    return shape
  }

  /// `name=file` split at its first `=`.
  /// - Throws: `ValidationError` when either side is empty.
  static func pair(_ argument: String, flag: String) throws -> (name: String, file: String) {
    guard let equals = argument.firstIndex(of: "="),
      equals != argument.startIndex, argument.index(after: equals) != argument.endIndex
    else {
      throw ValidationError(
        "--\(flag) \(argument): give a blob name and a .npy file as name=file.npy")
    }
    return (String(argument[..<equals]), String(argument[argument.index(after: equals)...]))
  }

  /// `names` without repeats, in first-seen order.
  private static func uniqueNames(_ names: [String]) -> [String] {
    var seen = Set<String>()
    return names.filter { seen.insert($0).inserted }
  }
}
