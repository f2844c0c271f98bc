// The SQLite writer thread's body: its own connection to the store's file, on which it applies
// backup page commits (sqlite-page-commit.ts), one at a time in arrival order, each in one
// IMMEDIATE transaction, and answers each with success or the error it raised.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import {
  type CommitReply,
  type CommitRequest,
  type CommitThreadOptions,
  WRITER_CACHE_KIB,
} from './sqlite-commit-thread.ts';
import { type SqlAccess, sqlAccess, writePage } from './sqlite-page-commit.ts';

const options = workerData as CommitThreadOptions;
let db: Database.Database | undefined;
let sql: SqlAccess | undefined;

function open(): { db: Database.Database; sql: SqlAccess } {
  if (!db || !sql) {
    db = new Database(options.file, { timeout: options.busyTimeoutMs, fileMustExist: true });
    // The same settings as the store's own connection (sqlite-store.ts), its own page cache.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma(`cache_size = -${WRITER_CACHE_KIB}`);
    db.pragma('mmap_size = 0');
    db.pragma('wal_autocheckpoint = 10000');
    if (options.maxPageCount) db.pragma(`max_page_count = ${Math.floor(options.maxPageCount)}`);
    sql = sqlAccess(db);
  }
  return { db, sql };
}

parentPort?.on('message', (request: CommitRequest | 'close') => {
  if (request === 'close') {
    db?.close();
    db = undefined;
    parentPort?.close();
    return;
  }
  let reply: CommitReply;
  try {
    const c = open();
    c.db.transaction(() => writePage(c.sql, request.tenantId, request.page, request.etag)).immediate();
    reply = { id: request.id };
  } catch (err) {
    const e = err as { name?: unknown; message?: unknown; code?: unknown };
    reply = {
      id: request.id,
      error: {
        name: typeof e?.name === 'string' ? e.name : 'Error',
        message: typeof e?.message === 'string' ? e.message : String(err),
        ...(typeof e?.code === 'string' ? { code: e.code } : {}),
      },
    };
  }
  parentPort?.postMessage(reply);
});
