#!/usr/bin/env bash
# The browser tests drive Debian's chromium package through playwright-core. This installs it
# when it is missing, with apt only: no browser is ever downloaded from anywhere else.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-chromium: /usr/bin/chromium is missing and this is not root;" \
    "run 'apt-get install -y chromium' as root to enable the browser tests" >&2
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y chromium; then
  apt-get update
  apt-get install -y chromium
fi
