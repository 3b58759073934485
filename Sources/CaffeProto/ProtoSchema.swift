// Caffe's message schema as lookup tables, read from the embedded descriptor.

import Foundation
import SwiftProtobuf

/// How a field's value is written on the wire and spelled in text format.
enum FieldKind: Sendable {
  case double, float, int64, uint64, int32, uint32, sint32, sint64
  case fixed32, fixed64, sfixed32, sfixed64, bool, string, bytes, enumeration, message

  /// The type's name as written in a .proto file, for error messages.
  var protoName: String {
    switch self {
    case .enumeration: return "enum"
    case .message: return "message"
    default: return "\(self)"
    }
  }
}

/// One field of a message: name, number, kind and label.
struct FieldSchema: Sendable {
  let name: String
  let number: Int
  let kind: FieldKind
  let isRepeated: Bool
  let isRequired: Bool
  /// Fully qualified type name (`.caffe.BlobShape`) for message and enum fields, else empty.
  let typeName: String
}

/// A message type: its Caffe name (`PoolingParameter`) and its fields.
struct MessageSchema: Sendable {
  let name: String
  let fields: [FieldSchema]
  private let indexByName: [String: Int]
  private let indexByNumber: [Int: Int]

  init(name: String, fields: [FieldSchema]) {
    self.name = name
    self.fields = fields
    var byName: [String: Int] = [:]
    var byNumber: [Int: Int] = [:]
    for (position, field) in fields.enumerated() {
      byName[field.name] = position
      byNumber[field.number] = position
    }
    indexByName = byName
    indexByNumber = byNumber
  }

  /// The field spelled `name`, if the message has one.
  func field(named name: String) -> FieldSchema? {
    indexByName[name].map { fields[$0] }
  }

  /// The field numbered `number`, if the message has one.
  func field(number: Int) -> FieldSchema? {
    indexByNumber[number].map { fields[$0] }
  }
}

/// An enum type: its Caffe name (`PoolingParameter.PoolMethod`) and its values in order.
struct EnumSchema: Sendable {
  let name: String
  let values: [(name: String, number: Int32)]

  /// The number of the value spelled `name`.
  func number(named name: String) -> Int32? {
    values.first { $0.name == name }?.number
  }

  /// Whether `number` is one of the enum's values (proto2 enums are closed).
  func contains(number: Int32) -> Bool {
    values.contains { $0.number == number }
  }
}

/// Every message and enum of `caffe.proto`, keyed by fully qualified name (`.caffe.NetParameter`).
struct ProtoSchema: Sendable {
  private(set) var messages: [String: MessageSchema] = [:]
  private(set) var enums: [String: EnumSchema] = [:]

  /// The schema of `proto/caffe.proto`; empty only if the embedded descriptor is corrupt,
  /// which a test rules out.
  static let caffe = ProtoSchema(base64: CaffeDescriptor.base64)

  init(base64: String) {
    guard let data = Data(base64Encoded: base64, options: .ignoreUnknownCharacters),
      let set = try? Google_Protobuf_FileDescriptorSet(serializedBytes: data)
    else { return }
    for file in set.file {
      let package = file.package.isEmpty ? "" : "." + file.package
      for message in file.messageType { add(message, scope: package, displayScope: "") }
      for enumType in file.enumType { add(enumType, scope: package, displayScope: "") }
    }
  }

  /// The message schema for a swift-protobuf message type (`caffe.NetParameter`).
  func message(protoName: String) -> MessageSchema? {
    messages["." + protoName]
  }

  private mutating func add(
    _ message: Google_Protobuf_DescriptorProto, scope: String, displayScope: String
  ) {
    let fullName = scope + "." + message.name
    let displayName = displayScope.isEmpty ? message.name : displayScope + "." + message.name
    let fields = message.field.map { field in
      FieldSchema(
        name: field.name, number: Int(field.number), kind: Self.kind(of: field.type),
        isRepeated: field.label == .repeated, isRequired: field.label == .required,
        typeName: field.typeName)
    }
    messages[fullName] = MessageSchema(name: displayName, fields: fields)
    for nested in message.nestedType { add(nested, scope: fullName, displayScope: displayName) }
    for nested in message.enumType { add(nested, scope: fullName, displayScope: displayName) }
  }

  private mutating func add(
    _ enumType: Google_Protobuf_EnumDescriptorProto, scope: String, displayScope: String
  ) {
    let displayName = displayScope.isEmpty ? enumType.name : displayScope + "." + enumType.name
    enums[scope + "." + enumType.name] = EnumSchema(
      name: displayName, values: enumType.value.map { ($0.name, $0.number) })
  }

  private static func kind(of type: Google_Protobuf_FieldDescriptorProto.TypeEnum) -> FieldKind {
    switch type {
    case .double: return .double
    case .float: return .float
    case .int64: return .int64
    case .uint64: return .uint64
    case .int32: return .int32
    case .fixed64: return .fixed64
    case .fixed32: return .fixed32
    case .bool: return .bool
    case .string: return .string
    case .group, .message: return .message
    case .bytes: return .bytes
    case .uint32: return .uint32
    case .enum: return .enumeration
    case .sfixed32: return .sfixed32
    case .sfixed64: return .sfixed64
    case .sint32: return .sint32
    case .sint64: return .sint64
    }
  }
}
