/**
 * The data directory holds the journal (card hashes, amounts), the back-office database in local
 * mode, the blocked-card cache and the kiosk secret. Issue 11 finding 5: it was created
 * world-readable. Now, at EVERY start (not only when first created, so a directory restored from a
 * backup or loosened by hand is tightened again): the directory is 0700 and every file in it 0600,
 * owned by the kiosk's user. A directory owned by someone else, or a symlink in place of the
 * directory or one of its files, is refused: someone else could read or swap the secret.
 */
import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';

export class DataDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataDirError';
  }
}

export const DATA_DIR_MODE = 0o700;
export const DATA_FILE_MODE = 0o600;

/** Create the data directory if needed and enforce its modes. Throws DataDirError. */
export function secureDataDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: DATA_DIR_MODE });
  const st = lstatSync(dir);
  if (!st.isDirectory()) throw new DataDirError(`data directory ${dir} is not a directory (a symlink?): refused`);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) throw new DataDirError(`data directory ${dir} belongs to uid ${st.uid}, not to the kiosk (uid ${uid}): refused`);
  chmodSync(dir, DATA_DIR_MODE);
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    const f = lstatSync(file);
    if (f.isSymbolicLink()) throw new DataDirError(`${file} is a symlink: refused (the kiosk's files must live in its data directory)`);
    if (uid !== undefined && f.uid !== uid) throw new DataDirError(`${file} belongs to uid ${f.uid}, not to the kiosk (uid ${uid}): refused`);
    if (f.isFile()) chmodSync(file, DATA_FILE_MODE);
    else if (f.isDirectory()) chmodSync(file, DATA_DIR_MODE);
  }
}
