#!/usr/bin/env bash
# One command: install system packages, build, run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
bash scripts/install-system-packages.sh
if [ -f scripts/fetch-test-assets.sh ]; then bash scripts/fetch-test-assets.sh; fi
swift build --build-tests
swift test --skip-build 2>&1 | tee /tmp/clipsearch-test-output.txt
