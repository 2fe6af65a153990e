#!/usr/bin/env bash
# Load test of `clip-search serve`: a catalog of the fixture gallery plus N synthetic vectors (default
# 100k), text searches with unique queries (no text-embedding cache hits) through wrk at 2, 16 and
# 64 connections. Needs wrk (apt-get install -y wrk). SCRATCH_PATH picks the build folder, CONFIGURATION
# debug|release (default release), COUNT the synthetic items, DURATION each wrk run, CLIPSEARCH_MODEL the model.
set -euo pipefail
cd "$(dirname "$0")/../.."
scratch="${SCRATCH_PATH:-.build}"
count="${COUNT:-100000}"
duration="${DURATION:-20s}"
configuration="${CONFIGURATION:-release}"
swift build -c "$configuration" --scratch-path "$scratch" --product clip-search >/dev/null
binary="$(swift build -c "$configuration" --scratch-path "$scratch" --show-bin-path)/clip-search"
work="$(mktemp -d)"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
export CLIPSEARCH_MODEL="${CLIPSEARCH_MODEL:-$PWD/Tests/Fixtures/models/tiny-quickgelu}"
"$binary" index --db "$work/catalog.sqlite" Tests/Fixtures/gallery >/dev/null 2>&1
python3 scripts/bench/synthesize-catalog.py "$work/catalog.sqlite" "$count"
"$binary" serve --db "$work/catalog.sqlite" --port 0 --thumbnail-cache "$work/thumbnails" > "$work/server.log" 2>&1 &
server_pid=$!
url=""
for _ in $(seq 1 300); do
    url="$(grep -o 'http://127\.0\.0\.1:[0-9]*/' "$work/server.log" | head -1 || true)"
    [ -n "$url" ] && break
    sleep 0.2
done
[ -n "$url" ] || { cat "$work/server.log" >&2; exit 1; }
cat > "$work/unique.lua" <<'LUA'
-- Every request a different text, so each one runs the text tower and a full scan.
local counter = 0
local words = {"sunset", "dog", "beach", "rocket", "coffee", "mountain", "city", "night", "cat", "snow"}
request = function()
  counter = counter + 1
  local q = words[counter % #words + 1] .. "%20" .. words[math.floor(counter / 7) % #words + 1] .. "%20" .. counter
  return wrk.format("GET", "/api/search?limit=24&q=" .. q)
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT p50_ms=%.2f p99_ms=%.2f rps=%.1f errors=%d non2xx=%d requests=%d\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.requests / (summary.duration / 1e6),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, summary.requests))
end
LUA
curl -fsS "${url}api/stats" | head -c 200; echo
for connections in 2 16 64; do
    threads=$(( connections < 2 ? 1 : 2 ))
    printf "connections=%-3s " "$connections"
    wrk -t "$threads" -c "$connections" -d "$duration" --timeout 10s -s "$work/unique.lua" "$url" | grep RESULT
done
