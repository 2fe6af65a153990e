#!/usr/bin/env bash
# One command: install system packages, build, run every test (unit, parity, CLI, server routes,
# then the headless-Chromium test of the web page).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
bash scripts/install-system-packages.sh
if ! command -v chromium >/dev/null 2>&1; then
  sudo_prefix=(); [ "$(id -u)" -ne 0 ] && sudo_prefix=(sudo)
  DEBIAN_FRONTEND=noninteractive "${sudo_prefix[@]}" apt-get install -y -qq --no-install-recommends chromium
fi
bash scripts/fetch-test-assets.sh
swift build --build-tests
log="$(mktemp)"
swift test --skip-build 2>&1 | tee "$log"
SCREENSHOT="${SCREENSHOT:-$(mktemp -d)/screenshot.png}" bash scripts/browser-test.sh
# XCTest's last "Executed" line totals all suites: "Executed 286 tests, with 0 failures (0 unexpected) in …",
# or "Executed 286 tests, with 5 tests skipped and 0 failures (0 unexpected) in …" (singular for one).
summary="$(grep -E 'Executed [0-9]+ tests?, with ' "$log" | tail -1 || true)"
executed="$(echo "$summary" | sed -nE 's/.*Executed ([0-9]+) tests?, with .*/\1/p')"
skipped="$(echo "$summary" | sed -nE 's/.* ([0-9]+) tests? skipped and .*/\1/p')"
failed="$(echo "$summary" | sed -nE 's/.* ([0-9]+) failures? .*/\1/p')"
executed="${executed:-0}" skipped="${skipped:-0}" failed="${failed:-0}"
# The browser test ran after XCTest and passed (set -e), so it counts as one more.
echo "tests: $(( executed - skipped - failed + 1 )) passed, $skipped skipped, $failed failed"
