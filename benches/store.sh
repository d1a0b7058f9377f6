#!/usr/bin/env bash
# The store against a full report (docs/BENCHMARKS.md, "The store"): N orders over D nightly
# dumps. The store of the first D-1 nights is built as a nightly job would: each night an
# ingest, then a report (both timed, with their stages as `--timings` names them, averaged
# per kind of night); and built again as the nightly job in one command would, each night
# `report --store DIR NIGHT` (timed). Then, alternately, ROUNDS times (same session, same files):
#   full    report over every night's files
#   nightly ingest of night D, then report --store   (on a copy of the store of D-1 nights)
#   one     report --store DIR NIGHT: the same in one command (one process)
#   store   report --store alone                     (the store of all D nights)
#   first   report --store on a base nobody reported on yet (it judges the settled orders)
#   dumps   ingest of the whole dumps folder, all nights but D stored (only night D is read)
#   again   the nightly build in one command once more (each night's median over the builds is
#           reported beside the first build's figures)
# and the store's bytes against the dumps'. Wall time and peak RSS by /usr/bin/time -v.
#
#   bash benches/store.sh                        # 1M orders, 60 nights
#   ORDERS=100000 bash benches/store.sh
#   BIN=/path/to/baseline WORK=/tmp/baseline bash benches/store.sh   # another build, same files
set -euo pipefail
cd "$(dirname "$0")/.."
ORDERS=${ORDERS:-1000000}
DAYS=${DAYS:-60}
ROUNDS=${ROUNDS:-3}
WORK=${WORK:-/tmp/orderhealth-store-bench}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/orderhealth/target}"

command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
# BIN=path: that binary instead of this tree's (a baseline in the same session; give each its
# own WORK, whose nightly store it builds).
source benches/common.sh
bin=$(bench_bin)
mkdir -p "$WORK"

measure() { # label, command...: prints "seconds peak_MiB"
  local label=$1; shift
  /usr/bin/time -v "$@" >"$WORK/$label.out" 2>"$WORK/$label.time"
  awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i] }
              /Maximum resident set size/ { rss = $2 } END { printf "%.2f %d\n", s, rss / 1024 }' "$WORK/$label.time"
}

dumps="$WORK/dumps-$ORDERS-$DAYS"
if [ ! -f "$dumps.complete" ]; then
  rm -rf "$dumps"
  "$bin" generate --orders "$ORDERS" --days "$DAYS" --seed 1 --all-utf8 --out "$dumps" >/dev/null
  touch "$dumps.complete"
fi
nights=$(find "$dumps/" -mindepth 1 -maxdepth 1 -type d | sort)
last=$(echo "$nights" | tail -n 1)
store_before="$WORK/store-before"
if [ ! -f "$store_before.complete" ]; then
  rm -rf "$store_before" "$WORK/ingests.txt" "$WORK/stages.txt"
  # As a nightly job: each night's ingest, then its report (both timed; their stages, as
  # `--timings` names them, kept in stages.txt).
  for night in $(echo "$nights" | head -n -1); do
    start=$(date +%s.%N)
    "$bin" ingest "$night" --store "$store_before" --timings 2>"$WORK/ingest.err"
    ingested=$(date +%s.%N)
    "$bin" report --store "$store_before" --out "$WORK/out-nightly" --timings >/dev/null 2>"$WORK/report.err"
    finished=$(date +%s.%N)
    n_layers=$(layers "$store_before")
    echo "$night $start $ingested $finished $n_layers" >>"$WORK/ingests.txt"
    for run in ingest report; do
      sed -n "s|^timings: \(.*\) (total .*|$night $n_layers $run: \1|p" "$WORK/$run.err" >>"$WORK/stages.txt"
    done
  done
  touch "$store_before.complete"
fi
# Each night while the store was built: a layer, or a new base (0 layers after it); the
# first night (the first report judges every order) is left out.
awk 'NR > 1 { i = $3 - $2; r = $4 - $3; if ($5 == 0) { b++; bi += i; br += r; if (i + r > bm) bm = i + r }
                                        else { l++; li += i; lr += r; if (i + r > lm) lm = i + r } }
     END { printf "nightly, layer nights (%d): ingest %.2f s + report %.2f s on average (max of both %.2f s)\n", l, li / l, lr / l, lm;
           printf "nightly, new-base nights (%d): ingest %.2f s + report %.2f s on average (max of both %.2f s)\n", b, bi / b, br / b, bm }' "$WORK/ingests.txt"
