#!/usr/bin/env bash
# Two builds of the nightly job in one command, night by night in lockstep (docs/BENCHMARKS.md):
# each night `report --store DIR NIGHT` by build A on its store, then by build B on its own
# (B first on every other night), ROUNDS times from empty stores. The machine's speed drifts
# by more than a change of a few percent between two runs of `store.sh` minutes apart; run
# side by side, both builds meet the same drift. Prints each night's median wall time per
# build, then the mean over the nights (the first two aside: they make the store), over layer
# nights and over new-base nights (told apart by B's own `state/` after the night), and the
# worst night.
#
#   BIN_A=/path/to/baseline BIN_B=/path/to/candidate bash benches/store_pair.sh
#   DUMPS=/tmp/orderhealth-store-bench/dumps-1000000-60 ROUNDS=3 ...   (store.sh's dumps: the default)
set -euo pipefail
cd "$(dirname "$0")/.."
: "${BIN_A:?the baseline build}" "${BIN_B:?the build to compare}"
DUMPS=${DUMPS:-/tmp/orderhealth-store-bench/dumps-1000000-60}
ROUNDS=${ROUNDS:-3}
WORK=${WORK:-/tmp/orderhealth-store-pair}
[ -d "$DUMPS" ] || { echo "no dumps at $DUMPS: run benches/store.sh first (it makes them)" >&2; exit 2; }
source benches/common.sh
rm -rf "$WORK" && mkdir -p "$WORK"
times="$WORK/times.txt"
: >"$times"
for round in $(seq "$ROUNDS"); do
  rm -rf "$WORK"/store-* "$WORK"/out-*
  i=0
  for night in $(ls "$DUMPS"); do
    i=$((i + 1))
    order="A B"; [ $((i % 2)) -eq 0 ] || order="B A"
    for which in $order; do
      bin=$BIN_A; [ "$which" = A ] || bin=$BIN_B
      start=$(date +%s%N)
      "$bin" report --store "$WORK/store-$which" --out "$WORK/out-$which" "$DUMPS/$night" >/dev/null 2>"$WORK/err"
      end=$(date +%s%N)
      # A night that folds a new base leaves no layer beside it.
      kind=layer
      [ "$(layers "$WORK/store-$which")" != 0 ] || kind=base
      echo "$round $night $which $kind $(( (end - start) / 1000 ))" >>"$times"
    done
  done
done
python3 - "$times" <<'EOF'
import collections, statistics, sys
t = collections.defaultdict(lambda: collections.defaultdict(list))
kind = {}
for line in open(sys.argv[1]):
    _, night, which, k, us = line.split()
    t[night][which].append(int(us) / 1e6)
    if which == "B":
        kind[night] = k
nights = sorted(t)[2:]
med = {n: (statistics.median(t[n]["A"]), statistics.median(t[n]["B"])) for n in nights}
for n in nights:
    print(f"{n} {kind[n]:5} A {med[n][0]:.3f} s  B {med[n][1]:.3f} s")
def line(name, ns):
    if not ns:
        return
    a = statistics.mean(med[n][0] for n in ns)
    b = statistics.mean(med[n][1] for n in ns)
    print(f"{name} ({len(ns)}): A {a:.4f} s, B {b:.4f} s ({(b / a - 1) * 100:+.1f}%)")
line("every night", nights)
line("layer nights", [n for n in nights if kind[n] == "layer"])
line("new-base nights", [n for n in nights if kind[n] == "base"])
print("worst night: A %.3f s, B %.3f s" % (max(m[0] for m in med.values()), max(m[1] for m in med.values())))
EOF
