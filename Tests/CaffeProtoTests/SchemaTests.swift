// The embedded schema matches the generated message types.

import SwiftProtobuf
import Testing

@testable import CaffeProto

@Suite("Embedded caffe.proto schema")
struct SchemaTests {
  static let messageTypes: [any SwiftProtobuf.Message.Type] = [
    BlobShape.self, BlobProto.self, BlobProtoVector.self, Datum.self, FillerParameter.self,
    NetParameter.self, SolverParameter.self, SolverState.self, NetState.self, NetStateRule.self,
    ParamSpec.self, LayerParameter.self, TransformationParameter.self, LossParameter.self,
    ConvolutionParameter.self, PoolingParameter.self, V1LayerParameter.self,
    V0LayerParameter.self, PReLUParameter.self, ClipParameter.self,
  ]

  @Test func descriptorHoldsEveryMessageAndEnum() {
    #expect(ProtoSchema.caffe.messages.count == 64)
    #expect(ProtoSchema.caffe.enums.count == 26)
    for type in Self.messageTypes {
      #expect(ProtoSchema.caffe.message(protoName: type.protoMessageName) != nil, "\(type)")
    }
  }

  @Test func fieldsCarryCaffeNumbersTypesAndLabels() throws {
    let layer = try #require(ProtoSchema.caffe.message(protoName: "caffe.LayerParameter"))
    let convolution = try #require(layer.field(named: "convolution_param"))
    #expect(convolution.number == 106)
    #expect(convolution.kind == .message)
    #expect(convolution.typeName == ".caffe.ConvolutionParameter")
    let clip = try #require(ProtoSchema.caffe.message(protoName: "caffe.ClipParameter"))
    #expect(clip.fields.map(\.isRequired) == [true, true])
    let shape = try #require(ProtoSchema.caffe.message(protoName: "caffe.BlobShape"))
    #expect(shape.field(number: 1)?.isRepeated == true)
    let method = try #require(ProtoSchema.caffe.enums[".caffe.PoolingParameter.PoolMethod"])
    #expect(method.name == "PoolingParameter.PoolMethod")
    #expect(method.values.map(\.name) == ["MAX", "AVE", "STOCHASTIC"])
  }

  @Test func editDistanceCountsSingleEdits() {
    #expect(TextParser.editDistance("lyer", "layer") == 1)
    #expect(TextParser.editDistance("nmae", "name") == 1)
    #expect(TextParser.editDistance("bn_param", "lrn_param") == 2)
    #expect(TextParser.editDistance("name", "name") == 0)
    #expect(TextParser.editDistance("", "abc") == 3)
  }
}
