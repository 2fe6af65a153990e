#!/usr/bin/env bash
# One command: install system packages, build in release mode, and run the main job with the bundled demo
# model (models/clipsearch-demo, trained by ClipSearch itself; no download): generate a demo gallery, index it,
# search it by text (English and Chinese) and by image, classify an image, list near-duplicates, benchmark.
# CLIPSEARCH_MODEL=<folder or hub id> runs the same job with another model.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
bash scripts/install-system-packages.sh
swift build -c release --product clip-search
binary=.build/release/clip-search
model="${CLIPSEARCH_MODEL:-demo}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "== generate a demo gallery (200 procedural scenes, seed 7)"
"$binary" demo-gallery --out "$work/gallery" --count 200 --seed 7 --size 128 --captions
cp "$work/gallery/scene-0001.png" "$work/gallery/scene-0001-copy.png"   # a duplicate for 'duplicates' to find
echo "== index it"
"$binary" index --model "$model" --db "$work/catalog.sqlite" --quiet "$work/gallery"
echo "== search by text (English)"
"$binary" search --model "$model" --db "$work/catalog.sqlite" "two small red circles on the left" --top 5
echo "== search by text (Chinese: 'there is a large blue star in the centre')"
"$binary" search --model "$model" --db "$work/catalog.sqlite" "中间有一个大的蓝色星形" --top 5
echo "== search by image (scene-0002.png: $(sed -n 3p "$work/gallery/captions-en.tsv" | cut -f2))"
"$binary" search --model "$model" --db "$work/catalog.sqlite" "$work/gallery/scene-0002.png" --top 5
echo "== classify scene-0003.png ($(sed -n 4p "$work/gallery/captions-en.tsv" | cut -f2)) by colour and by shape"
"$binary" classify --model "$model" "$work/gallery/scene-0003.png" --labels "red,orange,yellow,green,blue,purple,pink" --top 3
"$binary" classify --model "$model" "$work/gallery/scene-0003.png" --labels "circle,square,triangle,star,cross,diamond" --top 3
echo "== near-duplicates"
"$binary" duplicates --db "$work/catalog.sqlite"
echo "== bench (full-size ViT-B/32, random weights)"
"$binary" bench
