#!/usr/bin/env bash
# Run by scripts/package-check.sh inside the fresh root (bubblewrap, own PID and network
# namespaces), after the package and its dependencies are installed. Each check prints PASS/FAIL;
# the first FAIL stops it. Results land in /root/out/.
set -euo pipefail
mkdir -p /root/out
NODE=/opt/ns-kiosk/node/bin/node
UNIT=/lib/systemd/system/ns-kiosk.service
pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; exit 1; }
FAILED=0
# A Chromium check that fails is counted and the run goes on, so one stuck browser does not hide
# the checks after it; the script still exits 1 at the end.
soft_fail() { echo "FAIL $*"; FAILED=$((FAILED + 1)); }
unit_value() { sed -n "s/^$1=//p" "$2"; }
wait_http() { # URL SECONDS
  for _ in $(seq 1 $(( $2 * 5 ))); do
    $NODE -e 'fetch(process.argv[1]).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$1" && return 0
    sleep 0.2
  done
  return 1
}
ip link set lo up 2>/dev/null || true

echo "== installed"
dpkg -s ns-kiosk | grep -E '^(Package|Version|Status)'
for u in ns-kiosk ns-kiosk-display; do id "$u"; done
[ "$(stat -c '%U:%G %a' /var/lib/ns-kiosk)" = "ns-kiosk:ns-kiosk 750" ] && pass "data dir /var/lib/ns-kiosk owned by ns-kiosk, 0750" || fail "data dir: $(stat -c '%U:%G %a' /var/lib/ns-kiosk)"
[ "$(stat -c '%U:%G %a' /etc/ns-kiosk/config.json)" = "root:ns-kiosk 640" ] && pass "config root:ns-kiosk 0640" || fail "config perms"
$NODE --version

echo "== systemd-analyze verify"
if out=$(systemd-analyze verify /lib/systemd/system/ns-kiosk.service /lib/systemd/system/ns-kiosk-display.service 2>&1); then
  [ -z "$out" ] && pass "systemd-analyze verify: no findings" || { echo "$out"; fail "systemd-analyze verify printed findings"; }
else echo "$out"; fail "systemd-analyze verify"; fi
systemd-analyze security --offline=yes --no-pager /lib/systemd/system/ns-kiosk.service 2>&1 | tail -1 | tee /root/out/security.txt

echo "== unconfigured: refuses to start"
PRE=$(unit_value ExecStartPre $UNIT)
ENVS=$(unit_value Environment $UNIT)
WD=$(unit_value WorkingDirectory $UNIT)
before=$(ls -A /var/lib/ns-kiosk | wc -l)
set +e
msg=$(cd "$WD" && runuser -u ns-kiosk -- env -i $ENVS $PRE 2>&1); rc=$?
set -e
echo "$msg"
[ $rc -eq 2 ] && pass "ExecStartPre exits 2 on the shipped, unconfigured config" || fail "ExecStartPre exit $rc"
[ "$(ls -A /var/lib/ns-kiosk | wc -l)" = "$before" ] && pass "nothing written to /var/lib/ns-kiosk" || fail "data dir changed"

echo "== configure as an operator"
# Card keys: random test keys (production: the operator's key file or a SAM provider).
k() { od -An -N6 -tx1 /dev/urandom | tr -d ' \n'; }
printf '{"format":"ns-kiosk-card-keys/1","description":"package check","default":{"a":"%s","b":"%s"}}\n' "$(k)" "$(k)" > /etc/ns-kiosk/card-keys.json
chown root:ns-kiosk /etc/ns-kiosk/card-keys.json; chmod 0640 /etc/ns-kiosk/card-keys.json
# The payment terminal: the project's ZVT simulator on one end of a pseudo-terminal pair; the
# kiosk's real ZVT driver opens the other end as its serial port.
mkdir -p /run/zvt
socat -d PTY,raw,echo=0,link=/run/zvt/ecr PTY,raw,echo=0,link=/run/zvt/terminal 2>/root/out/socat.log &
for _ in $(seq 50); do [ -e /run/zvt/terminal ] && [ -e /run/zvt/ecr ] && break; sleep 0.1; done
ECR=$(readlink -f /run/zvt/ecr)
chown ns-kiosk "$ECR"
(cd /src && $NODE --import tsx hardware/payment/zvt/simulator/main.ts --path /run/zvt/terminal >/root/out/simulator.log 2>&1) &
sleep 2
# The back office: https with the operator's CA pinned (main/config.ts refuses anything else with
# real devices). None answers here: the journal waits (store and forward), the screen does not.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=ns-kiosk-check-ca \
  -keyout /root/ca.key -out /etc/ssl/ns-kiosk-backoffice-ca.pem 2>/dev/null
