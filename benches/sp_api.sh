#!/usr/bin/env bash
# Orders as SP-API JSON against the same orders as flat files (docs/BENCHMARKS.md, "Orders as
# SP-API JSON"): one history of N orders (`generate --seed 1`) written as flat files, as v0
# responses (`--format sp-api`: getOrders pages and getOrderItems per night and region) and as
# a connector's export (`--format sp-api-jsonl`: an order per line, items nested). Then one
# export file of EXPORT_BYTES (every night's records in one JSON-lines file, the first records
# again until it is that big: the same orders, seen more often), and the same as one JSON
# array. Confirmations, cancellation events and scans stay flat files beside them.
#
# ROUNDS alternating rounds of `orderhealth report` on each, wall time and peak RSS by
# /usr/bin/time -v; each JSON run as a ratio to the flat files' run of its round.
#
# The tables that depend only on the orders (cancel_rate, late_shipment, auto_cancel,
# cancellations) are compared with the flat files' (cmp); a difference is printed.
#
#   bash benches/sp_api.sh                               # 1 M orders, a 2 GB export
#   ORDERS=100000 EXPORT_BYTES=200000000 bash benches/sp_api.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ORDERS=${ORDERS:-1000000}
EXPORT_BYTES=${EXPORT_BYTES:-2000000000}
ROUNDS=${ROUNDS:-3}
WORK=${WORK:-/tmp/orderhealth-sp-api-bench}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/orderhealth/target}"

command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
cargo build --release -q -p orderhealth-cli
bin="$CARGO_TARGET_DIR/release/orderhealth"
mkdir -p "$WORK"

measure() { # command...: prints "seconds peak_MiB"
  /usr/bin/time -v "$@" >/dev/null 2>"$WORK/time.txt"
  awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i] }
              /Maximum resident set size/ { rss = $2 } END { printf "%.2f %d\n", s, rss / 1024 }' "$WORK/time.txt"
}

for format in flat sp-api sp-api-jsonl; do
  dir="$WORK/$format-$ORDERS"
  if [ ! -f "$dir.complete" ]; then
    rm -rf "$dir"
    "$bin" generate --orders "$ORDERS" --days 90 --seed 1 --all-utf8 --format "$format" --out "$dir" >/dev/null
    touch "$dir.complete"
  fi
done

# One export file: the nights' non-order files stay per night; every order record in one file.
lines="$WORK/export-jsonl-$ORDERS-$EXPORT_BYTES"
array="$WORK/export-array-$ORDERS-$EXPORT_BYTES"
if [ ! -f "$array.complete" ]; then
  rm -rf "$lines" "$array"
  src="$WORK/sp-api-jsonl-$ORDERS"
  for night in "$src"/*/; do
    n=$(basename "$night")
    mkdir -p "$lines/$n" "$array/$n"
    find "$night" -maxdepth 1 -type f ! -name 'sp-api-orders*' -exec cp {} "$lines/$n/" \; -exec cp {} "$array/$n/" \;
  done
  find -L "$src" -name 'sp-api-orders*' | sort | xargs cat >"$WORK/all.jsonl"
  [ -s "$WORK/all.jsonl" ] || { echo "no sp-api-orders files under $src" >&2; exit 1; }
  cp "$WORK/all.jsonl" "$lines/export.jsonl"
  while [ "$(stat -c %s "$lines/export.jsonl")" -lt "$EXPORT_BYTES" ]; do
    need=$((EXPORT_BYTES - $(stat -c %s "$lines/export.jsonl")))
    head -c "$need" "$WORK/all.jsonl" | sed '$d' >>"$lines/export.jsonl"
    [ "$need" -lt 4096 ] && break || true
  done
  rm "$WORK/all.jsonl"
  { echo "["; sed '$!s/$/,/' "$lines/export.jsonl"; echo "]"; } >"$array/export.json"
  touch "$array.complete"
fi
echo "orders $ORDERS: flat $(du -sbL "$WORK/flat-$ORDERS" | cut -f1) B, sp-api $(du -sbL "$WORK/sp-api-$ORDERS" | cut -f1) B," \
  "sp-api-jsonl $(du -sbL "$WORK/sp-api-jsonl-$ORDERS" | cut -f1) B; export $(stat -c %s "$lines/export.jsonl") B" \
  "(JSON lines), $(stat -c %s "$array/export.json") B (array)"

printf '%5s | %8s %6s | %8s %6s %6s | %8s %6s %6s | %8s %6s %6s | %8s %6s %6s\n' \
  round flat_s MiB pages_s MiB ratio jsonl_s MiB ratio export_s MiB ratio array_s MiB ratio
for round in $(seq "$ROUNDS"); do
  row=("$round")
  flat_s=
  for input in "flat-$ORDERS" "sp-api-$ORDERS" "sp-api-jsonl-$ORDERS" "$(basename "$lines")" "$(basename "$array")"; do
    rm -rf "$WORK/out"
    if [ -z "$flat_s" ]; then
      read -r s m < <(measure "$bin" report "$WORK/$input" --out "$WORK/out")
      flat_s=$s
      cp -r "$WORK/out" "$WORK/out-flat"
      # The flat files' newest observation is a report's time the JSON responses do not
      # carry (a few seconds later): the JSON runs are judged at the same instant.
      as_of=$(grep -m1 '"as_of"' "$WORK/out/summary.json" | cut -d'"' -f4)
      row+=("$s" "$m")
    else
      read -r s m < <(measure "$bin" report "$WORK/$input" --out "$WORK/out" --as-of "$as_of")
      # The same orders give the same tables (the export repeats records: same states).
      for t in cancel_rate late_shipment auto_cancel cancellations; do
        cmp -s "$WORK/out/$t.parquet" "$WORK/out-flat/$t.parquet" || echo "DIFFERENT $t: $input" >&2
      done
      row+=("$s" "$m" "$(awk "BEGIN { printf \"%.2f\", $s / $flat_s }")")
    fi
  done
  rm -rf "$WORK/out-flat"
  printf '%5s | %8s %6s | %8s %6s %6s | %8s %6s %6s | %8s %6s %6s | %8s %6s %6s\n' "${row[@]}"
done
