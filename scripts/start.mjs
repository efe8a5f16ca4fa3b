// `npm start`: run the kiosk with no configuration needed (emulated hardware, local back office).
// 1. Build the renderer if dist/renderer is missing or older than its sources.
// 2. If an Electron binary exists (node_modules/electron/dist or ELECTRON_OVERRIDE_DIST_PATH), build
//    main for Electron (`npm run build`) and run the Electron shell.
// 3. Otherwise start the browser host, compiled: dist/host/start.mjs (scripts/build-host.mjs, esbuild),
//    rebuilt first when missing, older than its sources or built from another commit; then open the
//    system Chromium in kiosk/app mode if there is one and a display to show it on; else print the
//    address to open. Wire mode (KIOSK_HARDWARE=wire, a development rig) runs main/start.ts through
//    tsx instead: its terminal simulator process is started from TypeScript sources.
// Never downloads anything (in particular not Electron).
// Options: --browser (skip Electron), --no-open (do not open Chromium), --windowed (app window
// instead of full-screen kiosk). All KIOSK_* variables (main/config.ts) pass through.
// KIOSK_STARTUP_TRACE=1: start-up phase marks on stderr: epoch ms and this process's CPU ms so far (scripts/bench-startup.ts).
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const trace =
  process.env.KIOSK_STARTUP_TRACE === '1'
    ? (phase, at = performance.timeOrigin + performance.now(), cpu = cpuMs()) => process.stderr.write(`KIOSK_TRACE ${phase} ${at.toFixed(1)} ${cpu.toFixed(0)}\n`)
    : () => {};
trace('start-process-start', performance.timeOrigin, 0);
trace('start-script-running');
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { HOST_OUT, HOST_SOURCES, buildHost, newestMtime } from './build-host.mjs';
import { sourceCommit } from './build-info.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
const args = new Set(process.argv.slice(2));
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const say = (msg) => console.log(`[start] ${msg}`);

function ensureRenderer() {
  const index = path.join(root, 'dist', 'renderer', 'index.html');
  const built = existsSync(index) ? statSync(index).mtimeMs : 0;
  const sources = Math.max(
    newestMtime(path.join(root, 'renderer')),
    newestMtime(path.join(root, 'locales')),
    newestMtime(path.join(root, 'contract')),
    newestMtime(path.join(root, 'domain')),
  );
  if (built && built >= sources) return;
  say(built ? 'renderer sources changed: rebuilding the renderer' : 'building the renderer (first start)');
  const r = spawnSync(process.execPath, [path.join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'error'], {
    stdio: 'inherit',
  });
  if (r.status !== 0) {
    console.error('[start] the renderer build failed (npm run build:renderer)');
    process.exit(r.status ?? 1);
  }
}

/** The Electron binary, if one exists locally. Never asks the electron package (it would download). */
function electronBinary() {
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const candidates = [];
  if (override) candidates.push(path.join(override, 'electron'));
  candidates.push(path.join(root, 'node_modules', 'electron', 'dist', 'electron'));
  return candidates.find((p) => existsSync(p));
}

function hasDisplay() {
  return Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
}

function chromiumBinary() {
  return ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
}

const children = new Set();
function track(child) {
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}
let exiting = false;
function shutdown(code = 0) {
  if (exiting) return;
  exiting = true;
  for (const c of children) c.kill('SIGTERM');
  setTimeout(() => process.exit(code), 3000).unref();
  const check = setInterval(() => {
    if (children.size === 0) {
      clearInterval(check);
      process.exit(code);
    }
  }, 50);
}
process.on('SIGINT', () => shutdown(0));
process.on('SIGTERM', () => shutdown(0));

function runElectron(electron) {
  say(`Electron found (${electron}): building main for Electron`);
  const b = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
  if (b.status !== 0) {
    console.error('[start] npm run build failed');
    process.exit(b.status ?? 1);
  }
  say('starting the Electron shell');
  const child = track(spawn(electron, ['.'], { stdio: 'inherit', env: process.env }));
  child.on('exit', (code) => shutdown(code ?? 0));
}

/** The hardware mode the kiosk will run in, as far as start needs to know (main/config.ts validates). */
function hardwareMode() {
  if (process.env.KIOSK_HARDWARE) return process.env.KIOSK_HARDWARE;
  try {
    return JSON.parse(readFileSync(process.env.KIOSK_CONFIG, 'utf8'))?.hardware?.mode ?? 'emulated';
  } catch {
    return 'emulated'; // no or unreadable file: the kiosk itself reports it
  }
}

