#!/usr/bin/env bash
# Debian's Chromium for the end-to-end browser tests; installed once, never downloaded by a test tool.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
  exit 0
fi
if [ "${CI:-}" = "true" ]; then
  echo "chromium is missing and cannot be installed here (needs root and apt-get)" >&2
  exit 1
fi
echo "note: chromium is not installed; the browser tests will be skipped (install Debian's chromium package)."
