#!/usr/bin/env bash
# Dev-only: what decoding costs, apart from embedding, on the videos scripts/bench/video-speed.sh makes
# (run that first; it leaves them in $WORK). For each clip: CPU and wall seconds of ffmpeg alone with the
# sampler's decoding options and filters (1 s grid). Then two checks quoted in the README:
#   - key frames only, with and without dropping the other packets in the demuxer (-discard nokey):
#     same frames, different wall time (frame threads);
#   - `fast` against full decoding on x264-default: mean absolute pixel difference of the frames sampled
#     at the same times, with B-frames skipped alone and with the deblocking filter skipped too.
# Usage: scripts/bench/video-decode-costs.sh     Environment: WORK=/tmp/video-speed, SECONDS_LONG=60
set -euo pipefail
work="${WORK:-/tmp/video-speed}"
seconds="${SECONDS_LONG:-60}"
command -v ffmpeg >/dev/null || { echo "ffmpeg is needed (apt install ffmpeg)" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "/usr/bin/time is needed (apt install time)" >&2; exit 1; }
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
grid="select='isnan(prev_selected_t)+gte(t-prev_selected_t\,1)+gt(scene\,0.3)',scale=398:224:flags=area,format=rgb24"

# Prints "CPU s, wall s, frames" of one ffmpeg run over $video with the given input options.
decode() {
  local output="$scratch/frames.txt"
  /usr/bin/time -f "%U %S %e" -o "$scratch/time.txt" ffmpeg -hide_banner -nostdin -loglevel info "$@" -i "$video" \
    -vf "$grid,showinfo" -f null - 2> "$output"
  read -r user system wall < "$scratch/time.txt"
  printf '%6.2f CPU s %6.2f wall s %4d frames\n' "$(echo "$user + $system" | bc -l)" "$wall" "$(grep -c 'n: *[0-9]* pts' "$output")"
}

for variant in phone phone-scenecut x264-default testsrc; do
  video="$work/$variant-${seconds}s/video.mp4"
  [[ -s "$video" ]] || { echo "$variant: missing $video (run scripts/bench/video-speed.sh $seconds first)"; continue; }
  echo "$variant:"
  printf '  %-34s ' "full";                   decode
  printf '  %-34s ' "fast (B-frames, deblocking off)"; decode -skip_frame bidir -skip_loop_filter all -flags2 fast
  printf '  %-34s ' "key frames";             decode -skip_frame nokey
  printf '  %-34s ' "key frames, -discard nokey";   decode -discard nokey -skip_frame nokey
done

video="$work/x264-default-${seconds}s/video.mp4"
[[ -s "$video" ]] || exit 0
# Frames at their own times (-fps_mode passthrough), with their times from showinfo.
frames() {
  local name="$1" filter="$2"; shift 2
  ffmpeg -hide_banner -nostdin -loglevel info "$@" -i "$video" -vf "$filter" -fps_mode passthrough -f rawvideo - \
    2> "$scratch/$name.log" > "$scratch/$name.rgb"
  grep -oE 'pts_time:[0-9.]+' "$scratch/$name.log" | cut -d: -f2 > "$scratch/$name.times"
}
every="scale=398:224:flags=area,format=rgb24,showinfo"
sampled="select='isnan(prev_selected_t)+gte(t-prev_selected_t\,1)',$every"
frames all "$every"
frames bidir "$sampled" -skip_frame bidir
frames fast "$sampled" -skip_frame bidir -skip_loop_filter all -flags2 fast
python3 - "$scratch" <<'PYTHON'
import sys
from pathlib import Path
import numpy as np
scratch = Path(sys.argv[1])
def load(name):
    times = [round(float(line), 4) for line in (scratch / f"{name}.times").read_text().split()]
    return times, np.memmap(scratch / f"{name}.rgb", np.uint8, "r").reshape(-1, 224, 398, 3)
all_times, all_frames = load("all")
index = {time: row for row, time in enumerate(all_times)}
for name, label in [("bidir", "B-frames skipped"), ("fast", "B-frames and deblocking skipped (fast)")]:
    times, frames = load(name)
    differences = [np.abs(all_frames[index[t]].astype(float) - frames[row].astype(float)).mean() for row, t in enumerate(times)]
    print(f"x264-default, {label}, vs full decoding at the same times ({len(times)} frames): "
          f"mean |difference| median {np.median(differences):.2f}, worst {max(differences):.2f} levels")
PYTHON
