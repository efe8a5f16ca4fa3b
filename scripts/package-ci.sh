#!/usr/bin/env bash
# CI's package job: the tools, `npm run package` (build, .deb, lintian, Electron staging), then the
# install proof on a fresh Debian 12 root (scripts/package-check.sh). Needs root and Debian's mirror.
# Bounded time, measured on the development machine (2 cores, loaded by other jobs, load 14-20):
#   warm cache (root tarball + .debs in $NS_KIOSK_PACKAGING_CACHE): package ~5 min, check ~7 min;
#   cold cache (a fresh CI machine): + ~4 min mmdebstrap + ~6 min fetching/unpacking Chromium & co
#   (without Recommends); 23 min in all measured cold.
# Keep $NS_KIOSK_PACKAGING_CACHE (default /var/cache/ns-kiosk-packaging) between CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
need=()
for t in mmdebstrap:mmdebstrap lintian:lintian bwrap:bubblewrap dpkg-shlibdeps:dpkg-dev strip:binutils; do
  command -v "${t%%:*}" >/dev/null || need+=("${t#*:}")
done
if [ ${#need[@]} -gt 0 ]; then apt-get update -qq && apt-get install -y -qq "${need[@]}"; fi
time npm run package
time bash scripts/package-check.sh
