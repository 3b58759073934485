#!/usr/bin/env bash
# Speed of LeNet training (MNIST, batch 64): builds release, runs caffe-bench (the real Net and SGD
# step, per layer, with a large sgemm as the yardstick), then our `caffe time` next to Caffe 1.0's
# figures (../shared/golden/caffe_time_lenet.log), then the peak memory of a short `caffe train`.
#
# Usage: bash Scripts/bench.sh [caffe-bench arguments, e.g. --mode all --iterations 100]
# Environment:
#   SCRATCH=.build-x    build in this scratch folder instead of .build
#   TRAIN_ITERS=1000    iterations of the memory-measuring training run (0 skips it); one epoch
#                       (938 at batch 64) maps all of both LMDBs, after which the peak stops growing
#   CAFFE_BIN=path      a BVLC Caffe `caffe` executable: its `caffe time` runs right after ours,
#                       and the comparison uses it instead of the golden log
# `caffe time` and the training run need the MNIST LMDBs (bash examples/mnist/create_mnist.sh);
# without them those parts are skipped with a note.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"

scratch=()
if [[ -n "${SCRATCH:-}" ]]; then scratch=(--scratch-path "$SCRATCH"); fi
swift build -c release "${scratch[@]}"
BIN="$(swift build -c release "${scratch[@]}" --show-bin-path)"
golden=../shared/golden
train_lmdb=examples/mnist/mnist_train_lmdb
model=examples/mnist/lenet_train_test.prototxt

echo
echo "== caffe-bench: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$BIN/caffe-bench" --mode net "$@"

# The per-layer averages and totals of a `caffe time` log, as "name fwd bwd" lines and totals
# (our GFLOP/s lines, "name<TAB>forward: X GFLOP/s<TAB>backward: …", are not times: skipped).
summarise_time_log() {
  awk '
    /GFLOP\/s/ { next }
    /\] +[^ ]+\tforward: / { split($0, a, "] +"); split(a[2], b, "\t");
      name = b[1]; sub(/forward: /, "", b[2]); sub(/ ms\./, "", b[2]); fwd[name] = b[2];
      order[++n] = name }
    /\] +[^ ]+\tbackward: / { split($0, a, "] +"); split(a[2], b, "\t");
      sub(/backward: /, "", b[2]); sub(/ ms\./, "", b[2]); bwd[b[1]] = b[2] }
    /Average Forward pass:/ { sub(/.*: /, ""); sub(/ ms\./, ""); total["forward"] = $0 }
    /Average Backward pass:/ { sub(/.*: /, ""); sub(/ ms\./, ""); total["backward"] = $0 }
    /Average Forward-Backward:/ { sub(/.*: /, ""); sub(/ ms\./, ""); total["fwd+bwd"] = $0 }
    END {
      for (i = 1; i <= n; i++) print order[i], fwd[order[i]], bwd[order[i]]
      print "TOTAL", total["forward"], total["backward"], total["fwd+bwd"]
    }' "$1"
}

echo
echo "== caffe time --model=$model --iterations=50 (ms per iteration)"
caffe_log="$golden/caffe_time_lenet.log"
caffe_name="Caffe 1.0 (golden log)"
if [[ ! -d "$train_lmdb" ]]; then
  echo "skipped: $train_lmdb is absent (make it with: bash examples/mnist/create_mnist.sh)"
elif [[ -z "${CAFFE_BIN:-}" && ! -f "$caffe_log" ]]; then
  "$BIN/caffe" time --model="$model" --iterations=50 2>&1 | grep -E "Average|forward:|backward:"
  echo "(Caffe 1.0's log $caffe_log is absent and CAFFE_BIN is unset: nothing to compare with)"
else
  ours=$(mktemp)
  "$BIN/caffe" time --model="$model" --iterations=50 >"$ours" 2>&1
  if [[ -n "${CAFFE_BIN:-}" ]]; then
    caffe_log=$(mktemp)
    caffe_name="$CAFFE_BIN, run now"
    GLOG_logtostderr=1 "$CAFFE_BIN" time --model="$model" --iterations=50 >"$caffe_log" 2>&1
  fi
  echo "Caffe: $caffe_name"
  awk 'function ms(v) { return v == "" ? "-" : sprintf("%.3f", v) }
       NR == FNR { cf[$1] = $2; cb[$1] = $3; ct[$1] = $4; next }
       FNR == 1 { printf "%-10s %11s %11s %11s %11s\n", "layer", "fwd ours", "fwd Caffe",
                  "bwd ours", "bwd Caffe" }
       $1 != "TOTAL" { printf "%-10s %11s %11s %11s %11s\n", $1, ms($2), ms(cf[$1]), ms($3),
                       ms(cb[$1]) }
       $1 == "TOTAL" { printf "%-10s %11s %11s %11s %11s\n", "pass", ms($2), ms(cf[$1]), ms($3),
                       ms(cb[$1]);
                       printf "fwd+bwd: ours %s ms, Caffe %s ms: %.1fx faster\n", ms($4),
                         ms(ct[$1]), ct[$1] / $4 }' \
    <(summarise_time_log "$caffe_log") <(summarise_time_log "$ours")
  if [[ -n "${CAFFE_BIN:-}" ]]; then
    rm -f "$caffe_log"
  else
    echo "Caffe 1.0 over 8 runs on this kind of machine (golden/README.md):"
    grep -o 'over 8 runs[^|]*' "$golden/README.md" || true
  fi
  rm -f "$ours"
fi

echo
train_iters=${TRAIN_ITERS:-1000}
echo "== peak memory of caffe train ($train_iters iterations, test at the end)"
if [[ "$train_iters" == 0 ]]; then
  echo "skipped (TRAIN_ITERS=0)"
elif [[ ! -d "$train_lmdb" ]]; then
  echo "skipped: $train_lmdb is absent"
elif [[ ! -x /usr/bin/time ]]; then
  echo "skipped: /usr/bin/time is absent (apt-get install time)"
else
  work=$(mktemp -d)
  sed -e "s/^max_iter:.*/max_iter: $train_iters/" \
    -e "s/^test_interval:.*/test_interval: $train_iters/" \
    -e "s|^snapshot_prefix:.*|snapshot_prefix: \"$work/lenet\"|" \
    examples/mnist/lenet_solver.prototxt >"$work/solver.prototxt"
  echo "snapshot_after_train: false" >>"$work/solver.prototxt"
  /usr/bin/time -v "$BIN/caffe" train --solver="$work/solver.prototxt" >"$work/train.log" 2>&1
  grep -E "Test net output" "$work/train.log" | tail -2 | sed 's/^.*\] /  /'
  grep -E "Maximum resident set size|Elapsed \(wall clock\)" "$work/train.log" | sed 's/^\s*/  /'
  echo "  Caffe 1.0, full 10 000-iteration run (golden/README.md): max RSS 121 MB"
  rm -rf "$work"
fi
