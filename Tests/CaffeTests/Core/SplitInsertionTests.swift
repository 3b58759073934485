// Split insertion: Caffe's names for split layers and blobs, and loss weights moved to splits.

import CaffeProto
import Testing

@testable import Caffe

@Suite struct SplitInsertionTests {
  private func split(_ text: String) throws -> NetParameter {
    try SplitInsertion.insertSplits(
      Prototxt.decode(NetParameter.self, text: text, file: "test.prototxt"))
  }

  @Test func blobWithOneConsumerGetsNoSplit() throws {
    let result = try split(
      """
      layer { name: "data" type: "Input" top: "data" }
      layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip" }
      """)
    #expect(result.layer.map(\.name) == ["data", "ip"])
  }

  @Test func blobWithTwoConsumersIsSplitWithCaffeNames() throws {
    let result = try split(
      """
      layer { name: "data" type: "Input" top: "data" top: "label" }
      layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip" }
      layer { name: "acc" type: "Accuracy" bottom: "ip" bottom: "label" top: "acc" }
      layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
      """)
    #expect(
      result.layer.map(\.name) == [
        "data", "label_data_1_split", "ip", "ip_ip_0_split", "acc", "loss",
      ])
    let labelSplit = result.layer[1]
    #expect(labelSplit.type == "Split")
    #expect(labelSplit.bottom == ["label"])
    #expect(labelSplit.top == ["label_data_1_split_0", "label_data_1_split_1"])
    #expect(result.layer[4].bottom == ["ip_ip_0_split_0", "label_data_1_split_0"])
    #expect(result.layer[5].bottom == ["ip_ip_0_split_1", "label_data_1_split_1"])
  }

  @Test func lossWeightCountsAsConsumerAndMovesToSplit() throws {
    let result = try split(
      """
      layer { name: "data" type: "Input" top: "data" }
      layer { name: "loss" type: "EuclideanLoss" bottom: "data" bottom: "data" top: "l"
              loss_weight: 2 }
      layer { name: "use" type: "ReLU" bottom: "l" top: "r" }
      """)
    let lossLayer = try #require(result.layer.first { $0.name == "loss" })
    #expect(lossLayer.lossWeight.isEmpty)
    let lossSplit = try #require(result.layer.first { $0.name == "l_loss_0_split" })
    #expect(lossSplit.lossWeight == [2, 0])
    let use = try #require(result.layer.first { $0.name == "use" })
    #expect(use.bottom == ["l_loss_0_split_1"])
  }

  @Test func unknownBottomNamesLayerAndIndex() throws {
    #expect {
      try split(
        """
        layer { name: "data" type: "Input" top: "data" }
        layer { name: "ip" type: "InnerProduct" bottom: "data" bottom: "nope" top: "ip" }
        """)
    } throws: { error in
      "\(error)" == "Unknown bottom blob 'nope' (layer 'ip', bottom index 1)"
    }
  }
}
