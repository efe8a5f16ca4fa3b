#!/usr/bin/env bash
# The appliance package's proof, on a fresh Debian 12 root (CI runs it after `npm run package`):
#   scripts/package-check.sh [release/ns-kiosk_<v>_amd64.deb]
#  1. unpack a fresh minimal bookworm root (scripts/package-root.sh; cached mmdebstrap),
#  2. dpkg -i the package, apt-get -f install its dependencies (cage, chromium, pcscd, ...),
#  3. systemd-analyze verify both units; systemd-analyze security prints the core's exposure,
#  4. the unconfigured package refuses to start (ExecStartPre exits 2, says why, changes nothing),
#  5. configured as an operator would (keys, terminal port, back office), the unit's own ExecStart
#     runs as ns-kiosk (runuser) with a ZVT terminal simulator on a pseudo-terminal as its payment
#     terminal, and serves / and /health,
#  6. Chromium from the root, as ns-kiosk-display, under the installed policy, in cage (in Xvfb, grim): picture of the
#     start screen; another origin, devtools:// and the remote-debugging port refused,
#  7. reinstall (upgrade path) and remove keep /var/lib/ns-kiosk; purge deletes it.
# The root runs under bubblewrap (pivot_root, not chroot: Chromium's namespace sandbox works there;
# a chroot would force --no-sandbox), with its own PID, IPC and network namespaces for steps 4-7.
# Output: release/check/ (transcript.txt, installed-kiosk.png, other-origin-refused.png,
# other-origin-control.png, devtools-refused.png (cage + grim), file-list.txt).
# Needs root, bubblewrap, mmdebstrap (cold cache) and Debian's mirror (apt-get inside the root).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
DEB=${1:-$(ls -t release/ns-kiosk_*_amd64.deb | head -1)}
OUT=${NS_KIOSK_CHECK_OUT:-$REPO/release/check}
CACHE=${NS_KIOSK_PACKAGING_CACHE:-/var/cache/ns-kiosk-packaging}
mkdir -p "$OUT"
rm -f "$OUT"/*.png "$OUT"/*.html "$OUT"/*.txt
WORK=$(mktemp -d /var/tmp/ns-kiosk-check.XXXXXX)
ROOT=$WORK/root
cleanup() { rm -rf "$WORK"; }
trap cleanup EXIT
started=$(date +%s)
step() { echo "[package-check] $(( $(date +%s) - started ))s $*"; }
for tool in bwrap dpkg-deb; do command -v $tool >/dev/null || { echo "missing $tool (apt-get install bubblewrap dpkg)" >&2; exit 1; }; done

step "fresh root"
"$REPO/scripts/package-root.sh" "$ROOT"
cp "$DEB" "$ROOT/root/ns-kiosk.deb"
dpkg-deb -c "$DEB" | awk '{print $1, $6}' > "$OUT/file-list.txt"

# sb [--net] CMD...: run in the root. --net shares the machine's network (apt-get needs it);
# otherwise a private network namespace with its own loopback (port 8765 may be taken here).
# This machine's own Node and TLS settings (its CA bundle for the egress proxy) stay outside.
sb() {
  local net=(--unshare-net)
  if [ "$1" = --net ]; then net=(); shift; fi
  bwrap --bind "$ROOT" / --dev /dev --proc /proc \
    --perms 1777 --tmpfs /tmp --tmpfs /run --perms 1777 --tmpfs /dev/shm \
    --bind "$CACHE/apt-archives" /var/cache/apt/archives --ro-bind /etc/resolv.conf /etc/resolv.conf \
    --ro-bind "$REPO" /src --unshare-pid --unshare-ipc --unshare-uts "${net[@]}" --die-with-parent \
    --unsetenv NODE_EXTRA_CA_CERTS --unsetenv NODE_OPTIONS --unsetenv SSL_CERT_FILE --unsetenv SSL_CERT_DIR --unsetenv NIX_SSL_CERT_FILE \
    --setenv PATH /usr/sbin:/usr/bin:/sbin:/bin --setenv DEBIAN_FRONTEND noninteractive --setenv LANG C.UTF-8 "$@"
}

# The package's dependencies (Chromium, cage, pcscd, ...) and the test's own tools (socat: the
# terminal's pseudo-terminal pair; openssl: the back office's test CA) take most of the time to
# unpack: a fresh root with them installed (`apt-get satisfy` of the package's Depends line,
# nothing of ns-kiosk itself) is cached per Depends line, so a warm run starts from that root.
# The package itself is always installed with dpkg -i on a root that has never seen it.
DEPENDS=$(dpkg-deb -f "$DEB" Depends)
# The cache is one root, refreshed when the Depends line changes (apt-get satisfy adds the delta).
# Without Recommends: the proof is that the package's own Depends line is enough for the appliance
# (an operator's apt may add Chromium's and systemd's recommendations; they change nothing here),
# and it halves what a cold run fetches and unpacks (216 packages instead of 356: no perl, python,
# samba or printing stack). dpkg's unsafe-io (no fsync per file) only for these dependencies in a
# throwaway root: the package itself is installed with a plain dpkg -i below.
APT_OPTS='-o APT::Install-Recommends=false -o Dpkg::Options::=--force-unsafe-io -o Dpkg::Use-Pty=0'
TEST_TOOLS='socat openssl grim xvfb'

DEPS_TAR="$CACHE/root-with-deps.tar"
DEPS_STAMP="$CACHE/root-with-deps.depends"
if [ ! -s "$DEPS_TAR" ] && ls "$CACHE"/root-with-deps-*.tar >/dev/null 2>&1; then DEPS_TAR_OLD=$(ls -t "$CACHE"/root-with-deps-*.tar | head -1); mv "$DEPS_TAR_OLD" "$DEPS_TAR"; fi
if [ -s "$DEPS_TAR" ]; then
  step "fresh root with the package's dependencies (cached: $(basename "$DEPS_TAR"))"
  rm -rf "$ROOT"; mkdir -p "$ROOT"; tar -C "$ROOT" -xf "$DEPS_TAR"
  cp "$DEB" "$ROOT/root/ns-kiosk.deb"
  if [ "$(cat "$DEPS_STAMP" 2>/dev/null)" != "$DEPENDS" ]; then
    step "the package's Depends changed: apt-get satisfy the difference, cache refreshed"
    sb --net env DEPENDS="$DEPENDS" APT_OPTS="$APT_OPTS" sh -c 'apt-get -y -q $APT_OPTS satisfy "$DEPENDS" >/root/apt.log 2>&1 || { tail -30 /root/apt.log; exit 1; }'
    tar -C "$ROOT" --exclude=./root/ns-kiosk.deb -cf "$DEPS_TAR.tmp" . && mv "$DEPS_TAR.tmp" "$DEPS_TAR"
    printf '%s' "$DEPENDS" > "$DEPS_STAMP"
  fi
else
  step "the package's dependencies into the fresh root (cold: cached afterwards)"
  # One apt run for the Depends line and the test's own tools (fewer dpkg passes than two).
  sb --net env DEPENDS="$DEPENDS" APT_OPTS="$APT_OPTS" TEST_TOOLS="$TEST_TOOLS" sh -c 'apt-get -qq update && apt-get -y -q $APT_OPTS satisfy "$DEPENDS, $(echo $TEST_TOOLS | sed "s/ /, /g")" >/root/apt.log 2>&1 || { tail -30 /root/apt.log; exit 1; }'
  tar -C "$ROOT" --exclude=./root/ns-kiosk.deb -cf "$DEPS_TAR.tmp" . && mv "$DEPS_TAR.tmp" "$DEPS_TAR"
  printf '%s' "$DEPENDS" > "$DEPS_STAMP"
fi
# grim (a Wayland screenshot tool) and Xvfb (the virtual display cage runs in) for the picture of the
# installed display: test tools, not the package's; from the .deb cache when a warm root lacks them.
sb --net env APT_OPTS="$APT_OPTS" TEST_TOOLS="$TEST_TOOLS" sh -c '{ command -v grim && command -v Xvfb && command -v socat && command -v openssl; } >/dev/null || apt-get -y -q $APT_OPTS install $TEST_TOOLS >/root/apt-grim.log 2>&1 || { tail -20 /root/apt-grim.log; exit 1; }'
step "dpkg -i the package"
sb sh -c 'dpkg -i /root/ns-kiosk.deb >/root/dpkg.log 2>&1 || { tail -30 /root/dpkg.log; exit 1; }; dpkg -s ns-kiosk | grep -E "^(Status|Version)"'

step "inside the root"
cp "$REPO/packaging/test/inside-root.sh" "$ROOT/root/inside-root.sh"
rc=0
sb bash /root/inside-root.sh 2>&1 | tee "$OUT/transcript.txt" || rc=$?
# The pictures and logs are kept whether or not a check failed: they are how a failure is read.
cp "$ROOT/root/out/"* "$OUT/" 2>/dev/null || true
[ "$rc" -eq 0 ] || { echo "[package-check] a check failed (exit $rc): see $OUT" >&2; exit "$rc"; }
test -s "$OUT/installed-kiosk.png" || { echo "no screenshot" >&2; exit 1; }
step "passed: $(du -h "$DEB" | cut -f1) package, results in release/check/"