chmod 0644 /etc/ssl/ns-kiosk-backoffice-ca.pem
# The operator's technician-card key (issue 13): its public half, as the operator would install it.
openssl genpkey -algorithm ed25519 -out /root/operator-technician.key 2>/dev/null
openssl pkey -in /root/operator-technician.key -pubout -out /etc/ns-kiosk/operator-technician-key.pem 2>/dev/null
chmod 0644 /etc/ns-kiosk/operator-technician-key.pem
# The kiosk's secret, as enrollment (KIOSK_ENROLL_TOKEN) would leave it: 0600, the service user's.
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > /var/lib/ns-kiosk/kiosk-secret
chown ns-kiosk:ns-kiosk /var/lib/ns-kiosk/kiosk-secret; chmod 0600 /var/lib/ns-kiosk/kiosk-secret
$NODE -e '
const fs = require("node:fs");
const c = JSON.parse(fs.readFileSync("/etc/ns-kiosk/config.json", "utf8"));
c.kioskId = "NS-UT-CHECK-01";
c.backOffice = { mode: "remote", url: "https://127.0.0.1:8787/", caFile: "/etc/ssl/ns-kiosk-backoffice-ca.pem" };
c.hardware.payment.serialPath = process.argv[1];
fs.writeFileSync("/etc/ns-kiosk/config.json", JSON.stringify(c, null, 2) + "\n");
' "$ECR"
(cd "$WD" && runuser -u ns-kiosk -- env -i $ENVS $PRE) && pass "ExecStartPre accepts the completed config" || fail "ExecStartPre on the completed config"

echo "== the unit's ExecStart as ns-kiosk"
START=$(unit_value ExecStart $UNIT)
echo "ExecStart=$START"
# pcscd, as on the appliance (socket-activated there): no reader attached, the kiosk waits for one.
/usr/sbin/pcscd --foreground >/root/out/pcscd.log 2>&1 &
sleep 1
(cd "$WD" && exec runuser -u ns-kiosk -- env -i $ENVS $START) >/root/out/kiosk.log 2>&1 &
KIOSK_PID=$!
for _ in $(seq 120); do
  kill -0 $KIOSK_PID 2>/dev/null || { tail -30 /root/out/kiosk.log; fail "the kiosk exited"; }
  wait_http http://127.0.0.1:8765/health 1 && break
done
if wait_http http://127.0.0.1:8765/health 1; then pass "/health answers"; else tail -30 /root/out/kiosk.log; fail "kiosk did not answer"; fi
for p in /proc/[0-9]*; do
  if tr '\0' ' ' < "$p/cmdline" 2>/dev/null | grep -q '^/opt/ns-kiosk/node/bin/node \(--[a-z-]*=[0-9]* \)*/opt/ns-kiosk/app/dist/main/start.js'; then
    echo "$(stat -c %U "$p") pid ${p#/proc/}: $(tr '\0' ' ' < "$p/cmdline")" | tee /root/out/kiosk-process.txt
  fi
done
grep -q '^ns-kiosk pid' /root/out/kiosk-process.txt && ! grep -qv '^ns-kiosk pid' /root/out/kiosk-process.txt && pass "kiosk runs as ns-kiosk" || fail "kiosk user"
$NODE -e 'fetch("http://127.0.0.1:8765/health").then(r => r.text()).then(t => console.log("GET /health ->", t.slice(0, 400)))'
$NODE -e 'fetch("http://127.0.0.1:8765/").then(async r => { const t = await r.text(); console.log("GET / ->", r.status, t.length, "bytes", /<div id="root"|<title>/.test(t) ? "(renderer index)" : ""); process.exit(r.ok ? 0 : 1); })' && pass "GET / serves the start screen page" || fail "GET /"
$NODE -e 'fetch("http://127.0.0.1:8765/tester.html").then(r => { console.log("GET /tester.html ->", r.status); process.exit(r.status === 404 ? 0 : 1); })' && pass "no tester page" || fail "tester page served"
ls -la /var/lib/ns-kiosk | tee /root/out/data-dir.txt

echo "== Chromium under /etc/chromium/policies/managed/ns-kiosk.json, as ns-kiosk-display"
cat /etc/chromium/policies/managed/ns-kiosk.json > /root/out/policy.json
chromium --version
CHROME=(timeout 90 runuser -u ns-kiosk-display -- env -i HOME=/var/lib/ns-kiosk-display chromium --headless --disable-gpu --no-first-run --user-data-dir=/tmp/chromium-profile)
grep -R -E '^[^#]*--no-sandbox' /usr/lib/ns-kiosk /lib/systemd/system/ns-kiosk*.service && fail "--no-sandbox in the package" || pass "no --no-sandbox in the package"
# Chromium's headless mode (--screenshot, --dump-dom) runs through DevTools, which the installed
# policy turns off ("DevTools remote debugging is disallowed by the system admin"): the screen and
# the refusals are proven under cage below, pictures taken by grim from the compositor.
"${CHROME[@]}" --remote-debugging-port=9222 http://127.0.0.1:8765/ >/root/out/chromium-devtools.log 2>&1 &
CH=$!
sleep 5
if $NODE -e 'fetch("http://127.0.0.1:9222/json/version").then(() => process.exit(0), () => process.exit(1))'; then fail "remote debugging port open"; fi
pass "remote debugging (DevTools protocol) refused: port 9222 closed"
kill $CH 2>/dev/null || true

