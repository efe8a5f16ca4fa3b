#!/usr/bin/env bash
# A fresh minimal Debian 12 root for the packaging test, built once with mmdebstrap and cached as a
# tarball; every test run unpacks a new copy, so each install starts from a truly fresh root.
#   scripts/package-root.sh DEST      unpack a fresh root into DEST (building the cache if cold)
# Cache: $NS_KIOSK_PACKAGING_CACHE (default /var/cache/ns-kiosk-packaging): bookworm-minbase.tar
# (the root, apt lists updated) and apt-archives/ (the .debs apt fetched inside the root, reused
# so a warm run downloads nothing). Needs root, mmdebstrap and Debian's mirror.
set -euo pipefail
DEST=${1:?usage: package-root.sh DEST}
CACHE=${NS_KIOSK_PACKAGING_CACHE:-/var/cache/ns-kiosk-packaging}
MIRROR=${NS_KIOSK_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY=${NS_KIOSK_DEBIAN_SECURITY:-http://deb.debian.org/debian-security}
TAR="$CACHE/bookworm-minbase.tar"
mkdir -p "$CACHE/apt-archives/partial"

if [ ! -s "$TAR" ]; then
  # mmdebstrap, not debootstrap: it resolves with apt, downloads in parallel and unpacks in one
  # dpkg run (measured cold on this 2-core machine: ~2.5 min against ~11 for debootstrap), and
  # writes the tarball itself. Same Debian packages, same minbase variant.
  command -v mmdebstrap >/dev/null || { echo "mmdebstrap missing: apt-get install mmdebstrap" >&2; exit 1; }
  started=$(date +%s)
  echo "[package-root] cold cache: mmdebstrap --variant=minbase bookworm (once)"
  # A root with no init: package scripts must not try to start services in it (policy-rc.d).
  # The apt lists are kept (--skip=cleanup/apt/lists) so the root can install packages at once.
  mmdebstrap --variant=minbase --skip=cleanup/apt/lists \
    --customize-hook='printf "#!/bin/sh\nexit 101\n" >"$1/usr/sbin/policy-rc.d"; chmod 755 "$1/usr/sbin/policy-rc.d"' \
    --format=tar bookworm "$TAR.tmp" "deb $MIRROR bookworm main" "deb $MIRROR bookworm-updates main" "deb $SECURITY bookworm-security main" \
    >"$CACHE/mmdebstrap.log" 2>&1 || { tail -20 "$CACHE/mmdebstrap.log" >&2; rm -f "$TAR.tmp"; exit 1; }
  mv "$TAR.tmp" "$TAR"
  echo "[package-root] cache built in $(( $(date +%s) - started )) s: $TAR"
fi
mkdir -p "$DEST"
tar -C "$DEST" -xf "$TAR"
