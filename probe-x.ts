import Database from 'better-sqlite3';
const db = new Database('/tmp/entra-bench-iUHOKs/entra-backup.db', { readonly: true });
for (const r of db.prepare("SELECT * FROM runs").all() as any[]) { const j = JSON.parse(r.doc ?? r.data ?? '{}'); console.log(r.status ?? j.status, JSON.stringify(j.counts ?? r).slice(0, 1200)); }
