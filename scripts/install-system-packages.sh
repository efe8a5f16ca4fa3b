#!/usr/bin/env bash
# Debian packages the full test run needs: Chromium (browser e2e), pcscd + vpcd + libpcsclite-dev
# (wire-level NFC), socat (serial pseudo-terminal pair for the payment terminal simulator).
# postgresql: the back office's tests start a throwaway cluster of their own (initdb + pg_ctl from
# /usr/lib/postgresql/NN/bin; the package's own cluster is not used).
# iproute2: wire mode adds a quickack loopback route so vpcd traffic is not held by delayed ACKs.
# Installs only what is missing; needs root (or sudo). `--check`: print the missing ones (one line,
# space-separated) and exit 1 if any are missing, installing nothing.
set -euo pipefail
pkgs=(chromium pcscd libpcsclite-dev vsmartcard-vpcd socat iproute2 postgresql)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${1:-}" = "--check" ]; then
  echo "${missing[*]:-}"
  [ ${#missing[@]} -eq 0 ]
  exit
fi
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present (${pkgs[*]})"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "system packages: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
