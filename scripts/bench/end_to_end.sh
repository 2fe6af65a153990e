#!/usr/bin/env bash
# Dev-only: embed a folder of photos end to end (whole process: start, load model, decode, preprocess,
# encode, print) with clip-search and with Pillow + ONNX Runtime, in the same run.
# Usage: scripts/bench/end_to_end.sh [photo folder] [model folder]
#   photo folder: made by scripts/bench/make_bench_photos.py (default /tmp/bench-photos, 96 photos)
#   model folder: a full-size ViT-B/32 (default /tmp/clip-b32-random from make_model_fixtures.py --full-size)
set -euo pipefail
cd "$(dirname "$0")/../.."
photos="${1:-/tmp/bench-photos}"
model="${2:-/tmp/clip-b32-random}"
swift build -c release --product clip-search >/dev/null
arguments=()
for file in "$photos"/*; do arguments+=(--image "$file"); done
measure() {
  local start end
  start=$(date +%s.%N)
  "$@" > /dev/null
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}
echo "photos: $(ls "$photos" | wc -l)"
echo "clip-search exact decode:  $(measure .build/release/clip-search embed --model "$model" "${arguments[@]}") s"
echo "clip-search --fast-decode: $(measure .build/release/clip-search embed --model "$model" --fast-decode "${arguments[@]}") s"
python3 scripts/bench/peer_bench.py --photos "$photos" --model-dir "$model" --only-end-to-end 2>/dev/null \
  | python3 -c 'import json,sys; r=json.loads(sys.stdin.read()); print("Pillow + ONNX Runtime:    %s s" % r["end_to_end_wall_seconds"])'