/** dist/host/start.mjs, built now if it is missing, older than its sources or of another commit. */
async function ensureHost() {
  const infoFile = path.join(root, 'dist', 'build-info.json');
  const built = existsSync(HOST_OUT) && existsSync(infoFile) ? statSync(HOST_OUT).mtimeMs : 0;
  let reason = built ? undefined : 'building the kiosk host (first start)';
  if (!reason && Math.max(...HOST_SOURCES.map(newestMtime)) > built) reason = 'kiosk sources changed: rebuilding the kiosk host';
  if (!reason) {
    let builtCommit = null;
    try {
      builtCommit = JSON.parse(readFileSync(infoFile, 'utf8')).commit ?? null;
    } catch {
      // unreadable: rebuild
    }
    if (builtCommit !== (sourceCommit(root) ?? null)) reason = 'new commit: rebuilding the kiosk host';
  }
  if (!reason) return HOST_OUT;
  say(reason);
  try {
    await buildHost({ quiet: true });
  } catch (e) {
    console.error(`[start] building the kiosk host failed (npm run build:host): ${e instanceof Error ? e.message : e}`);
    process.exit(1);
  }
  return HOST_OUT;
}

async function runBrowserHost() {
  // KIOSK_HOST_FROM_SOURCE=1: run the TypeScript through tsx (development; the startup benchmark's comparison).
  const fromSource = hardwareMode() === 'wire' || process.env.KIOSK_HOST_FROM_SOURCE === '1';
  // --max-semi-space-size=4: V8's young generation capped at 4 MB per semi-space. Uncapped, V8 grows
  // it (and the heap it commits) by ~40-60 MB at some point in the first ~1,000 sessions and keeps
  // it: the soak's one "native" RSS step (docs/operations.md, Memory). Same flag in the appliance's
  // unit and the soak.
  const hostArgs = ['--max-semi-space-size=4', ...(fromSource ? ['--import', 'tsx', path.join(root, 'main', 'start.ts')] : [await ensureHost()])];
  trace('start-spawning-host');
  // Node's on-disk compile cache for the compiled host (code compiled at an earlier start is not
  // compiled again; a new build's files miss it and are cached anew). Kept under dist/, which the
  // build owns.
  const env = fromSource || process.env.NODE_COMPILE_CACHE ? process.env : { ...process.env, NODE_COMPILE_CACHE: path.join(root, 'dist', '.node-compile-cache') };
  const host = track(
    spawn(process.execPath, hostArgs, {
      stdio: ['ignore', 'pipe', 'inherit'],
      env,
    }),
  );
  host.on('exit', (code) => {
    if (!exiting) console.error(`[start] the kiosk stopped (exit ${code})`);
    shutdown(code ?? 1);
  });
  const lines = createInterface({ input: host.stdout });
  lines.on('line', (line) => {
    const m = /^KIOSK_URL=(\S+)$/.exec(line);
    if (!m) {
      process.stdout.write(`${line}\n`);
      return;
    }
    const url = m[1];
    say(`kiosk running at ${url}  (tester panel: ${url}/tester.html)`);
    const chromium = chromiumBinary();
    if (args.has('--no-open') || process.env.KIOSK_NO_BROWSER === '1' || process.env.KIOSK_OPEN_BROWSER === '0') {
      say(`open ${url} in a browser`);
    } else if (chromium && hasDisplay()) {
      openChromium(chromium, url);
    } else {
      say(`no ${chromium ? 'display' : 'Chromium'} to show the kiosk on: open ${url} in a browser`);
    }
  });
}

function openChromium(chromium, url) {
  // A fresh profile each run, and the flags that keep Chromium quiet on a closed network (runtime.md).
  const profile = mkdtempSync(path.join(tmpdir(), 'kiosk-chromium-'));
  const flags = [
    args.has('--windowed') ? `--app=${url}` : '--kiosk',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-translate',
    '--noerrdialogs',
    '--disable-pinch',
    '--overscroll-history-navigation=0',
    `--user-data-dir=${profile}`,
  ];
  // Chromium refuses to run as root without this (its sandbox needs an unprivileged user).
  if (process.getuid?.() === 0) flags.push('--no-sandbox');
  if (!args.has('--windowed')) flags.push(url);
  say(`opening Chromium ${args.has('--windowed') ? 'in an app window' : 'in kiosk mode'}`);
  const child = track(spawn(chromium, flags, { stdio: 'ignore' }));
  child.on('exit', () => {
    rmSync(profile, { recursive: true, force: true });
    if (!exiting) say(`Chromium closed; the kiosk keeps running at ${url} (Ctrl+C stops it)`);
  });
}

ensureRenderer();
const electron = args.has('--browser') || process.env.KIOSK_SHELL === 'browser' ? undefined : electronBinary();
if (electron) runElectron(electron);
else {
  say('no Electron binary here: starting the browser host');
  await runBrowserHost();
}
