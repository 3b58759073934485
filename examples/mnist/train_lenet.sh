#!/usr/bin/env bash
# Trains LeNet on the MNIST LMDBs made by create_mnist.sh; the log goes to examples/mnist/lenet_train.log.
# Run from the repository root. BIN: folder of the built tools (default: the release build).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN="${BIN:-$(swift build -c release --show-bin-path)}"
"$BIN/caffe" train --solver=examples/mnist/lenet_solver.prototxt "$@" \
  2>&1 | tee examples/mnist/lenet_train.log
