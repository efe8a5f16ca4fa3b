#!/usr/bin/env bash
# Proves the README's quick start on a truly fresh machine of this kind (issue 15, item 1):
#   1. a minimal Debian 12 root from Debian's packages (mmdebstrap --variant=minbase) with only
#      what the README says a machine has: ca-certificates, python3, make, g++ (node-gyp's needs)
#      and Node 20 + npm 11. Debian 12's own nodejs is 18; this kind of machine has Node 20 from
#      NodeSource's package (apt policy: 20.x-1nodesource1), whose repository is not reachable from
#      here, so the host's installed files of that package (dpkg -L nodejs, which includes the npm 11
#      the machine upgraded to) and its npm configuration (/usr/etc/npmrc, /root/.npmrc) are copied
#      in as they are, with the workplace's CA certificates (its egress proxy). No libpcsclite-dev,
#      no pcscd, no Chromium, no npm cache.
#   2. the repository as committed (git archive HEAD), no node_modules.
#   3. the README's two commands, as root in a chroot with /proc, /sys and /dev mounted:
#        npm install && npm start   (checked: start page and /health fetched, then stopped; run in
#                                    a private network namespace so port 8765 is its own)
#        npm install && npm test    (--quick: `npm test -- system typecheck layers smoke`: it still
#                                    installs the Debian packages the tests need, type-checks, and
#                                    runs the unit files that load every native module and build
#                                    the whole kiosk; the full unit suite has run on the CI machine)
# The bootstrapped base is cached as a tar under $KIOSK_FRESH_ROOT_CACHE (default
# /var/cache/kiosk-fresh-root), so reruns skip mmdebstrap. Needs root. Usage:
#   scripts/fresh-root.sh [--quick] [--keep]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
quick=0 keep=0
for a in "$@"; do
  case "$a" in
    --quick) quick=1 ;;
    --keep) keep=1 ;;
    *) echo "usage: $0 [--quick] [--keep]" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "fresh-root: needs root (mmdebstrap, chroot, mount): sudo $0 $*" >&2; exit 2; }

cache=${KIOSK_FRESH_ROOT_CACHE:-/var/cache/kiosk-fresh-root}
suite=bookworm
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
machine_pkgs=ca-certificates,python3,make,g++
base="$cache/$suite-minbase-node-machine-v1.tar"
t0=$(date +%s)
say() { echo "[fresh-root +$(( $(date +%s) - t0 ))s] $*"; }

mkdir -p "$cache"
if [ ! -s "$base" ]; then
  # mmdebstrap rather than debootstrap: the same Debian packages and minbase variant, resolved by
  # apt, fetched in parallel and unpacked in one dpkg run (cold on this 2-core machine: minutes
  # instead of ~10), written straight to the tarball.
  command -v mmdebstrap >/dev/null || { say "installing mmdebstrap"; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap >/dev/null; }
  say "mmdebstrap $suite (minbase + $machine_pkgs) from $mirror (first run; cached as $base)"
  mmdebstrap --variant=minbase --format=tar --include="$machine_pkgs" "$suite" "$base.part" "$mirror" >"$cache/mmdebstrap.log" 2>&1 \
    || { tail -20 "$cache/mmdebstrap.log"; rm -f "$base.part"; exit 1; }
  mv "$base.part" "$base"
fi

