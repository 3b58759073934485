// The eight charts of Caffe's plot_training_log.py: a field of the log against iterations or time.

/// Caffe's chart types, numbered as `plot_training_log.py.example` numbers them: its four fields
/// (sorted by name) each against iterations and against seconds.
public enum ChartType: Int, CaseIterable, Sendable {
  /// 0: test accuracy against iterations.
  case testAccuracyVsIters = 0
  /// 1: test accuracy against seconds.
  case testAccuracyVsSeconds
  /// 2: test loss against iterations.
  case testLossVsIters
  /// 3: test loss against seconds.
  case testLossVsSeconds
  /// 4: learning rate against iterations.
  case trainLearningRateVsIters
  /// 5: learning rate against seconds.
  case trainLearningRateVsSeconds
  /// 6: training loss against iterations.
  case trainLossVsIters
  /// 7: training loss against seconds.
  case trainLossVsSeconds

  /// The quantity on the y axis.
  public enum Field: String, Sendable {
    case testAccuracy = "Test accuracy"
    case testLoss = "Test loss"
    case trainLearningRate = "Train learning rate"
    case trainLoss = "Train loss"
  }

  /// The y-axis field.
  public var field: Field {
    switch self {
    case .testAccuracyVsIters, .testAccuracyVsSeconds: return .testAccuracy
    case .testLossVsIters, .testLossVsSeconds: return .testLoss
    case .trainLearningRateVsIters, .trainLearningRateVsSeconds: return .trainLearningRate
    case .trainLossVsIters, .trainLossVsSeconds: return .trainLoss
    }
  }

  /// Whether the x axis is time (`Seconds`) rather than iterations (`Iters`).
  public var isAgainstSeconds: Bool { rawValue % 2 == 1 }

  /// The x-axis label: `Iters` or `Seconds`.
  public var xLabel: String { isAgainstSeconds ? "Seconds" : "Iters" }

  /// The chart title, Caffe's description of the type: `Test accuracy  vs. Iters`.
  public var title: String { "\(field.rawValue)  vs. \(xLabel)" }

  /// Whether the legend goes in the upper right corner (losses and learning rates, which fall)
  /// rather than the lower right (accuracies, which rise), as in Caffe's script.
  public var legendAtTop: Bool { field != .testAccuracy }

  /// The list of chart types for help and error messages: `0: Test accuracy  vs. Iters, …`.
  public static var catalogue: String {
    allCases.map { "\($0.rawValue): \($0.title)" }.joined(separator: ", ")
  }
}
