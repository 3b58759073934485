// Telling a solver definition from a net definition when one is given for the other.

/// The two kinds of top-level prototxt a user passes to Caffe's tools.
enum DefinitionKind: String {
  case net
  case solver

  /// The kind whose top-level message is `message`, if it is one of the two.
  init?(message: MessageSchema) {
    switch message.name {
    case "NetParameter": self = .net
    case "SolverParameter": self = .solver
    default: return nil
    }
  }

  /// The top-level message type of this kind.
  var messageName: String {
    self == .net ? "caffe.NetParameter" : "caffe.SolverParameter"
  }

  /// Fields that mark a file as this kind, most telling first.
  var signatureFields: [String] {
    switch self {
    case .net: return ["layer", "layers", "input", "input_shape", "input_dim", "name"]
    case .solver:
      return [
        "base_lr", "lr_policy", "max_iter", "net", "train_net", "solver_mode", "snapshot_prefix",
        "test_iter", "momentum", "weight_decay",
      ]
    }
  }

  /// Replaces an unknown-top-level-field error with "this looks like a solver definition"
  /// (or a net definition) when the field belongs to the other kind of file.
  ///
  /// - Parameters:
  ///   - issue: The parse problem.
  ///   - input: The whole text.
  ///   - expected: The message the text was parsed as.
  /// - Returns: The clearer message, or nil when the problem is something else.
  static func confusion(
    _ issue: TextFormatIssue, in input: [UInt8], expected: MessageSchema
  ) -> String? {
    guard let field = issue.unknownTopLevelField,
      let expectedKind = DefinitionKind(message: expected)
    else { return nil }
    let otherKind: DefinitionKind = expectedKind == .net ? .solver : .net
    guard let other = ProtoSchema.caffe.message(protoName: otherKind.messageName),
      other.field(named: field) != nil
    else { return nil }
    let present = Set(topLevelFieldNames(input))
    var evidence = otherKind.signatureFields.filter { present.contains($0) }.prefix(2)
    if evidence.isEmpty { evidence = [field] }
    return "this looks like a \(otherKind.rawValue) definition (has "
      + evidence.joined(separator: ", ") + "); expected a \(expectedKind.rawValue)"
  }

  /// The field names used at the outermost level of `input`, as far as it scans.
  private static func topLevelFieldNames(_ input: [UInt8]) -> [String] {
    var scanner = TextScanner(input)
    var names: [String] = []
    var depth = 0
    var previous: TextToken? = nil
    while let token = try? scanner.next(), token.kind != .end {
      if token.kind == .symbol && (token.text == "{" || token.text == "<") { depth += 1 }
      if token.kind == .symbol && (token.text == "}" || token.text == ">") { depth -= 1 }
      let afterColon = previous?.kind == .symbol && (previous?.text == ":" || previous?.text == "-")
      if depth == 0 && token.kind == .identifier && !afterColon { names.append(token.text) }
      previous = token
    }
    return names
  }
}