echo "== the installed display unit's command (cage + kiosk-browser) on a virtual display, as ns-kiosk-display"
# DevTools is off by policy, so the picture is taken from the compositor (grim, a Wayland screenshot
# tool) and not through Chromium. There is no screen here: cage runs on wlroots' X11 backend inside
# Xvfb (a virtual X display). wlroots' own headless backend (0.15 in bookworm) fails its output test
# once Chromium's buffers arrive ("Basic output test failed for HEADLESS-1") and grim then captures
# nothing; nested in Xvfb the same cage, Chromium and policy paint and grim captures the output.
# The unit's own ExecStart and user, Chromium's sandbox on, the installed policy in force.
command -v grim >/dev/null || dpkg -i /var/cache/apt/archives/grim_*.deb >/root/out/grim-install.log 2>&1 || true
DISPLAY_UNIT=/lib/systemd/system/ns-kiosk-display.service
XDG=/tmp/xdg-ns-kiosk-display
mkdir -p "$XDG" /var/lib/ns-kiosk-display
chown ns-kiosk-display:ns-kiosk-display "$XDG" /var/lib/ns-kiosk-display; chmod 0700 "$XDG"
(exec runuser -u ns-kiosk-display -- Xvfb :77 -screen 0 1080x1920x24 -nolisten tcp) >/root/out/xvfb.log 2>&1 &
XVFB=$!
for _ in $(seq 1 20); do [ -S /tmp/.X11-unix/X77 ] && break; sleep 0.5; done
[ -S /tmp/.X11-unix/X77 ] || { tail -5 /root/out/xvfb.log; soft_fail "Xvfb did not start"; }
DENV="HOME=/var/lib/ns-kiosk-display XDG_RUNTIME_DIR=$XDG XDG_SESSION_TYPE=wayland WLR_BACKENDS=x11 DISPLAY=:77 WLR_X11_OUTPUTS=1 WLR_RENDERER=pixman WLR_LIBINPUT_NO_DEVICES=1"
DSTART=$(unit_value ExecStart $DISPLAY_UNIT)
echo "ExecStart=$DSTART"
(exec runuser -u ns-kiosk-display -- env -i PATH=/usr/bin:/bin $DENV $DSTART) >/root/out/cage.log 2>&1 &
CAGE=$!
shot=""
for _ in $(seq 1 45); do
  sleep 2
  kill -0 $CAGE 2>/dev/null || break
  [ -S "$XDG/wayland-0" ] || continue
  # The start screen is up once the renderer has its first snapshot: Chromium's page is then larger
  # than a blank one; take a picture every 2 s and keep the last after the screen settles.
  if runuser -u ns-kiosk-display -- env -i $DENV WAYLAND_DISPLAY=wayland-0 grim /tmp/installed-kiosk.png 2>>/root/out/grim.log; then
    size=$(stat -c %s /tmp/installed-kiosk.png)
    if [ -n "$shot" ] && [ "$size" -gt 20000 ] && [ "$size" = "$shot" ]; then break; fi
    shot=$size
  fi
done
if [ -s /tmp/installed-kiosk.png ] && [ "$(stat -c %s /tmp/installed-kiosk.png)" -gt 20000 ]; then
  cp /tmp/installed-kiosk.png /root/out/installed-kiosk.png
  pass "cage + Chromium kiosk (the display unit's command) screenshot by grim: $(stat -c %s /root/out/installed-kiosk.png) bytes"
else
  tail -15 /root/out/cage.log; soft_fail "no screenshot of the installed display (cage + grim)"
fi
for p in /proc/[0-9]*; do
  case "$(tr '\0' ' ' < "$p/cmdline" 2>/dev/null)" in /usr/lib/chromium/chromium*) stat -c %U "$p" ;; esac
done | sort -u | tee /root/out/chromium-users.txt
[ -s /root/out/chromium-users.txt ] || soft_fail "no Chromium process seen under cage"
! grep -qv '^ns-kiosk-display$' /root/out/chromium-users.txt && pass "Chromium ran as ns-kiosk-display only" || soft_fail "Chromium user: $(tr '\n' ' ' < /root/out/chromium-users.txt)"
kill $CAGE 2>/dev/null || true
wait $CAGE 2>/dev/null || true

