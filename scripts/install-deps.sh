#!/usr/bin/env bash
# Installs Dragnet's build and test dependencies from Debian 12's archive (run as root).
# Installs only what is missing, so it is cheap to run again.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
packages=(build-essential cmake pkg-config
          libuv1-dev libhiredis-dev libmsgpack-dev libpcre2-dev libvectorscan-dev
          libjansson-dev libcmocka-dev libmicrohttpd-dev redis-server)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
