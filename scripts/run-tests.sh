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
summary="$(grep -E 'Executed [0-9]+ tests, with [0-9]+ failures' "$log" | tail -1)"
passed="$(echo "$summary" | sed -E 's/.*Executed ([0-9]+) tests, with ([0-9]+) failures.*/\1 \2/')"
set -- $passed
echo "tests: $(( $1 - $2 + 1 )) passed, $2 failed"
