#!/usr/bin/env bash
# Dev-only: how fast `clip-search index` indexes a 1080p30 H.264 video (issue 6's floor: ≥ 15× real
# time on 2 cores), for every --video-decoding mode and --video-interval 1 and 2.
#
# Usage: scripts/bench/video-speed.sh [seconds (60)] [model folder (/tmp/clip-b32-random)]
# Environment:
#   SCRATCH=.build        swift scratch path of the build to time
#   CONFIGURATION=release  release (what the floor is about) or debug (only to check this script)
#   BINARY=path           time this clip-search instead of building one
#   WORK=/tmp/video-speed  where videos and catalogs go (videos are reused when present)
#   MODES="full fast keyframes"  INTERVALS="1 2"  VARIANTS="phone phone-scenecut x264-default testsrc"
#   PRECISIONS="bf16 model"  --video-precision values (bf16: the default; model: frames as precise as photos)
#
# Videos (made once with ffmpeg): the fixture photos, each panned and zoomed for 4 s (so every frame
# changes, like handheld footage) with light temporal noise (sensor grain, which costs bits as in a
# camera file), 1920×1080, 30 fps, libx264 -preset veryfast, in two GOP structures:
#   phone         a fixed 1 s key-frame interval (no extra key frames at cuts, as camera encoders
#                 write), no B-frames, ~16 Mbit/s (what phone camera apps record)
#   phone-scenecut  the same with x264's scene-cut key frames (here ~2.8 key frames per second)
#   x264-default  x264's defaults: key frames up to 250 frames (8.3 s) apart, 3 B-frames, CRF 23
#   testsrc       ffmpeg's moving testsrc2 pattern with x264's defaults (synthetic, ~5 Mbit/s)
# The model folder is a full-size ViT-B/32 (random weights are as costly as real ones); it is made
# with `python3 scripts/fixtures/make_model_fixtures.py --full-size DIR` when missing.
#
# Each run indexes one video into a fresh catalog. Printed: wall seconds of the whole process (model
# load included), the indexer's own seconds, CPU seconds (user + system of clip-search and its ffmpeg
# children, from /usr/bin/time), and the real-time multiple (video seconds / indexer seconds). CPU
# seconds are the steady figure on a busy machine; wall times need a quiet one.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-60}"
model="${2:-/tmp/clip-b32-random}"
scratch="${SCRATCH:-.build}"
configuration="${CONFIGURATION:-release}"
work="${WORK:-/tmp/video-speed}"
modes="${MODES:-full fast keyframes}"
intervals="${INTERVALS:-1 2}"
variants="${VARIANTS:-phone phone-scenecut x264-default testsrc}"
precisions="${PRECISIONS:-bf16 model}"

command -v ffmpeg >/dev/null || { echo "ffmpeg is needed (apt install ffmpeg)" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "/usr/bin/time is needed (apt install time)" >&2; exit 1; }
if [[ ! -f "$model/config.json" ]]; then
  echo "making a random-weight ViT-B/32 in $model (needs torch + transformers)" >&2
  python3 scripts/fixtures/make_model_fixtures.py --full-size "$model"
fi
binary="${BINARY:-}"
if [[ -z "$binary" ]]; then
  swift build -c "$configuration" --scratch-path "$scratch" --product clip-search >/dev/null
  binary="$scratch/$configuration/clip-search"
fi
mkdir -p "$work"

# One photo per 4 s, cycled; each photo is cropped to 16:9 at 2880×1620 so the zoom has detail.
make_video() {
  local output="$1"; shift
  local photos=(coffee-444.jpg rocket-baseline-420.jpg astronaut-progressive.jpg chelsea-exif3.jpg camera-gray.jpg hubble-tiny.jpg)
  local count=$(( (seconds + 3) / 4 )) inputs=() graph="" labels=""
  for ((i = 0; i < count; i++)); do
    local photo="Tests/Fixtures/photos/${photos[i % ${#photos[@]}]}"
    local length=$(( seconds - 4 * i < 4 ? seconds - 4 * i : 4 ))
    inputs+=(-loop 1 -framerate 30 -t "$length" -i "$photo")
    # Zoom in or out by 15% over the shot while panning across it, alternately.
    local zoom="1+0.15*on/$((length * 30))"
    ((i % 2)) && zoom="1.15-0.15*on/$((length * 30))"
    graph+="[$i]scale=2880:1620:force_original_aspect_ratio=increase,crop=2880:1620,format=yuv420p,"
    graph+="zoompan=z='$zoom':x='(iw-iw/zoom)*on/$((length * 30))':y='(ih-ih/zoom)/2':d=1:s=1920x1080:fps=30,setsar=1[s$i];"
    labels+="[s$i]"
  done
  graph+="${labels}concat=n=$count:v=1:a=0,noise=alls=6:allf=t,format=yuv420p"
  ffmpeg -hide_banner -loglevel error -nostdin -y "${inputs[@]}" -filter_complex "$graph" \
    -c:v libx264 -preset veryfast "$@" -movflags +faststart "$output"
}

for variant in $variants; do
  video="$work/$variant-${seconds}s/video.mp4"
  mkdir -p "$(dirname "$video")"
  if [[ ! -s "$video" ]]; then
    echo "making $video" >&2
    case "$variant" in
      phone) make_video "$video" -g 30 -keyint_min 30 -sc_threshold 0 -bf 0 -b:v 16M -maxrate 20M -bufsize 32M ;;
      testsrc) ffmpeg -hide_banner -loglevel error -nostdin -y -f lavfi -i "testsrc2=size=1920x1080:rate=30" -t "$seconds" \
          -c:v libx264 -preset veryfast -pix_fmt yuv420p -movflags +faststart "$video" ;;
      phone-scenecut) make_video "$video" -g 30 -keyint_min 30 -bf 0 -b:v 16M -maxrate 20M -bufsize 32M ;;
      x264-default) make_video "$video" ;;
      *) echo "unknown variant $variant" >&2; exit 1 ;;
    esac
  fi
  duration=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$video")
  keyframes=$(ffprobe -v error -select_streams v:0 -show_entries packet=flags -of csv=p=0 "$video" | grep -c '^K')
  size=$(stat -c %s "$video")
  printf '\n%s: %.1f s, %d key frames, %.1f Mbit/s\n' "$variant" "$duration" "$keyframes" "$(echo "$size * 8 / $duration / 1000000" | bc -l)"
  printf '%-10s %-9s %-8s %7s %9s %9s %8s %8s\n' decoding precision interval frames "wall s" "index s" "CPU s" "× real"
  for mode in $modes; do
    for precision in $precisions; do
      for interval in $intervals; do
        catalog="$work/catalog-$$.sqlite"
        rm -f "$catalog"*
        timing="$work/time-$$.txt"
        summary=$(/usr/bin/time -f "%e %U %S" -o "$timing" "$binary" index "$(dirname "$video")" --db "$catalog" \
          --model "$model" --video-decoding "$mode" --video-precision "$precision" --video-interval "$interval" --json --quiet)
        read -r wall user system < "$timing"
        indexer=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["seconds"])' "$summary")
        frames=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from embeddings").fetchone()[0])' "$catalog")
        printf '%-10s %-9s %-8s %7s %9.2f %9.2f %8.2f %7.1f×\n' "$mode" "$precision" "$interval" "$frames" "$wall" "$indexer" \
          "$(echo "$user + $system" | bc -l)" "$(echo "$duration / $indexer" | bc -l)"
        rm -f "$catalog"* "$timing"
      done
    done
  done
done