work=$(mktemp -d "$cache/run.XXXXXX")
root="$work/root"
mkdir -p "$root"
cleanup() {
  set +e
  # Anything still running inside the root (npm start's children) ends with it.
  find /proc -mindepth 2 -maxdepth 2 -name root -lname "$root" 2>/dev/null | cut -d/ -f3 | xargs -r kill -9 2>/dev/null
  sleep 0.5
  for m in dev sys proc; do umount -R "$root/$m" 2>/dev/null || umount -R -l "$root/$m" 2>/dev/null; done
  # The transcripts outlive the root: $cache/last-run/*.log
  rm -rf "$cache/last-run" && mkdir -p "$cache/last-run" && cp "$work"/*.log "$cache/last-run/" 2>/dev/null
  if [ "$keep" -eq 1 ]; then say "kept $root"; else rm -rf "$work"; fi
}
trap cleanup EXIT
say "unpacking the base root"
tar -C "$root" -xf "$base"

# Node 20 + npm 11 exactly as this kind of machine has them (see the header).
node_version=$(node --version 2>/dev/null || echo none)
say "copying the machine's Node ($node_version, package nodejs $(dpkg-query -W -f='${Version}' nodejs)) and npm $(npm --version)"
dpkg -L nodejs | while read -r f; do [ -f "$f" ] || [ -L "$f" ] && printf '%s\n' "${f#/}"; done >"$work/node-files"
tar -C / --no-recursion -cf - -T "$work/node-files" | tar -C "$root" -xf -
# npm was upgraded in place (to 11) after the package installed its own: take the folder as it is.
rm -rf "$root/usr/lib/node_modules/npm"
tar -C / -cf - usr/lib/node_modules/npm | tar -C "$root" -xf -
for f in usr/etc/npmrc root/.npmrc; do [ -f "/$f" ] && { mkdir -p "$root/$(dirname "$f")"; cp "/$f" "$root/$f"; }; done
cp /etc/resolv.conf "$root/etc/resolv.conf"
# This workplace reaches the npm registry through an egress proxy whose CA every machine here
# trusts (/usr/local/share/ca-certificates); a fresh machine of this kind has it too.
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
  chroot "$root" update-ca-certificates >/dev/null 2>&1
fi
cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/" 2>/dev/null && rm -f "$root/etc/apt/sources.list"

say "copying the repository (git archive HEAD: $(git -C "$repo" rev-parse --short HEAD))"
mkdir -p "$root/root/kiosk"
git -C "$repo" archive --format=tar HEAD | tar -C "$root/root/kiosk" -xf -

mount -t proc proc "$root/proc"
mount -t sysfs sys "$root/sys"
mount --rbind /dev "$root/dev" && mount --make-rslave "$root/dev"

in_root() {
  chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 CI="${CI:-}" \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin /bin/bash -c "cd /root/kiosk && $1"
}
show() { # the command, then its last lines
  echo "  \$ $1"
  tail -n "${3:-6}" "$2" | sed 's/^/  | /'
}

say "machine: $(in_root 'node --version; npm --version' | tr '\n' ' '); libpcsclite-dev: $(in_root "dpkg-query -W -f='\${Status}' libpcsclite-dev 2>/dev/null || echo absent")"

# --- npm install && npm start ---------------------------------------------------------------------
say "npm install"
if ! in_root 'npm install' >"$work/install1.log" 2>&1; then show 'npm install' "$work/install1.log" 30; say "FAILED: npm install"; exit 1; fi
show 'npm install' "$work/install1.log"
if grep -E 'EBADENGINE|npm (ERR|error)' "$work/install1.log" >/dev/null; then say "FAILED: npm install printed warnings/errors:"; grep -E 'EBADENGINE|npm (ERR|error)' "$work/install1.log" | head; exit 1; fi

say "npm start (private network namespace; start page and /health fetched, then stopped)"
start_check='
  npm start >/tmp/start.log 2>&1 &
  node -e "
    const deadline = Date.now() + 120000;
    (async () => {
      for (;;) {
        try {
          const page = await fetch(\"http://127.0.0.1:8765/\");
          const html = await page.text();
          const health = await (await fetch(\"http://127.0.0.1:8765/health\")).json();
          if (!page.ok || !html.includes(\"<div id=\\\"root\\\"\")) throw new Error(\"start page: \" + page.status);
          console.log(\"GET / -> \" + page.status + \" (\" + html.length + \" bytes)\");
          console.log(\"GET /health -> \" + JSON.stringify(health));
          process.exit(health.ok && health.version ? 0 : 1);
        } catch (e) {
          if (Date.now() > deadline) { console.error(\"no start page in 120 s: \" + e.message); process.exit(1); }
          await new Promise((r) => setTimeout(r, 250));
        }
      }
    })();" >/tmp/start-check.log 2>&1; rc=$?
  # Stopped as Ctrl+C would: SIGINT to every process of the job (npm, the start script, the kiosk
  # host), found by this private network namespace (no other process on the machine is in it);
  # then they must all be gone within 15 s.
  me=$(readlink /proc/self/ns/net)
  job() {
    for d in /proc/[0-9]*; do
      [ "$(readlink $d/ns/net 2>/dev/null)" = "$me" ] || continue
      tr "\0" " " <$d/cmdline 2>/dev/null | grep -qE "^(npm start|sh -c node scripts/start.mjs|node scripts/start.mjs|[^ ]*/node --enable-source-maps [^ ]*/dist/host/start.mjs)" && echo ${d#/proc/}
    done
  }
  kill -INT $(job) 2>/dev/null
  for i in $(seq 1 150); do [ -z "$(job)" ] && break; sleep 0.1; done
  if [ -n "$(job)" ]; then echo "npm start did not stop on SIGINT: $(job)"; kill -9 $(job); rc=1; else echo "npm start stopped on SIGINT"; fi
  cat /tmp/start.log; echo "--- check"; cat /tmp/start-check.log; exit $rc'
if ! unshare --net /bin/bash -c "ip link set lo up && $(declare -f in_root); root='$root'; in_root '$start_check'" >"$work/start.log" 2>&1; then
  show 'npm start' "$work/start.log" 30; say "FAILED: npm start"; exit 1
fi
show 'npm start' "$work/start.log" 13

# --- npm install && npm test ----------------------------------------------------------------------
# The full run's wire and browser tests share this machine's pcscd/vpcd ports and Chromium with
# every other test run here: it holds the machine's test locks. The quick one needs neither.
test_cmd='npm test' locks=(flock /tmp/kiosk-wire.lock flock /tmp/kiosk-e2e.lock)
[ "$quick" -eq 1 ] && test_cmd='npm test -- system typecheck layers smoke' locks=()
say "npm install && $test_cmd"
rc=0
"${locks[@]}" /bin/bash -c "$(declare -f in_root); root='$root'; in_root 'npm install && $test_cmd'" >"$work/test.log" 2>&1 || rc=$?
show "npm install && $test_cmd" "$work/test.log" 8
[ "$rc" -eq 0 ] || { grep -E "FAIL|×|✗" "$work/test.log" | head -20 | sed 's/^/  ! /'; say "FAILED: $test_cmd (exit $rc); full transcript: $cache/last-run/test.log"; exit 1; }
say "ok: the README's two commands work on a fresh Debian $suite root with Node $node_version"
