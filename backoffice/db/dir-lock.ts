/**
 * One engine per PGlite directory. PGlite (0.5) takes no lock of its own: two processes opening one
 * data directory would both write its files, and the database is corrupt. That happens when a
 * back office is started again on the same directory while the one before is still closing (the
 * kiosk's embedded back office drains for up to 5 s after its kiosk went away), or when two are
 * started by hand on one `pglite:PATH`.
 *
 * The lock is a file next to the directory (`DIR.lock`, never inside it: initdb wants an empty
 * directory), created exclusively, holding the holder's pid, the start time of that process and the
 * boot id. A lock whose holder is gone (another boot, no such pid, or a pid now used by another
 * process, told apart by its start time) is stale and taken over: a back office killed with SIGKILL
 * never blocks the next one. A live holder is waited for (`waitMs`), then refused with its pid.
 *
 * Why not a lock library (proper-lockfile): its staleness is an mtime the holder refreshes on a
 * timer, and PGlite's first open holds the event loop for seconds (4.6 s on a quiet machine, about
 * a minute measured under load), long enough for a live holder to look stale and a second engine to
 * open the directory. Here the kernel's facts decide (/proc), whatever the holder's event loop does.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface DirLockHolder {
  pid: number;
  /** The process's start time in clock ticks since boot (/proc/PID/stat field 22); '' where /proc is absent. */
  start: string;
  /** /proc/sys/kernel/random/boot_id; '' where absent. */
  boot: string;
}

export interface DirLock {
  readonly path: string;
  /** Give the lock back (only if it is still ours). Idempotent. */
  release(): void;
}

export class DirectoryInUseError extends Error {
  constructor(
    readonly dir: string,
    readonly holder: DirLockHolder | undefined,
    readonly lockPath: string,
  ) {
    super(
      `the PGlite directory ${dir} is in use${holder ? ` by process ${holder.pid}` : ''} (lock ${lockPath}): two engines on one directory would corrupt it. ` +
        `Stop the other back office, or remove the lock file if no such process runs.`,
    );
    this.name = 'DirectoryInUseError';
  }
}

const readOr = (file: string, fallback: string): string => {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return fallback;
  }
};

/** Field 22 of /proc/PID/stat (after the command name, which may hold spaces and parentheses). */
function startTimeOf(pid: number): string | undefined {
  const stat = readOr(`/proc/${pid}/stat`, '');
  if (!stat) return undefined;
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

function bootId(): string {
  return readOr('/proc/sys/kernel/random/boot_id', '');
}

export function currentHolder(): DirLockHolder {
  return { pid: process.pid, start: startTimeOf(process.pid) ?? '', boot: bootId() };
}

/** Is the process that wrote this lock still running? */
export function holderAlive(h: DirLockHolder): boolean {
  if (h.boot !== bootId()) return false;
  if (existsSync('/proc/self/stat')) return startTimeOf(h.pid) === h.start && h.start !== '';
  try {
    process.kill(h.pid, 0); // no /proc: whether the pid exists is all there is to know
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(file: string): DirLockHolder | 'unreadable' | 'gone' {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return 'gone';
  }
  try {
    const h = JSON.parse(text) as DirLockHolder;
    if (Number.isInteger(h.pid) && typeof h.start === 'string' && typeof h.boot === 'string') return h;
  } catch {
    // being written right now, or damaged: see below
  }
  return 'unreadable';
}

const same = (a: DirLockHolder, b: DirLockHolder) => a.pid === b.pid && a.start === b.start && a.boot === b.boot;

/**
 * Take the lock of `dir` (waits up to `waitMs` for a live holder; default 15 s: a back office that
 * is closing drains for at most 5 s and is killed after 8). Throws DirectoryInUseError after that.
 */
export async function lockDirectory(dir: string, options: { waitMs?: number; pollMs?: number } = {}): Promise<DirLock> {
  const lockPath = `${path.resolve(dir)}.lock`;
  mkdirSync(path.dirname(lockPath), { recursive: true });
  const me = currentHolder();
  const deadline = Date.now() + (options.waitMs ?? 15_000);
  let lastHolder: DirLockHolder | undefined;
  for (let attempt = 0; ; attempt++) {
    // Bounded whatever happens below: every way round the loop meets the deadline.
    if (attempt > 0 && Date.now() >= deadline) throw new DirectoryInUseError(dir, lastHolder, lockPath);
    try {
      writeFileSync(lockPath, JSON.stringify(me), { flag: 'wx', mode: 0o600 });
      return ownLock(lockPath, me);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = readHolder(lockPath);
    if (holder === 'gone') {
      await new Promise((r) => setImmediate(r));
      continue;
    }
    // An unreadable lock younger than 5 s is being written (open, then write); an older one is damaged.
    const damaged = holder === 'unreadable' && Date.now() - (statSafe(lockPath) ?? Date.now()) > 5_000;
    if (holder !== 'unreadable') lastHolder = holder;
    // A stale lock that cannot be moved aside (no right to: another user's, in a sticky directory)
    // is waited for like a live one, and refused at the deadline: never a busy loop.
    if ((damaged || (holder !== 'unreadable' && !holderAlive(holder))) && takeOverStale(lockPath, holder === 'unreadable' ? undefined : holder)) {
      await new Promise((r) => setImmediate(r));
      continue;
    }
    await new Promise((r) => setTimeout(r, Math.max(0, Math.min(options.pollMs ?? 100, deadline - Date.now()))));
  }
}

function statSafe(file: string): number | undefined {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

/**
 * Remove a stale lock, and only that one: it is renamed aside first (atomic) and then checked; if
 * another starter had replaced it in between with a live lock of its own, that lock is put back.
 * False when it could not be moved (then it is waited for, as a live one).
 */
function takeOverStale(lockPath: string, stale: DirLockHolder | undefined): boolean {
  const aside = `${lockPath}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    renameSync(lockPath, aside);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT'; // gone meanwhile: try again; else it stays
  }
  const moved = readHolder(aside);
  if (moved !== 'gone' && moved !== 'unreadable' && (stale === undefined || !same(moved, stale)) && holderAlive(moved)) {
    try {
      linkSync(aside, lockPath); // put the live lock back (fails if a third starter made one: theirs stands)
    } catch {
      /* another lock stands there now */
    }
  }
  try {
    unlinkSync(aside);
  } catch {
    /* already gone */
  }
  return true;
}

function ownLock(lockPath: string, me: DirLockHolder): DirLock {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off('exit', release);
    const h = readHolder(lockPath);
    if (h !== 'gone' && h !== 'unreadable' && same(h, me)) {
      try {
        unlinkSync(lockPath);
      } catch {
        /* already gone */
      }
    }
  };
  // process.exit() without a close: the lock goes with the process (a SIGKILL leaves it stale,
  // and the next opener takes it over).
  process.once('exit', release);
  return { path: lockPath, release };
}
