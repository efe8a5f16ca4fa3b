#!/usr/bin/env bash
# A fresh minimal Debian 12 root for the packaging test, built once with debootstrap and cached as a
# tarball; every test run unpacks a new copy, so each install starts from a truly fresh root.
#   scripts/package-root.sh DEST      unpack a fresh root into DEST (building the cache if cold)
# Cache: $NS_KIOSK_PACKAGING_CACHE (default /var/cache/ns-kiosk-packaging): bookworm-minbase.tar
# (the root, apt lists updated) and apt-archives/ (the .debs apt fetched inside the root, reused
# so a warm run downloads nothing). Needs root, debootstrap and Debian's mirror.
set -euo pipefail
DEST=${1:?usage: package-root.sh DEST}
CACHE=${NS_KIOSK_PACKAGING_CACHE:-/var/cache/ns-kiosk-packaging}
MIRROR=${NS_KIOSK_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY=${NS_KIOSK_DEBIAN_SECURITY:-http://deb.debian.org/debian-security}
TAR="$CACHE/bookworm-minbase.tar"
mkdir -p "$CACHE/apt-archives/partial"

if [ ! -s "$TAR" ]; then
  command -v debootstrap >/dev/null || { echo "debootstrap missing: apt-get install debootstrap" >&2; exit 1; }
  started=$(date +%s)
  work=$(mktemp -d "$CACHE/build.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  echo "[package-root] cold cache: debootstrap --variant=minbase bookworm (once)"
  debootstrap --variant=minbase --cache-dir="$CACHE/apt-archives" bookworm "$work/root" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 \
    || { tail -20 "$CACHE/debootstrap.log" >&2; exit 1; }
  cat >"$work/root/etc/apt/sources.list" <<SRC
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb $SECURITY bookworm-security main
SRC
  # A root with no init: package scripts must not try to start services in it.
  printf '#!/bin/sh\nexit 101\n' >"$work/root/usr/sbin/policy-rc.d"
  chmod 755 "$work/root/usr/sbin/policy-rc.d"
  chroot "$work/root" apt-get -qq update
  rm -rf "$work/root/var/cache/apt/archives"/*.deb
  tar -C "$work/root" -cf "$TAR.tmp" . && mv "$TAR.tmp" "$TAR"
  echo "[package-root] cache built in $(( $(date +%s) - started )) s: $TAR"
fi
mkdir -p "$DEST"
tar -C "$DEST" -xf "$TAR"
