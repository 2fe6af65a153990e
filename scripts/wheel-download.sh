#!/usr/bin/env bash
# Sourced by the fetch-*.sh scripts: download_wheel PACKAGE VERSION WHEEL_FILE SHA256 DESTINATION
# downloads one PyPI wheel to DESTINATION with curl (pip when curl cannot reach PyPI's simple index) and
# checks its sha256. Only curl (or pip) and sha256sum are needed.
download_wheel() {
    local package="$1" version="$2" wheel_file="$3" wheel_sha256="$4" destination="$5"
    local url work
    url="$(curl -fsS --max-time 60 "https://pypi.org/simple/$package/" 2>/dev/null \
           | grep -o "https://[^\"#]*/$wheel_file" | head -n 1 || true)"
    if [ -n "$url" ]; then
        curl -fsS --retry 3 --max-time 900 -o "$destination" "$url"
    else
        work="$(mktemp -d)"
        python3 -m pip download --quiet --no-deps --only-binary=:all: --dest "$work" "$package==$version"
        mv "$work/$wheel_file" "$destination"
        rm -rf "$work"
    fi
    if [ "$(sha256sum "$destination" | cut -d' ' -f1)" != "$wheel_sha256" ]; then
        echo "error: $wheel_file does not have the expected sha256 $wheel_sha256" >&2
        return 1
    fi
}