# Where each kind of night goes, stage by stage (means over the nights of that kind; a build
# whose ingest has no `--timings` lists its reports only; none for a store built before).
[ -s "$WORK/stages.txt" ] && python3 - "$WORK/stages.txt" <<'PY'
import collections, re, sys
sums = collections.defaultdict(lambda: collections.defaultdict(float))
nights = collections.Counter()
lines = [re.match(r"(\S+) (\d+) (\w+): (.*)", line.strip()).groups() for line in open(sys.argv[1])]
for night, layers, run, stages in lines:
    if night == lines[0][0]:
        continue  # the first night (its report judges every order), left out as above
    nights[(int(layers), run)] += 1
    for stage in stages.split(", "):
        name, seconds = re.match(r"(.*) ([\d.]+) s$", stage).groups()
        sums[(int(layers), run)][name] += float(seconds)
for (layers, run), stages in sorted(sums.items()):
    n = nights[(layers, run)]
    kind = "new-base nights" if layers == 0 else f"nights with {layers} layer{'s' * (layers > 1)}"
    print(f"{kind} ({n}), {run}: " + ", ".join(f"{name} {total / n:.3f} s" for name, total in stages.items()))
PY
# The same nights as the nightly job in one command: `report --store DIR NIGHT` each night.
store_one="$WORK/store-one-before"
if [ ! -f "$store_one.complete" ]; then
  rm -rf "$store_one" "$WORK/nightly-one.txt"
  for night in $(echo "$nights" | head -n -1); do
    start=$(date +%s.%N)
    "$bin" report --store "$store_one" --out "$WORK/out-nightly-one" "$night" >/dev/null 2>&1
    finished=$(date +%s.%N)
    echo "$night $start $finished $(layers "$store_one")" >>"$WORK/nightly-one.txt"
  done
  touch "$store_one.complete"
fi
store_all="$WORK/store-all"
rm -rf "$store_all" && cp -r "$store_before" "$store_all" && "$bin" ingest "$last" --store "$store_all" 2>/dev/null

