// Turns SQLite failures that are the environment's fault (corrupt file, lock held elsewhere,
// full disk, unreadable path) into StoreUnavailableError with a message an operator can act on.
import { StoreUnavailableError } from './store.ts';

function sqliteCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}

/** The StoreUnavailableError for `err`, or undefined when it is not an environment fault. */
export function sqliteUnavailable(err: unknown, path: string): StoreUnavailableError | undefined {
  const code = sqliteCode(err);
  if (!code) return undefined;
  const detail = err instanceof Error ? err.message : String(err);
  let message: string | undefined;
  if (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_') || code === 'SQLITE_LOCKED') {
    message = `SQLite store ${path} is busy: another process holds its lock (${code}); retry later`;
  } else if (code === 'SQLITE_FULL' || code === 'SQLITE_IOERR_WRITE' || code === 'SQLITE_IOERR_FSYNC') {
    message = `SQLite store ${path} cannot be written: the disk is full (${code}); nothing of this write was kept`;
  } else if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT' || code.startsWith('SQLITE_CORRUPT_')) {
    message = `SQLite store ${path} is corrupt or not a database (${code}: ${detail}); restore it from a copy or move it away`;
  } else if (code === 'SQLITE_CANTOPEN' || code.startsWith('SQLITE_CANTOPEN_')) {
    message = `SQLite store ${path} cannot be opened (${code}: ${detail}); check the path and its permissions`;
  } else if (code === 'SQLITE_READONLY' || code.startsWith('SQLITE_READONLY_') || code === 'SQLITE_PERM') {
    message = `SQLite store ${path} is read-only (${code}); check the file's permissions`;
  } else if (code === 'SQLITE_IOERR' || code.startsWith('SQLITE_IOERR_')) {
    message = `SQLite store ${path}: disk I/O error (${code}: ${detail})`;
  }
  if (!message) return undefined;
  const out = new StoreUnavailableError(message);
  out.cause = err;
  return out;
}

/** Runs `fn`, rethrowing environment faults as StoreUnavailableError. */
export function guardSqlite<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw sqliteUnavailable(err, path) ?? err;
  }
}
