# Sourced by the benchmark scripts (after `cd` to the repository and CARGO_TARGET_DIR set).

# The binary to measure: BIN when given (a baseline built elsewhere, run in the same session
# on the same files), else this tree's release build.
bench_bin() {
  if [ -n "${BIN:-}" ]; then
    echo "$BIN"
  else
    cargo build --release -q -p orderhealth-cli >&2
    echo "$CARGO_TARGET_DIR/release/orderhealth"
  fi
}

# Layers beside a store's base (the manifest's `state` less the base; `older` segments not
# counted): 0 after a night that folded a new base.
layers() { python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["state"]) - 1)' "$1/manifest.json"; }
