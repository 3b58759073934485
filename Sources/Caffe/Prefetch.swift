// Background prefetching: a blocking queue and the worker thread that fills batches through it.

import CaffeSupport
import Foundation

/// A first-in, first-out queue whose `pop` waits for an element, as Caffe's `BlockingQueue`.
///
/// Safe to use from several threads. ``close()`` wakes every waiter: after it, `pop` returns nil
/// and `push` drops its element, which is how a worker thread is told to stop.
public final class BlockingQueue<Element: Sendable>: @unchecked Sendable {
  private let condition = NSCondition()
  private var elements: [Element] = []
  private var head = 0
  private var closed = false
  private var waits = 0

  /// Creates an empty, open queue.
  public init() {}

  /// Appends `element` and wakes one waiter; a closed queue drops it.
  public func push(_ element: Element) {
    condition.lock()
    defer { condition.unlock() }
    guard !closed else { return }
    elements.append(element)
    condition.signal()
  }

  /// Removes and returns the oldest element, waiting while the queue is empty.
  ///
  /// - Parameter logOnWait: when not empty, logged on the first wait and every 1000th after
  ///   (Caffe logs `Waiting for data` this way when training outruns the prefetch thread).
  /// - Returns: the element, or nil once the queue is closed.
  public func pop(logOnWait: String = "") -> Element? {
    condition.lock()
    defer { condition.unlock() }
    while head == elements.count && !closed {
      if !logOnWait.isEmpty {
        if waits % 1000 == 0 { Log.info(logOnWait) }
        waits += 1
      }
      condition.wait()
    }
    guard !closed else { return nil }
    return takeFirst()
  }

  /// Removes and returns the oldest element without waiting; nil when empty or closed.
  public func tryPop() -> Element? {
    condition.lock()
    defer { condition.unlock() }
    guard !closed, head < elements.count else { return nil }
    return takeFirst()
  }

  /// The number of elements waiting.
  public var count: Int {
    condition.lock()
    defer { condition.unlock() }
    return elements.count - head
  }

  /// Closes the queue for good and wakes every waiter.
  public func close() {
    condition.lock()
    defer { condition.unlock() }
    closed = true
    elements.removeAll()
    head = 0
    condition.broadcast()
  }

  /// Takes the element at `head`; the lock must be held and the queue non-empty.
  private func takeFirst() -> Element {
    let element = elements[head]
    head += 1
    // Compact once the consumed prefix dominates, so the array does not grow without bound.
    if head * 2 >= elements.count {
      elements.removeFirst(head)
      head = 0
    }
    return element
  }
}

/// A worker thread that keeps a fixed set of reusable batches filled ahead of their use, as
/// Caffe's `BasePrefetchingDataLayer` with its `InternalThread` and free/full queue pair.
///
/// The worker pops an empty batch from the *free* queue, fills it with `load`, and pushes it to
/// the *full* queue; the consumer pops full batches with ``next()`` and returns them with
/// ``recycle(_:)``. The batch count bounds how far the worker runs ahead. An error thrown by
/// `load` is handed to the consumer by the next ``next()`` and stops the worker.
public final class Prefetcher<Batch: Sendable> {
  private let free = BlockingQueue<Batch>()
  private let full = BlockingQueue<Result<Batch, Error>>()
  private let finished = DispatchSemaphore(value: 0)
  private var running = true

  /// Starts the worker thread with `batches` as the reusable buffers.
  ///
  /// - Parameters:
  ///   - batches: the buffers to fill (Caffe's `data_param.prefetch` of them), at least one.
  ///   - name: the thread's name, for debuggers.
  ///   - load: fills one batch; called on the worker thread only, one batch at a time, so it
  ///     may own non-thread-safe state (a database cursor) as long as nothing else touches that
  ///     state until ``stop()`` returns.
  public init(
    batches: [Batch], name: String, load: @escaping @Sendable (inout Batch) throws -> Void
  ) {
    for batch in batches { free.push(batch) }
    let free = free
    let full = full
    let finished = finished
    let thread = Thread {
      defer { finished.signal() }
      while var batch = free.pop() {
        do {
          try load(&batch)
          full.push(.success(batch))
        } catch {
          full.push(.failure(error))
          return
        }
      }
    }
    thread.name = name
    thread.start()
  }

  deinit { stop() }

  /// The next filled batch, waiting for the worker when none is ready (logging
  /// `Waiting for data`, as Caffe does).
  ///
  /// - Throws: the error the worker's `load` threw; `CaffeError.invalidNet` after ``stop()``.
  public func next() throws -> Batch {
    guard let result = full.pop(logOnWait: "Waiting for data") else {
      throw CaffeError.invalidNet(reason: "the prefetch thread has been stopped")
    }
    return try result.get()
  }

  /// Hands a consumed batch back to the worker for refilling.
  public func recycle(_ batch: Batch) {
    free.push(batch)
  }

  /// Stops the worker and waits for it to exit.
  ///
  /// Afterwards the state that `load` used is free for the caller again. Calling it twice is
  /// harmless.
  public func stop() {
    guard running else { return }
    running = false
    free.close()
    full.close()
    finished.wait()
  }
}
