#!/usr/bin/env bash
# Renders report.html of the bundled sample in headless Chromium and saves the screenshot
# docs/report-sample.png (linked from the README). Run from anywhere: bash docs/screenshot.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/orderhealth/target-$(pwd | cksum | cut -d" " -f1)}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo run -q -- report testdata/sample --format csv --out "$work/out" >/dev/null 2>&1
# The flags this machine needs: root (no sandbox), no GPU, no network of Chromium's own.
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --hide-scrollbars --user-data-dir="$work/profile" --window-size=1100,2200 \
    --screenshot="$PWD/docs/report-sample.png" "file://$work/out/report.html" 2>/dev/null
echo "wrote docs/report-sample.png"
