#!/usr/bin/env bash
# The nightly job over a long history (docs/BENCHMARKS.md, "A year of nightly dumps"): N orders
# over D days of dumps, each night `report --store STORE --out OUT NIGHT/` (the nightly job in
# one command), timed; then the nights' means per PERIOD nights (layer nights and new-base
# nights apart), the worst nights, a full report over every night (ROUNDS times, the median),
# and whether the tables of the store's report are one read's bytes. The 64 nights of store.sh never reach
# the night a base is written whole (after 32 older segments, about the 98th); a year does.
#
#   bash benches/long_history.sh                         # 1M orders over 365 days
#   ORDERS=100000 DAYS=730 bash benches/long_history.sh
#   BIN=/path/to/baseline WORK=/tmp/baseline bash benches/long_history.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ORDERS=${ORDERS:-1000000}
DAYS=${DAYS:-365}
SEED=${SEED:-7}
PERIOD=${PERIOD:-30}
ROUNDS=${ROUNDS:-3}
WORK=${WORK:-/tmp/orderhealth-long-history}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/orderhealth/target}"
source benches/common.sh
bin=$(bench_bin)
mkdir -p "$WORK"
dumps="$WORK/dumps-$ORDERS-$DAYS-$SEED"
if [ ! -f "$dumps.complete" ]; then
  rm -rf "$dumps"
  "$bin" generate --orders "$ORDERS" --days "$DAYS" --seed "$SEED" --all-utf8 --out "$dumps" >&2
  touch "$dumps.complete"
fi
store="$WORK/store"
nights="$WORK/nights.txt"
rm -rf "$store" "$WORK/out" "$nights"
# Each night: its name, wall seconds, the layers beside the base after it (0: it made a new
# base), the older segments the base stands on, the files the store holds.
for night in $(find "$dumps" -mindepth 1 -maxdepth 1 -type d | sort); do
  start=$(date +%s.%N)
  "$bin" report --store "$store" --out "$WORK/out" "$night" >/dev/null 2>"$WORK/night.err" ||
    { echo "$night failed:" >&2; cat "$WORK/night.err" >&2; exit 1; }
  end=$(date +%s.%N)
  python3 - "$store/manifest.json" "$(basename "$night")" "$start" "$end" >>"$nights" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
print(sys.argv[2], f"{float(sys.argv[4]) - float(sys.argv[3]):.3f}", len(m["state"]) - 1, len(m.get("older", [])), len(m["files"]))
PY
done
full=()
for _ in $(seq "$ROUNDS"); do
  start=$(date +%s.%N)
  "$bin" report "$dumps" --out "$WORK/full" >/dev/null 2>&1
  end=$(date +%s.%N)
  full+=("$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')")
done
median=$(printf '%s\n' "${full[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
"$bin" report --store "$store" --out "$WORK/from-store" >/dev/null 2>&1
same=yes
for f in "$WORK"/full/*.parquet; do
  cmp -s "$f" "$WORK/from-store/$(basename "$f")" || { same="no: $(basename "$f") differs"; break; }
done
awk -v p="$PERIOD" -v full="$median" -v rounds="${full[*]}" -v same="$same" '
  { i = int((NR - 1) / p); s[i] += $2; c[i]++; all += $2; n++
    if ($3 == 0) { b[i] += $2; bc[i]++ } else { l[i] += $2; lc[i]++ } }
  END {
    for (k = 0; k in s; k++)
      printf "nights %4d-%4d: mean %.3f s (layer nights %.3f, new-base nights %.3f)\n", k * p + 1, k * p + c[k],
        s[k] / c[k], lc[k] ? l[k] / lc[k] : 0, bc[k] ? b[k] / bc[k] : 0
    printf "all %d nights: mean %.3f s; full report %s s (median of %s): %.3f of it\n", n, all / n, full, rounds, all / n / full
    printf "the tables of the store'"'"'s report are one read'"'"'s bytes: %s\n", same
  }' "$nights"
echo "worst nights (night, seconds, layers, older segments, files):"
sort -k2 -nr "$nights" | head -n 5
