#!/usr/bin/env bash
# Dev-only: the working tree's tile kernels (Sources/CTensorKernels/amx.c) against those of another commit, on the
# products of a ViT-B/32 image (50 rows), a batch of 32 (1600 rows) and a 10-token text query, one thread,
# alternating in one process (README, Performance). A ratio above 1 means the working tree is faster.
# Usage: scripts/bench/amx-ab.sh <commit> [pairs (15)]    Needs clang (installed with Swift) and an AMX CPU.
set -euo pipefail
cd "$(dirname "$0")/../.."
base_commit="${1:?usage: scripts/bench/amx-ab.sh <commit> [pairs]}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
git show "$base_commit:Sources/CTensorKernels/amx.c" > "$work/base.c"
renames=()
for name in linear pack_weights pack_transposed convert_rows available packed_count activation_count; do
  target="base_amx_$name"; [ "$name" = linear ] && target=base_linear
  renames+=("-Dcs_amx_$name=$target")
done
clang -O3 -march=native -ISources/CTensorKernels/include "${renames[@]}" -c "$work/base.c" -o "$work/base.o"
clang -O3 -march=native -ISources/CTensorKernels/include scripts/bench/amx_ab.c Sources/CTensorKernels/amx.c "$work/base.o" -o "$work/amx-ab"
for shape in "50 768 2304" "50 768 3072" "50 3072 768" "1600 768 2304" "1600 768 3072" "1600 3072 768" "10 512 1536" "10 2048 512"; do
  # shellcheck disable=SC2086
  "$work/amx-ab" $shape "${2:-15}"
done
