#!/usr/bin/env bash
# The main job, from nothing: system packages, release build, MNIST download, LMDB creation,
# LeNet training (10 000 iterations) with its charts and pictures (train_lenet.sh runs
# plot_lenet.sh), a final `caffe test`, and where the results are.
# Usage: bash Scripts/mnist-main-job.sh        (run as root on a fresh Debian machine)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
bash Scripts/install-deps.sh
swift build -c release
BIN="$(swift build -c release --show-bin-path)"
export BIN
bash data/mnist/get_mnist.sh
bash examples/mnist/create_mnist.sh
bash examples/mnist/train_lenet.sh
"$BIN/caffe" test --model=examples/mnist/lenet_train_test.prototxt \
  --weights=examples/mnist/lenet_iter_10000.caffemodel --iterations=100 \
  2>&1 | tee examples/mnist/lenet_test.log
echo
echo "Trained model:   examples/mnist/lenet_iter_10000.caffemodel (+ .solverstate)"
echo "Training log:    examples/mnist/lenet_train.log"
echo "Test log:        examples/mnist/lenet_test.log"
echo "Plots:           examples/mnist/lenet_test_accuracy.png, examples/mnist/lenet_train_loss.png"
echo "Activations:     examples/mnist/lenet_pictures/conv1.png, conv2.png (test digit 0)"
echo "Filters:         examples/mnist/lenet_pictures/conv1_filters.png"
