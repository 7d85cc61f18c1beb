#!/usr/bin/env bash
# Install the Debian packages the tests and the stack use when they are missing:
# chromium + chromium-driver (screenshots, browser tests), redis-server (broker),
# postgresql (the suite also runs on PostgreSQL). Safe to run again: it installs nothing
# when everything is there.
set -euo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing Debian packages: ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo_cmd=(sudo); else
    echo "need root (or sudo) to install: ${missing[*]}" >&2; exit 1
  fi
fi
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian's postgresql package starts a cluster through its init scripts where it can;
# the tests start their own on a free port, so nothing else is needed here.
