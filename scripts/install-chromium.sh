#!/usr/bin/env sh
# Installs Debian's Chromium, and a font with Chinese glyphs, for the docs browser test
# (test/docs/browser.test.ts), when they are missing. Run by `npm test`; needs apt-get and root or
# passwordless sudo. Where it cannot install, it says so and the browser test fails, loudly.
set -eu

chromium=""
for candidate in "${CHROMIUM_PATH:-}" /usr/bin/chromium /usr/bin/chromium-browser; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then chromium="$candidate"; break; fi
done
packages=""
[ -n "$chromium" ] || packages=" chromium"
fc-list :lang=zh 2>/dev/null | grep -q . || packages="$packages fonts-wqy-microhei"
[ -n "$packages" ] || exit 0

if [ "$(id -u)" = 0 ]; then as_root=""; elif sudo -n true 2>/dev/null; then as_root="sudo"; else
  echo "!! Cannot install$packages (not root, no passwordless sudo): install it yourself," \
    "or set CHROMIUM_PATH, for test/docs/browser.test.ts" >&2
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "!! Cannot install$packages without apt-get: install it yourself, or set CHROMIUM_PATH," \
    "for test/docs/browser.test.ts" >&2
  exit 0
fi
echo "Installing$packages for the docs browser test…"
$as_root apt-get update -qq
# shellcheck disable=SC2086 # the package list is meant to split
DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq --no-install-recommends $packages >/dev/null
