#!/usr/bin/env bash
# Converts the MNIST IDX files in data/mnist/ into examples/mnist/mnist_{train,test}_${BACKEND}.
# BACKEND: lmdb (default) or leveldb. BIN: folder of the built tools (default: the release build,
# built here when convert_mnist_data is missing). Can be run from any folder.
set -euo pipefail
cd "$(dirname "$0")/../.."

EXAMPLE=examples/mnist
DATA=data/mnist
BACKEND="${BACKEND:-lmdb}"

if [ -z "${BIN:-}" ]; then
  BIN="$(swift build -c release --show-bin-path)"
  if [ ! -x "$BIN/convert_mnist_data" ]; then
    echo "Building convert_mnist_data (release)..."
    swift build -c release --product convert_mnist_data
  fi
fi
if [ ! -x "$BIN/convert_mnist_data" ]; then
  echo "error: $BIN/convert_mnist_data not found; build it with" \
    "swift build -c release --product convert_mnist_data" >&2
  exit 1
fi
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte \
    t10k-labels-idx1-ubyte; do
  if [ ! -f "$DATA/$f" ]; then
    echo "error: $DATA/$f not found; run data/mnist/get_mnist.sh first" >&2
    exit 1
  fi
done

echo "Creating ${BACKEND}..."

# The outputs are this script's own; the converter refuses to overwrite, so remove them first.
rm -rf "$EXAMPLE/mnist_train_${BACKEND}"
rm -rf "$EXAMPLE/mnist_test_${BACKEND}"

"$BIN/convert_mnist_data" "$DATA/train-images-idx3-ubyte" \
  "$DATA/train-labels-idx1-ubyte" "$EXAMPLE/mnist_train_${BACKEND}" --backend="${BACKEND}"
"$BIN/convert_mnist_data" "$DATA/t10k-images-idx3-ubyte" \
  "$DATA/t10k-labels-idx1-ubyte" "$EXAMPLE/mnist_test_${BACKEND}" --backend="${BACKEND}"

echo "Done."
