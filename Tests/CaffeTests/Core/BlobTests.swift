// Blob: shapes, axes, legacy accessors, memory sharing and BlobProto conversion.

import CaffeProto
import Testing

@testable import Caffe

@Suite struct BlobTests {
  @Test func countsAndAxes() throws {
    let blob = try Blob(shape: [2, 3, 4, 5])
    #expect(blob.count == 120)
    #expect(blob.count(from: 1) == 60)
    #expect(blob.count(from: 1, to: 3) == 12)
    #expect(try blob.canonicalAxis(-1) == 3)
    #expect(try blob.shape(-3) == 3)
    #expect(blob.num == 2 && blob.channels == 3 && blob.height == 4 && blob.width == 5)
    #expect(blob.shapeString == "2 3 4 5 (120)")
    #expect(throws: (any Error).self) { try blob.canonicalAxis(4) }
    #expect(throws: (any Error).self) { try blob.canonicalAxis(-5) }
  }

  @Test func scalarBlobPrintsLikeCaffe() throws {
    let blob = try Blob(shape: [])
    #expect(blob.count == 1)
    #expect(blob.shapeString == "(1)")
  }

  @Test func badShapesThrow() throws {
    #expect(throws: (any Error).self) { try Blob(shape: [2, -1]) }
    #expect(throws: (any Error).self) { try Blob(shape: Array(repeating: 1, count: 33)) }
    #expect(throws: (any Error).self) { try Blob(shape: [65536, 65536]) }
  }

  @Test func reshapeKeepsMemoryAndZeroesGrowth() throws {
    let blob = try Blob(shape: [2, 2])
    try blob.setData([1, 2, 3, 4])
    try blob.reshape([1, 2])
    #expect(blob.dataArray == [1, 2])
    try blob.reshape([3, 2])
    #expect(blob.dataArray == [1, 2, 3, 4, 0, 0])
  }

  @Test func updateSubtractsDiff() throws {
    let blob = try Blob(shape: [3])
    try blob.setData([1, 2, 3])
    try blob.setDiff([0.5, 0.5, 1])
    blob.update()
    #expect(blob.dataArray == [0.5, 1.5, 2])
    #expect(blob.asumData == 4)
    #expect(blob.sumsqDiff == 1.5)
  }

  @Test func sharedDataIsTheSameMemory() throws {
    let a = try Blob(shape: [2])
    let b = try Blob(shape: [2])
    b.shareData(with: a)
    try a.setData([7, 8])
    #expect(b.dataArray == [7, 8])
  }

  @Test func protoRoundTrip() throws {
    let blob = try Blob(shape: [2, 3])
    try blob.setData([1, 2, 3, 4, 5, 6])
    try blob.setDiff([6, 5, 4, 3, 2, 1])
    let copy = Blob()
    try copy.load(from: blob.toProto(writeDiff: true))
    #expect(copy.shape == [2, 3])
    #expect(copy.dataArray == blob.dataArray)
    #expect(copy.diffArray == blob.diffArray)
  }

  @Test func legacyProtoShapeMatchesWithLeadingOnes() throws {
    var proto = BlobProto()
    proto.num = 1
    proto.channels = 1
    proto.height = 2
    proto.width = 3
    proto.doubleData = [1, 2, 3, 4, 5, 6]
    let blob = try Blob(shape: [2, 3])
    #expect(blob.shapeEquals(proto))
    try blob.load(from: proto, reshape: false)
    #expect(blob.dataArray == [1, 2, 3, 4, 5, 6])
    #expect(try Blob(shape: [3, 2]).shapeEquals(proto) == false)
  }

  @Test func protoWithWrongValueCountIsAnError() throws {
    var proto = BlobProto()
    proto.shape.dim = [2, 2]
    proto.data = [1, 2, 3]
    #expect(throws: (any Error).self) { try Blob().load(from: proto) }
  }
}
