#!/usr/bin/env bash
# End-to-end benchmark: dumps → every table, orderhealth against a DuckDB SQL baseline that
# computes the same tables from the same files (benches/duckdb_baseline.py).
#
#   bash benches/e2e.sh                      # 100k, 1M and 4M orders over 90 days
#   SIZES="100000" bash benches/e2e.sh       # one size
#
# Prints, per size: input bytes, wall time and peak RSS of each tool, the time ratio, and
# whether the headline counts and every table DuckDB computes agree. Throughput is counted in uncompressed bytes.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${SIZES:-"100000 1000000 4000000"}
DAYS=${DAYS:-90}
WORK=${WORK:-/tmp/orderhealth-bench}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/orderhealth/target}"

command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
python3 -c 'import duckdb' 2>/dev/null || pip install --quiet duckdb
cargo build --release -q -p orderhealth-cli
bin="$CARGO_TARGET_DIR/release/orderhealth"
mkdir -p "$WORK"

measure() { # label, command...: runs it under /usr/bin/time -v, prints "seconds peak_kib"
  local label=$1; shift
  /usr/bin/time -v "$@" >"$WORK/$label.out" 2>"$WORK/$label.time"
  awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i] }
              /Maximum resident set size/ { rss = $2 } END { printf "%.2f %d\n", s, rss }' "$WORK/$label.time"
}

printf '%-9s %9s | %9s %9s | %9s %9s | %7s %9s | %s\n' orders input_MB oh_s oh_MiB duck_s duck_MiB ratio oh_MB/s counts
for n in $SIZES; do
  dumps="$WORK/dumps-$n"
  if [ ! -f "$dumps.complete" ]; then
    rm -rf "$dumps"
    gen=$(measure "generate-$n" "$bin" generate --orders "$n" --days "$DAYS" --seed 1 --all-utf8 --out "$dumps")
    echo "generated $n orders in ${gen%% *} s" >&2
    touch "$dumps.complete"
  fi
  bytes=$(find "$dumps" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
  rm -rf "$WORK/oh-$n" "$WORK/duck-$n"
  read -r oh_s oh_kib < <(measure "oh-$n" "$bin" report "$dumps" --out "$WORK/oh-$n")
  read -r dk_s dk_kib < <(measure "duck-$n" python3 benches/duckdb_baseline.py "$dumps" "$WORK/duck-$n")
  # Headline counts (classes of the merged view, auto_cancel and cancel_rate rows, defects),
  # then every table DuckDB computes, row for row, on the columns it computes (tracking_defects
  # without its number, which orderhealth shows with hidden characters as \u{...}, nor
  # `suggestion`; late_deliveries without its `reason` text).
  "$bin" orders "$dumps" --out "$WORK/oh-$n" --format parquet >/dev/null
  agree=$(python3 - "$WORK/oh-$n" "$WORK/duck-$n.out" "$WORK/duck-$n" <<'PY'
import duckdb, json, sys
out, duck, duck_dir = sys.argv[1], json.load(open(sys.argv[2])), sys.argv[3]
c = duckdb.connect()
q = lambda s: c.sql(s).fetchall()
ours = {
    "orders": q(f"select count(*) from '{out}/orders.parquet'")[0][0],
    "classes": dict(q(f"select coalesce(class, '-'), count(*) from '{out}/orders.parquet' group by 1")),
    "auto_cancel_rows": q(f"select count(*) from '{out}/auto_cancel.parquet'")[0][0],
    "cancel_rate_rows": q(f"select count(*) from '{out}/cancel_rate.parquet'")[0][0],
    "defects": dict(q(f"select defect, count(*) from '{out}/tracking_defects.parquet' group by 1")),
}
diff = [k for k in ours if ours[k] != duck[k]]
tables = ["cancel_rate", "cancel_reasons", "cancellations", "auto_cancel", "valid_tracking", "tracking_defects",
          "late_shipment", "on_time_delivery", "late_deliveries"]
for t in tables:
    a, b = f"'{out}/{t}.parquet'", f"'{duck_dir}/{t}.parquet'"
    cols = [r[0] for r in q(f"describe select * from {b}") if not (t == "tracking_defects" and r[0] == "tracking_number")]
    sel = ", ".join(cols)
    rows = [q(f"select count(*) from (select {sel} from {x} except all select {sel} from {y})")[0][0] for x, y in ((a, b), (b, a))]
    if rows != [0, 0] or q(f"select count(*) from {a}") != q(f"select count(*) from {b}"):
        diff.append(f"{t} ({rows[0]} rows only ours, {rows[1]} only DuckDB's)")
print(f"agree ({len(tables)} tables)" if not diff else "DIFFER: " + ", ".join(diff))
PY
)
  awk -v n="$n" -v b="$bytes" -v os="$oh_s" -v ok="$oh_kib" -v ds="$dk_s" -v dk="$dk_kib" -v agree="$agree" 'BEGIN {
    printf "%-9s %9.1f | %9.2f %9.0f | %9.2f %9.0f | %7.2f %9.1f | %s\n", n, b / 1e6, os, ok / 1024, ds, dk / 1024, os / ds, b / 1e6 / os, agree }'
done

# Memory follows distinct orders, not input bytes: the smallest data set read twice over
# (a second copy of every dump: twice the bytes, the same orders).
n=${SIZES%% *}
twice="$WORK/dumps-$n-twice"
if [ ! -d "$twice" ]; then
  mkdir -p "$twice"
  cp -r "$WORK/dumps-$n" "$twice/copy-a"
  cp -r "$WORK/dumps-$n" "$twice/copy-b"
fi
read -r once_s once_kib < <(measure "oh-$n-once" "$bin" report "$WORK/dumps-$n" --out "$WORK/oh-$n-once")
read -r twice_s twice_kib < <(measure "oh-$n-twice" "$bin" report "$twice" --out "$WORK/oh-$n-twice")
awk -v n="$n" -v a="$once_kib" -v b="$twice_kib" -v sa="$once_s" -v sb="$twice_s" 'BEGIN {
  printf "memory check, %s orders: input x1 %.0f MiB peak (%.2f s), input x2 %.0f MiB peak (%.2f s): ratio %.2f\n", n, a / 1024, sa, b / 1024, sb, b / a }'

