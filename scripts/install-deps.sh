#!/usr/bin/env bash
# Installs what mobileone needs on Debian 12 (run as root): the C toolchain, CMake, Check,
# cJSON, libpng, libjpeg and OpenCV for the build and tests, and PyTorch for the reference tests.
set -euo pipefail
packages=(build-essential cmake pkg-config check libcjson-dev libpng-dev libjpeg62-turbo-dev
          libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev libopencv-videoio-dev
          python3 python3-numpy python3-torch python3-torchvision)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
