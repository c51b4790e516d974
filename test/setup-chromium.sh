#!/usr/bin/env bash
# The browser test of the report drives Debian's Chromium (CHROMIUM_PATH, default /usr/bin/chromium).
# `npm test` runs this first: it installs Chromium when it is missing and it can (root with apt-get, as
# on CI), and otherwise stops at once with one line saying what to install.
set -euo pipefail
browser="${CHROMIUM_PATH:-/usr/bin/chromium}"
[ -x "$browser" ] && exit 0
if [ -n "${CHROMIUM_PATH:-}" ]; then
  echo "npm test: CHROMIUM_PATH=$CHROMIUM_PATH is not an executable; point it at a Chromium, or unset it to use /usr/bin/chromium" >&2
  exit 1
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "npm test: installing Debian's chromium for the report's browser test (apt-get install chromium)" >&2
  log="$(mktemp -t twentyq-chromium.XXXXXX.log)"
  if (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >"$log" 2>&1; then
    rm -f "$log"
    exit 0
  fi
  tail -n 5 "$log" >&2
  echo "npm test: apt-get could not install chromium (its log: $log); install it (apt-get install chromium) or set CHROMIUM_PATH" >&2
  exit 1
fi
echo "npm test: the report's browser test needs Chromium at /usr/bin/chromium: install it (sudo apt-get install chromium) or set CHROMIUM_PATH to one" >&2
exit 1
