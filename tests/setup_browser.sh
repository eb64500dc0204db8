#!/usr/bin/env bash
# Installs Debian's headless-capable Chromium for tests/test_browser.py when it is missing and
# this user may install packages (root with apt-get). Otherwise says why not; the browser test
# then skips with the same reason. Never fails the build: `make test` runs it as `... || true`.
set -u
for name in chromium chromium-browser google-chrome; do
    if command -v "$name" >/dev/null 2>&1; then
        exit 0
    fi
done
if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup_browser: chromium is missing and there is no apt-get here; the browser test will be skipped"
    exit 0
fi
if [ "$(id -u)" != "0" ]; then
    echo "setup_browser: chromium is missing and installing it needs root; the browser test will be skipped"
    echo "setup_browser: (as root: apt-get install chromium)"
    exit 0
fi
echo "setup_browser: installing chromium with apt-get (once) for the browser test"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get update -qq >/dev/null 2>&1; then
    echo "setup_browser: apt-get update failed; the browser test will be skipped"
    exit 0
fi
if ! apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null 2>&1; then
    echo "setup_browser: apt-get install chromium failed; the browser test will be skipped"
    exit 0
fi
echo "setup_browser: chromium installed"
