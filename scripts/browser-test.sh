#!/usr/bin/env bash
# Browser test of `clip-search serve`: builds, indexes the fixture gallery (plus a generated video when
# ffmpeg is present) with the fixture model, serves it on a free loopback port, drives headless
# Chromium through it (Tests/Browser/browser_test.py), saves docs/screenshot.png, stops the server.
# Needs: chromium (apt-get install -y chromium), python3. SCRATCH_PATH picks the build folder.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch="${SCRATCH_PATH:-.build}"
command -v chromium >/dev/null || { echo "browser-test: chromium is not installed (apt-get install -y chromium)" >&2; exit 1; }

swift build --scratch-path "$scratch" --product clip-search
binary="$(swift build --scratch-path "$scratch" --show-bin-path)/clip-search"

work="$(mktemp -d)"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

cp -R Tests/Fixtures/gallery "$work/gallery"
if command -v ffmpeg >/dev/null; then
    # Two scenes: a test pattern, then a still of a gallery photo (found by uploading that photo).
    ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=duration=4:size=320x240:rate=10 -loop 1 -t 4 \
        -i Tests/Fixtures/gallery/space/hubble-tiny.jpg -filter_complex \
        "[1:v]scale=320:240,setsar=1,fps=10[b];[0:v][b]concat=n=2:v=1[v]" -map "[v]" -pix_fmt yuv420p \
        -c:v libx264 "$work/gallery/scenes.mp4" || echo "browser-test: could not make the test video" >&2
fi
export CLIPSEARCH_MODEL="$PWD/Tests/Fixtures/models/tiny-quickgelu"
"$binary" index --db "$work/catalog.sqlite" "$work/gallery" > "$work/index.log" 2>&1 || { cat "$work/index.log" >&2; exit 1; }

"$binary" serve --db "$work/catalog.sqlite" --port 0 --thumbnail-cache "$work/thumbnails" > "$work/server.log" 2>&1 &
server_pid=$!
url=""
for _ in $(seq 1 150); do
    url="$(grep -o 'http://127\.0\.0\.1:[0-9]*/' "$work/server.log" | head -1 || true)"
    [ -n "$url" ] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
    sleep 0.2
done
[ -n "$url" ] || { echo "browser-test: the server did not start" >&2; cat "$work/server.log" >&2; exit 1; }
echo "browser-test: server at $url"
python3 Tests/Browser/browser_test.py --url "$url" --photo "$work/gallery/space/hubble-tiny.jpg" \
    --screenshot "${SCREENSHOT:-docs/screenshot.png}"
