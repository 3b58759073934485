// SIGINT / SIGHUP during training turned into solver actions (stop, snapshot, none).

import Foundation

nonisolated(unsafe) private var caughtSIGINT: sig_atomic_t = 0
nonisolated(unsafe) private var caughtSIGHUP: sig_atomic_t = 0

/// Catches SIGINT and SIGHUP while it lives and reports them as ``SolverAction``s, as
/// `caffe train --sigint_effect --sighup_effect` do.
///
/// The handlers only set a flag; the solver asks ``requestedAction()`` after each iteration
/// and before each test batch. Only one handler should exist at a time; the default signal
/// behaviour returns when it is deallocated.
public final class SolverSignalHandler {
  /// What SIGINT asks for (Caffe's default: stop).
  public let sigintEffect: SolverAction
  /// What SIGHUP asks for (Caffe's default: snapshot).
  public let sighupEffect: SolverAction

  /// Installs the handlers and unblocks both signals on the calling thread, which a parent
  /// process may have left blocked (the mask is inherited; a blocked signal would never arrive).
  public init(sigintEffect: SolverAction, sighupEffect: SolverAction) {
    self.sigintEffect = sigintEffect
    self.sighupEffect = sighupEffect
    caughtSIGINT = 0
    caughtSIGHUP = 0
    signal(SIGINT) { _ in caughtSIGINT = 1 }
    signal(SIGHUP) { _ in caughtSIGHUP = 1 }
    var signals = sigset_t()
    sigemptyset(&signals)
    sigaddset(&signals, SIGINT)
    sigaddset(&signals, SIGHUP)
    pthread_sigmask(SIG_UNBLOCK, &signals, nil)
  }

  deinit {
    signal(SIGINT, SIG_DFL)
    signal(SIGHUP, SIG_DFL)
  }

  /// The action for the signal caught since the last call (SIGINT first), or `.none`.
  public func requestedAction() -> SolverAction {
    if caughtSIGINT != 0 {
      caughtSIGINT = 0
      return sigintEffect
    }
    if caughtSIGHUP != 0 {
      caughtSIGHUP = 0
      return sighupEffect
    }
    return .none
  }
}
