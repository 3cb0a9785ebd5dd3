#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine: the Python tools used as real peers
# (twine, build, the setuptools/flit/hatchling/poetry-core backends, Debian's shipped wheels,
# keyring with gnome-keyring, gpg for --sign, zsh and fish for the completion tests) and the npm
# packages. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBS=(twine python3-build flit python3-setuptools python3-wheel python3-venv
  python3-hatchling python3-poetry-core python3-pip-whl python3-setuptools-whl python3-wheel-whl
  python3-keyring python3-secretstorage gnome-keyring dbus dbus-x11 openssl hyperfine time curl
  gnupg zsh fish)
missing=()
for deb in "${DEBS[@]}"; do
  dpkg-query -W -f='${Status}' "$deb" 2>/dev/null | grep -q "install ok installed" || missing+=("$deb")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: missing Debian packages: ${missing[*]}" >&2
    echo "setup: run: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi
npm ci --no-audit --no-fund
