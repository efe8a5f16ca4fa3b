/**
 * Versioned migrations (backoffice/db/migrations/*.sql, `-- Up Migration` / `-- Down Migration`)
 * run by node-pg-migrate, on a server or on PGlite alike. Several back-office processes may start
 * at once: node-pg-migrate's advisory lock lets one migrate while the others wait for it.
 */
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import type { Db } from './engine.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations', import.meta.url));
export const MIGRATIONS_TABLE = 'schema_migrations';

export async function migrate(db: Db): Promise<string[]> {
  const quiet = { debug() {}, info() {}, warn: (m: string) => console.warn(m), error: (m: string) => console.error(m) };
  return db.withMigrationClient(async (client) => {
    const ran = await runner({
      dbClient: client as never,
      dir: MIGRATIONS_DIR,
      migrationsTable: MIGRATIONS_TABLE,
      direction: 'up',
      checkOrder: true,
      singleTransaction: true,
      // PGlite is a single connection: there is nobody to wait for.
      noLock: db.engine === 'pglite',
      advisoryLockMode: 'wait',
      logger: quiet,
    });
    return ran.map((m) => m.name);
  });
}
