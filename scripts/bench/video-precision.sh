#!/usr/bin/env bash
# Dev-only: how far the default video settings move frame embeddings, to set against their speed
# (scripts/bench/video-speed.sh). One video is indexed three times:
#   full decoding, --video-precision model   (every frame decoded exactly, products as for photos)
#   fast decoding, --video-precision model   (the decoder's shortcuts only)
#   fast decoding, --video-precision bf16    (the defaults)
# and the frame vectors of each pair are compared at equal times: largest element difference and
# smallest cosine. Random weights make any change show; real checkpoints behave alike per element.
#
# Usage: scripts/bench/video-precision.sh [variant folder (/tmp/video-speed/phone-60s)] [model (/tmp/clip-b32-random)]
#   BINARY=path  the clip-search to run (default .build-release/release/clip-search)
# Make the videos with video-speed.sh first.
set -euo pipefail
cd "$(dirname "$0")/../.."
folder="${1:-/tmp/video-speed/phone-60s}"
model="${2:-/tmp/clip-b32-random}"
binary="${BINARY:-.build-release/release/clip-search}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for setting in "full model" "fast model" "fast bf16"; do
  read -r decoding precision <<< "$setting"
  "$binary" index "$folder" --db "$work/$decoding-$precision.sqlite" --model "$model" \
    --video-decoding "$decoding" --video-precision "$precision" --no-shot-detection --quiet --json > /dev/null
done
python3 - "$work" <<'PYTHON'
import sqlite3, struct, sys
work = sys.argv[1]
def frames(name):
    rows = sqlite3.connect(f"{work}/{name}.sqlite").execute("select frame_time, vector from embeddings").fetchall()
    return {round(time, 2): struct.unpack(f"<{len(blob) // 4}f", blob) for time, blob in rows}
full, fast, default = frames("full-model"), frames("fast-model"), frames("fast-bf16")
def compare(label, a, b):
    times = sorted(set(a) & set(b))
    largest = max(max(abs(x - y) for x, y in zip(a[t], b[t])) for t in times)
    cosine = min(sum(x * y for x, y in zip(a[t], b[t])) for t in times)
    print(f"{label:44s} frames {len(times):3d}  max |difference| {largest:.1e}  min cosine {cosine:.6f}")
compare("fast decoding vs full (products as photos)", fast, full)
compare("bf16 products vs model's (fast decoding)", default, fast)
compare("defaults (fast + bf16) vs full + model's", default, full)
PYTHON
