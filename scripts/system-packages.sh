#!/usr/bin/env bash
# Installs the Debian packages named in scripts/debian-packages.txt that are missing. `make test` and
# .ci/run call it; it needs root (or sudo) and Debian's package registry, and does nothing when all are there.
# An optional argument names another list (bench/debian-packages.txt: what `make bench` needs).
set -euo pipefail
list=$(realpath "${1:-$(dirname "$0")/debian-packages.txt}")
cd "$(dirname "$0")"
mapfile -t wanted < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$list" | grep -v '^$' || true)
missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
