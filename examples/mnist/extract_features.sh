#!/usr/bin/env bash
# Extracts LeNet's ip1 features (500 values per digit) of all 10 000 MNIST test digits with
# extract_features, into examples/mnist/lenet_ip1_features_lmdb (one float Datum per digit, keys
# 0000000000…0000009999), then shows the first record with caffe db.
# Needs create_mnist.sh and train_lenet.sh to have run (the test LMDB and the trained weights).
# Run from anywhere. BIN: folder of the built tools (default: the release build). WEIGHTS: the
# trained weights (default: the newest examples/mnist/lenet_iter_*.caffemodel).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN="${BIN:-$(swift build -c release --show-bin-path)}"
EXAMPLE=examples/mnist
OUTPUT="$EXAMPLE/lenet_ip1_features_lmdb"

if [ ! -d "$EXAMPLE/mnist_test_lmdb" ]; then
  echo "error: $EXAMPLE/mnist_test_lmdb not found; run examples/mnist/create_mnist.sh first" >&2
  exit 1
fi
if [ -z "${WEIGHTS:-}" ]; then
  WEIGHTS="$(ls -t "$EXAMPLE"/lenet_iter_*.caffemodel 2>/dev/null | head -n 1 || true)"
fi
if [ -z "$WEIGHTS" ] || [ ! -f "$WEIGHTS" ]; then
  echo "error: no trained weights; run examples/mnist/train_lenet.sh first (or set WEIGHTS)" >&2
  exit 1
fi

# The output is this script's own; extract_features refuses to overwrite, so remove it first.
rm -rf "$OUTPUT"

# The TEST net reads mnist_test_lmdb in batches of 100: 100 batches are the 10 000 test digits.
"$BIN/extract_features" "$WEIGHTS" "$EXAMPLE/lenet_train_test.prototxt" ip1 "$OUTPUT" 100 lmdb
"$BIN/caffe" db get "$OUTPUT" 0000000000
echo "Features of the 10 000 test digits (weights: $WEIGHTS): $OUTPUT"