dump_bytes=$(find "$dumps/" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
store_bytes=$(du -sb "$store_all" | cut -f1)
echo "orders $ORDERS, nights $DAYS: dumps $dump_bytes bytes, store $store_bytes bytes (ratio $(awk "BEGIN { printf \"%.3f\", $store_bytes / $dump_bytes }"))"
echo "layers beside the base: $(layers "$store_before") before the last night, $(layers "$store_all") after it"
fulls=""; dumps_runs=""
rm -f "$WORK/nightly-one-rounds.txt"
printf '%5s | %8s %8s | %8s %8s | %8s %8s | %8s %8s | %8s %8s | %8s %8s | %7s %7s %7s %7s %7s\n' round full_s MiB night_s MiB one_s MiB store_s MiB first_s MiB dumps_s MiB night/f one/f store/f first/f dumps/f
for round in $(seq "$ROUNDS"); do
  rm -rf "$WORK/out-full" "$WORK/out-night" "$WORK/out-one" "$WORK/out-store" "$WORK/out-first" "$WORK/store-night" "$WORK/store-one" "$WORK/store-first" "$WORK/store-dumps"
  read -r f_s f_m < <(measure full "$bin" report "$dumps" --out "$WORK/out-full")
  fulls="$fulls $f_s"
  # Each copy of a store is synced before the run it is for: the benchmark's own writes (the
  # stores it built, the copy's 450 MB) still in the page cache are not the run's to flush.
  cp -r "$store_before" "$WORK/store-night" && sync
  read -r n_s n_m < <(measure night bash -c "'$bin' ingest '$last' --store '$WORK/store-night' 2>/dev/null && '$bin' report --store '$WORK/store-night' --out '$WORK/out-night'")
  cp -r "$store_before" "$WORK/store-one" && sync
  read -r o_s o_m < <(measure one "$bin" report --store "$WORK/store-one" --out "$WORK/out-one" "$last")
  read -r s_s s_m < <(measure store "$bin" report --store "$store_all" --out "$WORK/out-store")
  cp -r "$store_all" "$WORK/store-first" && rm -rf "$WORK/store-first/settled" && sync
  read -r x_s x_m < <(measure first "$bin" report --store "$WORK/store-first" --out "$WORK/out-first")
  # Issue 23 item 4: the whole folder handed to `ingest`, of which only the last night is new.
  cp -r "$store_before" "$WORK/store-dumps" && sync
  read -r d_s d_m < <(measure dumps "$bin" ingest "$dumps" --store "$WORK/store-dumps")
  dumps_runs="$dumps_runs $d_s"
  # The nightly build in one command once more in each round, beside the full report: a
  # night's figure below is its median over every build (this machine stretches a night now
  # and then; a worst of single runs is partly the worst stretch).
  rm -rf "$WORK/store-one-round"
  for night in $(echo "$nights" | head -n -1); do
    start=$(date +%s.%N)
    "$bin" report --store "$WORK/store-one-round" --out "$WORK/out-nightly-one" "$night" >/dev/null 2>&1
    finished=$(date +%s.%N)
    echo "$round $night $start $finished $(layers "$WORK/store-one-round")" >>"$WORK/nightly-one-rounds.txt"
  done
  printf '%5s | %8s %8s | %8s %8s | %8s %8s | %8s %8s | %8s %8s | %8s %8s | %7.3f %7.3f %7.3f %7.3f %7.3f\n' "$round" "$f_s" "$f_m" "$n_s" "$n_m" "$o_s" "$o_m" "$s_s" "$s_m" "$x_s" "$x_m" "$d_s" "$d_m" \
    "$(awk "BEGIN { print $n_s / $f_s }")" "$(awk "BEGIN { print $o_s / $f_s }")" "$(awk "BEGIN { print $s_s / $f_s }")" "$(awk "BEGIN { print $x_s / $f_s }")" "$(awk "BEGIN { print $d_s / $f_s }")"
  for f in "$WORK/out-full"/*; do
    for o in out-store out-night out-one out-first; do cmp -s "$f" "$WORK/$o/$(basename "$f")" || echo "DIFFER: $o/$(basename "$f")"; done
  done
done
# The nightly build against the full report of this run: every night (ingest + report) but the
# first, its mean and its worst (issue 23: mean <= 0.1, worst <= 0.2 of a full report). The
# yardstick is the median of the rounds' full reports: a run of 1.1 GB whose page faults
# this machine sometimes serves slowly (system time 1.0-2.7 s) would move a mean of few.
full_mean=$(echo $fulls | tr ' ' '\n' | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
echo "full report, median of $(echo $fulls | wc -w) runs ($fulls s): $full_mean s"
echo "$dumps_runs" | awk -v full="$full_mean" '{ for (i = 1; i <= NF; i++) s += $i; printf "ingest of the whole dumps folder, the last night new (%s s): mean %.3f s (%.3f of a full report)\n", substr($0, 2), s / NF, s / NF / full }'
awk -v full="$full_mean" 'NR > 1 { t = $4 - $2; sum += t; n++; if (t > worst) { worst = t; at = $1 } }
     END { printf "nightly build, %d nights: mean %.2f s (%.3f of a full report, %.2f s), worst %.2f s (%.3f; %s)\n",
                  n, sum / n, sum / n / full, full, worst, worst / full, at }' "$WORK/ingests.txt"
awk -v full="$full_mean" 'NR > 1 { t = $3 - $2; sum += t; n++; if (t > worst) { worst = t; at = $1 }; if ($4 == 0) { b++; bs += t } else { l++; ls += t } }
     END { printf "nightly build in one command, %d nights: mean %.2f s (%.3f of a full report, %.2f s), worst %.2f s (%.3f; %s); layer nights %.2f s, new-base nights %.2f s on average\n",
                  n, sum / n, sum / n / full, full, worst, worst / full, at, ls / l, bs / b }' "$WORK/nightly-one.txt"
# Each night's median over the first build and the rounds' builds (the first night left out,
# as above), then the mean and the worst of those medians.
python3 - "$full_mean" "$WORK/nightly-one.txt" "$WORK/nightly-one-rounds.txt" <<'PY'
import collections, statistics, sys
full = float(sys.argv[1])
times = collections.defaultdict(list)
kinds = {}
for i, line in enumerate(open(sys.argv[2])):
    night, start, finished, layers = line.split()
    if i > 0:
        times[night].append(float(finished) - float(start))
        kinds[night] = int(layers)
for line in open(sys.argv[3]):
    _, night, start, finished, _ = line.split()
    if night in times:
        times[night].append(float(finished) - float(start))
medians = {night: statistics.median(t) for night, t in times.items()}
builds = min(len(t) for t in times.values())
mean = sum(medians.values()) / len(medians)
worst = max(medians, key=medians.get)
layer = [m for n, m in medians.items() if kinds[n] > 0]
base = [m for n, m in medians.items() if kinds[n] == 0]
print(f"nightly build in one command, each night's median over {builds} builds: mean {mean:.2f} s ({mean / full:.3f} of a full report, "
      f"{full:.2f} s), worst {medians[worst]:.2f} s ({medians[worst] / full:.3f}; {worst}); layer nights {sum(layer) / len(layer):.2f} s, "
      f"new-base nights {sum(base) / len(base):.2f} s on average")
PY
