#!/usr/bin/env bash
# Turns the LeNet training log (examples/mnist/lenet_train.log, written by train_lenet.sh) into
# CSV tables (lenet_train.log.train, lenet_train.log.test) and two charts: test accuracy and
# training loss against iterations (lenet_test_accuracy.png, lenet_train_loss.png).
# Run from anywhere. BIN: folder of the built tools (default: the release build).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN="${BIN:-$(swift build -c release --show-bin-path)}"
LOG=examples/mnist/lenet_train.log
"$BIN/parse_log" "$LOG" examples/mnist
"$BIN/plot_training_log" 0 examples/mnist/lenet_test_accuracy.png "$LOG"
"$BIN/plot_training_log" 6 examples/mnist/lenet_train_loss.png "$LOG"
