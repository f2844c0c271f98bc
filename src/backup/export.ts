// Export: a ZIP (streamed with yazl) of Graph-shaped JSON at tenant, type or object level, as
// of now or a point in time, with a manifest of counts and the sha256 of every file.
import { createWriteStream } from 'node:fs';
import yazl from 'yazl';
import type { AppContext } from '../app-context.ts';
import type { ObjectType } from '../domain.ts';
import type { EdgeRecord, ObjectRecord } from '../store/store.ts';
import { sha256 } from './canonical.ts';
import { snapshotAt } from './queries.ts';

export interface ExportOptions {
  tenantId: string;
  /** Path of the .zip to write. */
  out: string;
  /** Limit to these types (type level); absent = every type (tenant level). */
  types?: ObjectType[];
  /** Limit to these objects (object level). */
  objects?: ObjectRecord[];
  /** Point in time (ISO); default now. */
  at?: string;
  onProgress?: (p: { type: ObjectType; files: number; totalFiles: number }) => void;
}

export interface ExportManifest {
  format: 'entra-backup-export/1';
  tenantId: string;
  at: string;
  createdAt: string;
  level: 'tenant' | 'type' | 'object';
  counts: Partial<Record<ObjectType, number>>;
  relationships: number;
  files: { path: string; sha256: string; bytes: number }[];
}

function fileName(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, '_');
}

function edgeJson(e: EdgeRecord) {
  return {
    sourceType: e.sourceType,
    sourceId: e.sourceId,
    kind: e.kind,
    targetId: e.targetId,
    ...(e.targetType ? { targetType: e.targetType } : {}),
    ...(e.attrs ? { attrs: e.attrs } : {}),
    addedAt: e.addedAt,
  };
}

export async function exportBackup(ctx: AppContext, options: ExportOptions): Promise<ExportManifest> {
  const at = options.at ?? ctx.now().toISOString();
  const zip = new yazl.ZipFile();
  const output = createWriteStream(options.out);
  const done = new Promise<void>((resolve, reject) => {
    output.on('close', resolve);
    output.on('error', reject);
    zip.outputStream.on('error', reject);
  });
  zip.outputStream.pipe(output);
  const manifest: ExportManifest = {
    format: 'entra-backup-export/1',
    tenantId: options.tenantId,
    at,
    createdAt: ctx.now().toISOString(),
    level: options.objects ? 'object' : options.types ? 'type' : 'tenant',
    counts: {},
    relationships: 0,
    files: [],
  };
  let added = 0;
  const add = async (path: string, data: unknown) => {
    const buf = Buffer.from(`${JSON.stringify(data, null, 2)}\n`);
    zip.addBuffer(buf, path, { mtime: new Date(at) });
    manifest.files.push({ path, sha256: sha256(buf.toString('utf8')), bytes: buf.length });
    // Let the zip stream drain now and then: the export never holds the tenant in memory.
    if (++added % 100 === 0) await new Promise((r) => setImmediate(r));
  };
  const counts = await ctx.store.countObjects(options.tenantId);
  const total = Object.values(counts).reduce((n, c) => n + (c?.live ?? 0), 0);

  if (options.objects) {
    for (const record of options.objects) {
      const v = await ctx.store.getVersionAt(options.tenantId, record.objectId, at);
      if (!v?.content || v.deleted) continue;
      await add(`${record.objectType}/${fileName(record.objectId)}.json`, v.content);
      manifest.counts[record.objectType] = (manifest.counts[record.objectType] ?? 0) + 1;
      const edges = [
        ...(await ctx.store.listEdges(options.tenantId, { sourceId: record.objectId, at })),
        ...(await ctx.store.listEdges(options.tenantId, { targetId: record.objectId, at })),
      ];
      manifest.relationships += edges.length;
      await add(`relationships/${record.objectType}/${fileName(record.objectId)}.json`, edges.map(edgeJson));
      options.onProgress?.({ type: record.objectType, files: added, totalFiles: options.objects.length });
    }
  } else {
    const types = options.types ?? (Object.keys(counts) as ObjectType[]);
    for await (const item of snapshotAt(ctx, options.tenantId, at, { types })) {
      await add(`${item.type}/${fileName(item.record.objectId)}.json`, item.content);
      manifest.counts[item.type] = (manifest.counts[item.type] ?? 0) + 1;
      if (added % 50 === 0) options.onProgress?.({ type: item.type, files: added, totalFiles: total });
    }
    const typeSet = new Set(types);
    const byType = new Map<ObjectType, ReturnType<typeof edgeJson>[]>();
    for (const e of await ctx.store.listEdges(options.tenantId, { at })) {
      if (!typeSet.has(e.sourceType)) continue;
      const list = byType.get(e.sourceType) ?? [];
      list.push(edgeJson(e));
      byType.set(e.sourceType, list);
    }
    for (const [type, edges] of byType) {
      manifest.relationships += edges.length;
      await add(`relationships/${type}.json`, edges);
    }
  }
  const manifestBuf = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
  zip.addBuffer(manifestBuf, 'manifest.json', { mtime: new Date(at) });
  zip.end();
  await done;
  return manifest;
}
