#!/usr/bin/env bash
# Dev-only: how much this host's AMX throughput moves from one second to the next (README, Performance).
# Compiles scripts/bench/amx_variance.c against the engine's own tile kernels (Sources/CTensorKernels/amx.c)
# and runs it: per-run wall times of one bf16x3 product, and a tile-multiply loop with no memory traffic.
# Usage: scripts/bench/amx-variance.sh [runs (30)]    Needs clang (installed with Swift) and an AMX CPU.
set -euo pipefail
cd "$(dirname "$0")/../.."
binary="$(mktemp -d)/amx-variance"
trap 'rm -rf "$(dirname "$binary")"' EXIT
clang -O3 -march=native -ISources/CTensorKernels/include scripts/bench/amx_variance.c Sources/CTensorKernels/amx.c -o "$binary"
"$binary" "${1:-30}"