# The policy's refusals, seen the same way (Chromium's headless mode needs DevTools, which the
# policy turns off): Chromium as in kiosk-browser, under cage, pointed at another origin whose server
# records every request. Refused by the policy = not one request reaches it; the control run without
# the policy must reach it, so the check can fail.
# cage_chromium URL SECONDS PNG: Chromium in kiosk mode on URL under cage (in Xvfb), grim after SECONDS.
cage_chromium() {
  rm -rf /tmp/cage-profile "$XDG"/wayland-*
  (exec runuser -u ns-kiosk-display -- env -i PATH=/usr/bin:/bin $DENV /usr/bin/cage -d -s -- /usr/bin/chromium --kiosk --ozone-platform=wayland \
    --user-data-dir=/tmp/cage-profile --no-first-run --no-default-browser-check --noerrdialogs "$1") >>/root/out/cage-refusals.log 2>&1 &
  local pid=$! sock=""
  sleep "$2"
  # The compositor's socket (wayland-0 unless an earlier cage's is still being torn down).
  sock=$(cd "$XDG" && ls wayland-? 2>/dev/null | head -1)
  kill -0 $pid 2>/dev/null || echo "cage_chromium $1: cage had already exited" >>/root/out/cage-refusals.log
  # grim runs as the display user, who cannot write /root/out: via /tmp.
  rm -f /tmp/cage-shot.png
  [ -n "$sock" ] && runuser -u ns-kiosk-display -- env -i $DENV WAYLAND_DISPLAY=$sock grim /tmp/cage-shot.png 2>>/root/out/grim.log && cp /tmp/cage-shot.png "$3" || true
  kill $pid 2>/dev/null || true
  wait $pid 2>/dev/null || true
}
: > /tmp/other-hits.log
chmod 0666 /tmp/other-hits.log
$NODE -e 'require("node:http").createServer((q, s) => { require("node:fs").appendFileSync("/tmp/other-hits.log", q.method + " " + q.url + "\n"); s.end("<h1>OTHER-ORIGIN-CONTENT</h1>"); }).listen(9998, "127.0.0.1")' &
OTHER2=$!
wait_http http://127.0.0.1:9998/ 10 && : > /tmp/other-hits.log
cage_chromium http://127.0.0.1:9998/ 20 /root/out/other-origin-refused.png
[ ! -s /tmp/other-hits.log ] && pass "cage + Chromium under the policy: another origin refused, no request reached it" || soft_fail "another origin reached under the policy: $(head -3 /tmp/other-hits.log)"
mv /etc/chromium/policies/managed/ns-kiosk.json /root/policy-aside.json
cage_chromium http://127.0.0.1:9998/ 20 /root/out/other-origin-control.png
mv /root/policy-aside.json /etc/chromium/policies/managed/ns-kiosk.json
[ -s /tmp/other-hits.log ] && pass "control: without the policy the same Chromium fetched the other origin ($(head -1 /tmp/other-hits.log))" || soft_fail "control: other origin not fetched even without the policy"
kill $OTHER2 2>/dev/null || true
cage_chromium 'devtools://devtools/bundled/inspector.html' 15 /root/out/devtools-refused.png
[ -s /root/out/devtools-refused.png ] && pass "devtools:// under cage: picture devtools-refused.png" || soft_fail "no picture of devtools:// under cage"
kill $XVFB 2>/dev/null || true

echo "== data across upgrade, removal, purge"
kill $KIOSK_PID; wait $KIOSK_PID 2>/dev/null || true
ls /var/lib/ns-kiosk > /tmp/data-before
[ -s /tmp/data-before ] || fail "the kiosk wrote no data"
dpkg -i /root/ns-kiosk.deb >/dev/null 2>&1 && pass "reinstall (upgrade path)" || fail "reinstall"
diff /tmp/data-before <(ls /var/lib/ns-kiosk) && grep -q NS-UT-CHECK-01 /etc/ns-kiosk/config.json && pass "data and edited config kept across upgrade" || fail "upgrade lost data or config"
dpkg -r ns-kiosk >/dev/null 2>&1
[ -d /var/lib/ns-kiosk ] && diff /tmp/data-before <(ls /var/lib/ns-kiosk) && pass "data kept after remove: $(tr '\n' ' ' < /tmp/data-before)" || fail "remove deleted data"
dpkg -P ns-kiosk >/dev/null 2>&1
[ ! -e /var/lib/ns-kiosk ] && [ ! -e /etc/ns-kiosk ] && pass "purge deletes data and configuration" || fail "purge left $(ls -d /var/lib/ns-kiosk /etc/ns-kiosk 2>/dev/null)"
[ "$FAILED" -eq 0 ] || fail "$FAILED Chromium check(s) failed (see above)"
echo "ALL CHECKS PASSED"
