#!/usr/bin/env bash
# Turns LeNet's training into pictures: the log (examples/mnist/lenet_train.log, written by
# train_lenet.sh) into CSV tables (lenet_train.log.train, lenet_train.log.test) and two charts
# (test accuracy and training loss against iterations), then, with the newest snapshot, the
# conv1 and conv2 activations of the first test digit and the conv1 filters (caffe visualize),
# and the net's drawing when Graphviz is installed. Prints the path of every picture.
# Run from anywhere. BIN: folder of the built tools (default: the release build).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN="${BIN:-$(swift build -c release --show-bin-path)}"
LOG=examples/mnist/lenet_train.log
OUT=examples/mnist/lenet_pictures
"$BIN/parse_log" "$LOG" examples/mnist
"$BIN/plot_training_log" 0 examples/mnist/lenet_test_accuracy.png "$LOG"
"$BIN/plot_training_log" 6 examples/mnist/lenet_train_loss.png "$LOG"
WEIGHTS="$(ls -t examples/mnist/lenet_iter_*.caffemodel | head -n 1)"
"$BIN/caffe" visualize --model=examples/mnist/lenet_train_test.prototxt --weights="$WEIGHTS" \
  --db=examples/mnist/mnist_test_lmdb --index=0 --blobs=conv1,conv2 --params=conv1 \
  --out="$OUT" 2>/dev/null
PICTURES=(examples/mnist/lenet_test_accuracy.png examples/mnist/lenet_train_loss.png
  "$OUT/conv1.png" "$OUT/conv2.png" "$OUT/conv1_filters.png")
if command -v dot >/dev/null; then
  "$BIN/draw_net" examples/mnist/lenet_train_test.prototxt "$OUT/lenet.png" --phase TEST >/dev/null
  PICTURES+=("$OUT/lenet.png")
fi
echo
echo "Pictures of the training (weights: $WEIGHTS, digit: record 0 of mnist_test_lmdb):"
printf '  %s\n' "${PICTURES[@]}"
