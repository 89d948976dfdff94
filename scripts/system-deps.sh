#!/usr/bin/env bash
# Install the Debian/Ubuntu packages named as arguments if any is missing.
# On another system, say exactly what is needed and stop.
set -euo pipefail
missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
else
  echo "This is not a Debian or Ubuntu system. Install these yourself, then run make again:" >&2
  echo "  PortAudio (headers), ALSA, EGL + Mesa OpenGL drivers, Xvfb (tests only)" >&2
  echo "  Debian names: $*" >&2
  exit 1
fi
# The Python side: venv (python3-venv on Debian's own Python), and a compiler
# with Python's headers, since PyAudio builds from source on Linux.
python=${PYTHON:-python3}
if ! "$python" -c 'import venv, ensurepip' >/dev/null 2>&1; then missing+=(python3-venv); fi
if ! command -v gcc >/dev/null 2>&1; then missing+=(gcc); fi
include=$("$python" -c 'import sysconfig; print(sysconfig.get_paths()["include"])' 2>/dev/null || true)
if [ ! -f "$include/Python.h" ]; then missing+=(python3-dev); fi
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "Missing system packages and no apt-get: install ${missing[*]}" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "Missing system packages, and not root and no sudo: install ${missing[*]}" >&2
    exit 1
  fi
fi
echo "Installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
