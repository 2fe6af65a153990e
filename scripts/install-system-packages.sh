#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages ClipSearch builds and runs with (see README "Dependencies").
set -euo pipefail
packages=(
  pkg-config
  libopenblas-dev            # BLAS (sgemm) for the tensor core
  libjpeg62-turbo-dev        # JPEG decoding (libjpeg-turbo)
  libpng-dev libwebp-dev libgif-dev libtiff-dev
  libstb-dev                 # BMP decoding (stb_image)
  libheif-dev                # HEIC/AVIF decoding (libheif; Debian 12 builds in libde265 and dav1d/aom)
  zlib1g-dev
  libsqlite3-dev             # catalog (GRDB over system SQLite)
  ffmpeg                     # video decoding
)
if ! apt-cache show libjpeg62-turbo-dev >/dev/null 2>&1; then
  # Ubuntu names libjpeg-turbo's development package differently.
  packages=("${packages[@]/libjpeg62-turbo-dev/libjpeg-turbo8-dev}")
fi
for plugin in libheif-plugin-libde265 libheif-plugin-dav1d; do
  # Debian 13+/Ubuntu 24.04+ split libheif's decoders into plugin packages.
  if apt-cache show "$plugin" >/dev/null 2>&1; then packages+=("$plugin"); fi
done
sudo_prefix=()
if [ "$(id -u)" -ne 0 ]; then sudo_prefix=(sudo); fi
missing=()
for package in "${packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  "${sudo_prefix[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_prefix[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if ! command -v swift >/dev/null 2>&1; then
  if [ -x /opt/swift/usr/bin/swift ]; then
    echo "note: add /opt/swift/usr/bin to PATH" >&2
  else
    echo "error: a Swift 6 toolchain is required (https://www.swift.org/install/linux/)" >&2
    exit 1
  fi
fi
