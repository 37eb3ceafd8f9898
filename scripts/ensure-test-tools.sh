#!/usr/bin/env bash
# Debian's packages the tests need, installed once, never downloaded by a test tool: chromium for the
# end-to-end browser tests, postgresql for the warehouse tests (they start and stop a server of their own).
set -euo pipefail
missing=()
if ! command -v chromium >/dev/null 2>&1; then
  missing+=(chromium fonts-dejavu-core)
fi
if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null && ! command -v initdb >/dev/null 2>&1; then
  missing+=(postgresql)
fi
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's ${missing[*]} for the tests..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  exit 0
fi
if [ "${CI:-}" = "true" ]; then
  echo "${missing[*]} missing and cannot be installed here (needs root and apt-get)" >&2
  exit 1
fi
echo "note: ${missing[*]} not installed; the tests that need them will be skipped (install Debian's packages)."
