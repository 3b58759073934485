// The step shared by AdaGrad and RMSProp: the gradient divided by the root of its history.

import CaffeKernels

/// Update arithmetic shared by the adaptive solvers.
enum AdaptiveStep {
  /// `g[i] ← rate · g[i] / (√squares[i] + delta)`, in place.
  ///
  /// - Parameters:
  ///   - count: number of elements.
  ///   - gradient: (count); the gradient in, the update value out.
  ///   - squares: (count); the (accumulated or averaged) squared gradients, ≥ 0.
  ///   - delta: added to the root to keep the division finite.
  ///   - rate: the parameter's learning rate (`lr · lr_mult`).
  ///   - scratch: (count); overwritten.
  static func scaleByRootMeanSquare(
    count: Int, gradient: UnsafeMutablePointer<Float>, squares: UnsafePointer<Float>,
    delta: Float, rate: Float, scratch: UnsafeMutablePointer<Float>
  ) {
    Elementwise.sqrt(count: count, x: squares, into: scratch)
    Elementwise.addScalar(count: count, value: delta, into: scratch)
    Elementwise.div(count: count, a: gradient, b: scratch, into: scratch)
    Elementwise.scale(count: count, alpha: rate, x: scratch, into: gradient)
  }
}
