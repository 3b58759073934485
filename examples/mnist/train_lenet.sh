#!/usr/bin/env bash
# Trains LeNet on the MNIST LMDBs made by create_mnist.sh; the log goes to
# examples/mnist/lenet_train.log. Then plot_lenet.sh draws the loss and accuracy charts, the
# conv1/conv2 activations of a test digit and the conv1 filters, and prints their paths.
# Run from the repository root. BIN: folder of the built tools (default: the release build).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN="${BIN:-$(swift build -c release --show-bin-path)}"
export BIN
"$BIN/caffe" train --solver=examples/mnist/lenet_solver.prototxt "$@" \
  2>&1 | tee examples/mnist/lenet_train.log
bash examples/mnist/plot_lenet.sh
