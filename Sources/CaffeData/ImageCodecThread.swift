// A disposable thread for libjpeg and libpng calls, whose fatal-error callbacks must not return.

import CaffeSupport
import Foundation

/// Runs a libjpeg or libpng job on a thread of its own, so that a fatal error in the library
/// ends that thread instead of the process.
///
/// Both libraries report a fatal error (a corrupt file, an unsupported feature) through a
/// callback that must not return to the library: libjpeg's `error_exit` exits the process by
/// default, and libpng aborts. C code leaves these callbacks with `longjmp` back to a `setjmp`,
/// which Swift cannot call. So each job runs on a fresh thread, and the callbacks end the job
/// with ``abandon()`` (`pthread_exit`): glibc unwinds that thread's stack, running no Swift
/// code, and the waiting caller frees the library's state with its destroy function
/// (`jpeg_destroy_decompress`, `png_destroy_read_struct`), exactly what a `setjmp` handler does.
///
/// A job must keep its state in memory the caller owns and reach it through raw pointers, with
/// no Swift references on the job thread's stack, so that nothing leaks when it is abandoned.
enum CodecThread {
  /// A job: a C function and the state it works on.
  private struct Job {
    var work: @convention(c) (UnsafeMutableRawPointer) -> Void
    var state: UnsafeMutableRawPointer
  }

  /// Runs `work(state)` on a new thread and waits for it to end.
  ///
  /// - Parameters:
  ///   - work: the job; it may call ``abandon()`` from a library callback.
  ///   - state: the job's state, owned by the caller and untouched by it until this returns.
  /// - Returns: true when `work` returned, false when it was abandoned.
  /// - Throws: `CaffeError.invalidData` when no thread can be started.
  static func run(
    _ work: @convention(c) (UnsafeMutableRawPointer) -> Void, state: UnsafeMutableRawPointer
  ) throws -> Bool {
    let job = UnsafeMutablePointer<Job>.allocate(capacity: 1)
    job.initialize(to: Job(work: work, state: state))
    defer { job.deallocate() }
    var thread = pthread_t()
    let status = pthread_create(
      &thread, nil,
      { argument in
        guard let argument else { return nil }
        let job = argument.assumingMemoryBound(to: Job.self)
        job.pointee.work(job.pointee.state)
        // A non-nil result tells the caller that the job returned; abandon() yields nil.
        return argument
      }, job)
    guard status == 0 else {
      throw CaffeError.invalidData(
        layer: "", reason: "cannot start an image decoding thread (error \(status))")
    }
    var result: UnsafeMutableRawPointer?
    pthread_join(thread, &result)
    return result != nil
  }

  /// Ends the current job's thread; call only from a job that ``run(_:state:)`` started.
  static func abandon() -> Never {
    pthread_exit(nil)
  }
}
