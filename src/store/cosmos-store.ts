// The scale-out store on Cosmos DB. Partition keys follow the data model (tenant, or one object
// for versions and edges). Queries are parameterised, filter on tenantId and page by keyset
// (TOP + the last sort key in an opaque token): that runs the same on Cosmos DB and on the
// Cosmos-protocol test server, which has no OFFSET/LIMIT. Writes are idempotent by
// deterministic ids, so a replayed page is harmless; etags give compare-and-swap.
import type { Agent } from 'node:http';
import {
  type Container,
  CosmosClient,
  type CosmosClientOptions,
  type Database,
  type ItemDefinition,
  type JSONObject,
  type OperationInput,
  type SqlParameter,
  type SqlQuerySpec,
} from '@azure/cosmos';
import type { TokenCredential } from '@azure/identity';
import { OBJECT_TYPES, type ObjectType, type RunStatus } from '../domain.ts';
import { auditHash, GENESIS_HASH } from './audit-chain.ts';
import { CONTAINER_NAMES, CONTAINERS, type ContainerName, objectKey, safeId } from './cosmos-containers.ts';
import { cosmosStatus, cosmosUnavailable, isConnectionReset, isRequestTimeout } from './cosmos-errors.ts';
import { deleteRoundState, pruneRoundState, readRoundState, writeRoundState } from './cosmos-round-state.ts';
import {
  type AuditEntry,
  type AuditInput,
  type EdgeQuery,
  type EdgeRecord,
  type ObjectListQuery,
  type ObjectRecord,
  type Page,
  type PageCommit,
  type RestoreRecord,
  type RestoreStatus,
  type RoundStateChunk,
  type RunRecord,
  type Store,
  StoreConflictError,
  StoreUnavailableError,
  type SyncState,
  type TenantSettings,
  type VersionHead,
  type VersionRecord,
} from './store.ts';
import {
  assertTenant,
  clampLimit,
  decodeContinuation,
  edgeSourceId,
  encodeContinuation,
  newestHeads,
  normalizeEdge,
  normalizeObject,
  normalizeRestore,
  normalizeRoundState,
  normalizeRoundStateDone,
  normalizeRun,
  normalizeSearchTerm,
  normalizeVersion,
  positionNumber,
  positionString,
  StoreInputError,
  searchNeedle,
  searchTextOf,
  toIso,
} from './store-values.ts';

export interface CosmosStoreOptions {
  endpoint: string;
  /** Account key; without it, `credential` (default: DefaultAzureCredential, i.e. managed identity). */
  key?: string;
  credential?: TokenCredential;
  database: string;
  /** HTTPS agent for this client only (e.g. trusting a test server's CA); never process-wide. */
  agent?: Agent;
  /** Per-request timeout (default 10 s). */
  requestTimeoutMs?: number;
  now?: () => Date;
}

type Doc = ItemDefinition & Record<string, unknown>;

/** Properties the store adds to documents; stripped before records are returned. */
const STORE_FIELDS = new Set(['id', 'docType', 'objectKey', 'nameLower', 'searchText']);

const SORT_FIELDS: Record<NonNullable<ObjectListQuery['sort']>, string[]> = {
  name: ['nameLower', 'objectId', 'objectType'],
  id: ['objectId', 'objectType'],
  lastChange: ['lastChangedAt', 'objectId', 'objectType'],
};

const SETTINGS_ID = 'settings';
const SYNC_STATE_ID = 'sync-state';
const AUDIT_HEAD_ID = 'head';
const WRITE_CONCURRENCY = 8;
/** Tries of one transactional batch when the connection is reset under it. */
const BATCH_ATTEMPTS = 6;

function strip<T>(doc: Doc): T & { etag: string } {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) {
    if (!STORE_FIELDS.has(k) && !k.startsWith('_')) out[k] = v;
  }
  return { ...(out as T), etag: String(doc._etag ?? '') };
}

function stripNoEtag<T>(doc: Doc): T {
  const { etag: _etag, ...rest } = strip<T>(doc) as T & { etag: string };
  return rest as T;
}

function withoutEtag<T extends { etag?: string }>(record: T): Omit<T, 'etag'> {
  const { etag: _etag, ...rest } = record;
  return rest;
}

/** Our documents are plain JSON (records from JSON.parse-able data). */
function asJson(doc: object): JSONObject {
  return doc as unknown as JSONObject;
}

function params(values: Record<string, unknown>): SqlParameter[] {
  return Object.entries(values).map(([name, value]) => ({
    name: `@${name}`,
    value: value as SqlParameter['value'],
  }));
}

/** Keyset condition for ORDER BY f1, f2, ... (asc: after the position; desc: before it). */
function keysetCondition(fields: string[], desc: boolean): string {
  const op = desc ? '<' : '>';
  const terms = fields.map((field, i) => {
    const equal = fields.slice(0, i).map((f, j) => `c.${f} = @k${j}`);
    return `(${[...equal, `c.${field} ${op} @k${i}`].join(' AND ')})`;
  });
  return `(${terms.join(' OR ')})`;
}

async function mapLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next];
      next += 1;
      await fn(item);
    }
  });
  await Promise.all(workers);
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

export class CosmosStore implements Store {
  readonly kind = 'cosmos' as const;
  /** Page commits span containers and partitions: a failure can leave part of a page written. */
  readonly commitsMayBePartial = true;
  private readonly client: CosmosClient;
  private database: Database | undefined;
  private readonly containers = new Map<ContainerName, Container>();
  private readonly now: () => Date;

  constructor(
    private readonly options: CosmosStoreOptions,
    credentialFactory?: () => TokenCredential,
  ) {
    this.now = options.now ?? (() => new Date());
    const clientOptions: CosmosClientOptions = {
      endpoint: options.endpoint,
      connectionPolicy: {
        requestTimeout: options.requestTimeoutMs ?? 10_000,
        retryOptions: {
          maxRetryAttemptCount: 9,
          fixedRetryIntervalInMilliseconds: 0,
          maxWaitTimeInSeconds: 30,
        },
      },
      ...(options.agent ? { agent: options.agent } : {}),
    };
    if (options.key) clientOptions.key = options.key;
    else {
      const credential = options.credential ?? credentialFactory?.();
      if (!credential) {
        throw new StoreUnavailableError(
          `Cosmos DB at ${options.endpoint}: no COSMOS_KEY and no managed identity credential was given`,
        );
      }
      clientOptions.aadCredentials = credential;
    }
    this.client = new CosmosClient(clientOptions);
  }

  // ------------------------------------------------------------ plumbing

  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (
        err instanceof StoreConflictError ||
        err instanceof StoreInputError ||
        err instanceof StoreUnavailableError
      ) {
        throw err;
      }
      throw cosmosUnavailable(err, this.options.endpoint) ?? err;
    }
  }

  private c(name: ContainerName): Container {
    const container = this.containers.get(name);
    if (!container) throw new Error(`Cosmos store ${this.options.endpoint} is not open: call init() first`);
    return container;
  }

  private async query<T = Doc>(
    container: ContainerName,
    sql: string,
    values: Record<string, unknown>,
    partitionKey?: string,
  ): Promise<T[]> {
    const spec: SqlQuerySpec = { query: sql, parameters: params(values) };
    const iterator = this.c(container).items.query<T>(
      spec,
      partitionKey === undefined ? {} : { partitionKey },
    );
    const { resources } = await iterator.fetchAll();
    return resources;
  }

  private async readDoc(
    container: ContainerName,
    id: string,
    partitionKey: string,
  ): Promise<Doc | undefined> {
    try {
      const { resource } = await this.c(container).item(id, partitionKey).read<Doc>();
      return resource ?? undefined;
    } catch (err) {
      if (cosmosStatus(err) === 404) return undefined;
      throw err;
    }
  }

  /** Replace with If-Match; a lost race or a missing document is a StoreConflictError. */
  private async replaceIfMatch(
    container: ContainerName,
    doc: Doc,
    partitionKey: string,
    ifMatch: string,
    what: string,
  ): Promise<Doc> {
    try {
      const { resource } = await this.c(container)
        .item(String(doc.id), partitionKey)
        .replace<Doc>(doc, { accessCondition: { type: 'IfMatch', condition: ifMatch } });
      if (!resource) throw new Error(`Cosmos DB returned no document for ${what}`);
      return resource;
    } catch (err) {
      const status = cosmosStatus(err);
      if (status === 412)
        throw new StoreConflictError(`${what} changed meanwhile (etag ${ifMatch} is stale)`);
      if (status === 404) throw new StoreConflictError(`${what} does not exist`);
      throw err;
    }
  }

  private async upsert(container: ContainerName, doc: Doc): Promise<Doc> {
    const { resource } = await this.c(container).items.upsert<Doc>(doc);
    if (!resource) throw new Error(`Cosmos DB returned no document for ${container}/${doc.id}`);
    return resource;
  }

  /** Transactional batches of at most 100 operations, all in one partition. */
  private async batch(
    container: ContainerName,
    partitionKey: string,
    build: () => OperationInput[],
  ): Promise<number[]> {
    // The SDK rewrites operations in place: build them afresh for every attempt.
    const total = build().length;
    const statuses: number[] = [];
    for (let i = 0; i < total; i += 100) {
      for (let attempt = 1; ; attempt++) {
        const chunk = build()
          .slice(i, i + 100)
          .map((op) => ({ ...op, partitionKey }));
        try {
          const response = await this.c(container).items.batch(chunk, partitionKey);
          for (const r of response.result ?? []) statuses.push(r.statusCode);
          break;
        } catch (err) {
          // A reset connection or a timed-out answer (the SDK repeats neither for a write): every
          // batch here is idempotent (upserts of deterministic ids, edge creates whose conflicts
          // commitPage resolves), so repeat it, whether or not the server applied it.
          if (attempt >= BATCH_ATTEMPTS || !(isConnectionReset(err) || isRequestTimeout(err))) throw err;
          await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** attempt));
        }
      }
    }
    return statuses;
  }

  private nowIso(): string {
    return this.now().toISOString();
  }

  // ------------------------------------------------------------ lifecycle

  async init(): Promise<void> {
    if (this.database) return;
    await this.guard(async () => {
      const { database } = await this.client.databases.createIfNotExists({ id: this.options.database });
      for (const name of CONTAINER_NAMES) {
        const { container } = await database.containers.createIfNotExists(CONTAINERS[name]);
        this.containers.set(name, container);
      }
      this.database = database;
    });
  }

  async close(): Promise<void> {
    this.client.dispose();
    this.containers.clear();
    this.database = undefined;
  }

  async ping(): Promise<void> {
    await this.guard(async () => {
      if (!this.database)
        throw new Error(`Cosmos store ${this.options.endpoint} is not open: call init() first`);
      await this.database.read();
    });
  }

  // ------------------------------------------------------------ settings

  async listTenants(): Promise<TenantSettings[]> {
    return this.guard(async () => {
      const docs = await this.query(
        'settings',
        'SELECT * FROM c WHERE c.docType = @type ORDER BY c.tenantId',
        {
          type: 'settings',
        },
      );
      return docs.map((d) => strip<TenantSettings>(d));
    });
  }

  async getSettings(tenantId: string): Promise<TenantSettings | undefined> {
    return this.guard(async () => {
      const doc = await this.readDoc('settings', SETTINGS_ID, tenantId);
      return doc ? strip<TenantSettings>(doc) : undefined;
    });
  }

  async putSettings(settings: TenantSettings, ifMatch?: string): Promise<TenantSettings> {
    return this.guard(async () => {
      const doc: Doc = { ...withoutEtag(settings), id: SETTINGS_ID, docType: 'settings' };
      const written =
        ifMatch === undefined
          ? await this.upsert('settings', doc)
          : await this.replaceIfMatch(
              'settings',
              doc,
              settings.tenantId,
              ifMatch,
              `settings of tenant ${settings.tenantId}`,
            );
      return strip<TenantSettings>(written);
    });
  }

  async getSyncState(tenantId: string): Promise<SyncState | undefined> {
    return this.guard(async () => {
      const doc = await this.readDoc('settings', SYNC_STATE_ID, tenantId);
      return doc ? strip<SyncState>(doc) : undefined;
    });
  }

  async putSyncState(state: SyncState): Promise<SyncState> {
    return this.guard(async () =>
      strip<SyncState>(
        await this.upsert('settings', { ...withoutEtag(state), id: SYNC_STATE_ID, docType: 'sync' }),
      ),
    );
  }

  // ------------------------------------------------------------ objects

  private objectDoc(o: ObjectRecord): Doc {
    return {
      ...o,
      id: `${o.objectType}|${safeId(o.objectId)}`,
      nameLower: (o.displayName ?? '').toLowerCase(),
      searchText: searchTextOf(o),
    };
  }

  async getObject(
    tenantId: string,
    objectType: ObjectType,
    objectId: string,
  ): Promise<ObjectRecord | undefined> {
    return this.guard(async () => {
      const doc = await this.readDoc('objects', `${objectType}|${safeId(objectId)}`, tenantId);
      return doc && doc.tenantId === tenantId ? stripNoEtag<ObjectRecord>(doc) : undefined;
    });
  }

  async getObjects(
    tenantId: string,
    objectType: ObjectType,
    objectIds: string[],
  ): Promise<Map<string, ObjectRecord>> {
    return this.guard(async () => {
      const out = new Map<string, ObjectRecord>();
      for (let i = 0; i < objectIds.length; i += 200) {
        const docs = await this.query(
          'objects',
          'SELECT * FROM c WHERE c.tenantId = @tenantId AND c.objectType = @objectType AND ARRAY_CONTAINS(@ids, c.objectId)',
          { tenantId, objectType, ids: objectIds.slice(i, i + 200) },
          tenantId,
        );
        for (const doc of docs) {
          const record = stripNoEtag<ObjectRecord>(doc);
          out.set(record.objectId, record);
        }
      }
      return out;
    });
  }

  async listObjects(tenantId: string, query: ObjectListQuery): Promise<Page<ObjectRecord>> {
    const limit = clampLimit(query.limit, 50, 1000);
    const sort = query.sort ?? 'name';
    const fields = SORT_FIELDS[sort];
    if (!fields) throw new StoreInputError(`sort: '${String(sort)}' is not one of name, id, lastChange`);
    const desc = query.descending === true;
    const kind = `objects:${sort}:${desc ? 'desc' : 'asc'}`;
    const where = ['c.tenantId = @tenantId'];
    const values: Record<string, unknown> = { n: limit + 1, tenantId };
    if (query.type) {
      where.push('c.objectType = @type');
      values.type = query.type;
    }
    const deleted = query.deleted ?? 'all';
    if (deleted !== 'all') {
      where.push('c.deleted = @deleted');
      values.deleted = deleted === 'deleted';
    }
    const term = normalizeSearchTerm(query.search);
    if (term) {
      // searchText has '\n' before each key: '\n' + a short term matches the start of a key.
      where.push('CONTAINS(c.searchText, @needle)');
      values.needle = searchNeedle(term);
    }
    if (query.continuation) {
      const position = decodeContinuation(kind, query.continuation);
      fields.forEach((_, i) => {
        values[`k${i}`] = positionString(position, i);
      });
      where.push(keysetCondition(fields, desc));
    }
    const order = fields.map((f) => `c.${f} ${desc ? 'DESC' : 'ASC'}`).join(', ');
    return this.guard(async () => {
      const docs = await this.query(
        'objects',
        `SELECT TOP @n * FROM c WHERE ${where.join(' AND ')} ORDER BY ${order}`,
        values,
        tenantId,
      );
      const more = docs.length > limit;
      const page = more ? docs.slice(0, limit) : docs;
      const last = page[page.length - 1];
      return {
        items: page.map((d) => stripNoEtag<ObjectRecord>(d)),
        ...(more && last
          ? {
              continuation: encodeContinuation(
                kind,
                fields.map((f) => String(last[f])),
              ),
            }
          : {}),
      };
    });
  }

  async *listLiveObjectIds(tenantId: string, objectType: ObjectType): AsyncIterable<string[]> {
    let after = '';
    for (;;) {
      const ids = await this.guard(() =>
        this.query<string>(
          'objects',
          `SELECT TOP 1000 VALUE c.objectId FROM c WHERE c.tenantId = @tenantId AND c.objectType = @objectType
             AND c.deleted = false AND c.objectId > @after ORDER BY c.objectId`,
          { tenantId, objectType, after },
          tenantId,
        ),
      );
      if (ids.length === 0) return;
      yield ids;
      if (ids.length < 1000) return;
      after = ids[ids.length - 1];
    }
  }

  async countObjects(
    tenantId: string,
  ): Promise<Partial<Record<ObjectType, { live: number; deleted: number }>>> {
    return this.guard(async () => {
      const out: Partial<Record<ObjectType, { live: number; deleted: number }>> = {};
      // One COUNT per type and state (no GROUP BY on every Cosmos-protocol server).
      await Promise.all(
        OBJECT_TYPES.map(async (type) => {
          const count = async (deleted: boolean) => {
            const [n] = await this.query<number>(
              'objects',
              'SELECT VALUE COUNT(1) FROM c WHERE c.tenantId = @tenantId AND c.objectType = @type AND c.deleted = @deleted',
              { tenantId, type, deleted },
              tenantId,
            );
            return n ?? 0;
          };
          const [live, deleted] = await Promise.all([count(false), count(true)]);
          if (live + deleted > 0) out[type] = { live, deleted };
        }),
      );
      return Object.fromEntries(OBJECT_TYPES.filter((t) => out[t]).map((t) => [t, out[t]]));
    });
  }

  // ------------------------------------------------------------ backup pages and history

  async commitPage(tenantId: string, page: PageCommit): Promise<RunRecord | undefined> {
    const versions = page.versions.map((v) => normalizeVersion(assertTenant(tenantId, v, 'version')));
    const objects = page.objects.map((o) => normalizeObject(assertTenant(tenantId, o, 'object')));
    const edges = page.edgesAdded.map((e) => normalizeEdge(assertTenant(tenantId, e, 'edge')));
    const removed = page.edgesRemoved.map((r) => ({
      edgeId: r.edgeId,
      removedAt: toIso(r.removedAt, 'removedAt'),
    }));
    const run = page.run ? normalizeRun(assertTenant(tenantId, page.run, 'run')) : undefined;
    const roundState = page.roundState ? normalizeRoundState(page.roundState, page.run?.runId) : undefined;
    const roundStateDone = page.roundStateDone
      ? normalizeRoundStateDone(page.roundStateDone, page.run?.runId)
      : undefined;

    return this.guard(async () => {
      // 1. Versions (deterministic ids: an upsert of a replayed version writes the same bytes).
      const byObject = groupBy(versions, (v) => objectKey(tenantId, v.objectId));
      await mapLimit([...byObject.entries()], WRITE_CONCURRENCY, async ([key, list]) => {
        await this.batch('versions', key, () =>
          list.map((v) => ({
            operationType: 'Upsert' as const,
            resourceBody: asJson({ ...v, id: safeId(v.versionId), objectKey: key }),
          })),
        );
      });
      // 2. Objects: the tenant's partition, 100 per batch.
      if (objects.length > 0) {
        await this.batch('objects', tenantId, () =>
          objects.map((o) => ({ operationType: 'Upsert' as const, resourceBody: asJson(this.objectDoc(o)) })),
        );
      }
      // 3. Edges added: create (a replay must not reopen an edge closed since).
      const bySource = groupBy(edges, (e) => objectKey(tenantId, e.sourceId));
      await mapLimit([...bySource.entries()], WRITE_CONCURRENCY, async ([key, list]) => {
        const docs = list.map((e) => ({ ...e, id: safeId(e.edgeId), objectKey: key }));
        const statuses = await this.batch('edges', key, () =>
          docs.map((d) => ({ operationType: 'Create' as const, resourceBody: asJson(d) })),
        );
        if (statuses.every((s) => s < 400)) return;
        // Some existed already (a replay): create one by one, ignoring the ones that exist.
        for (const d of docs) {
          try {
            await this.c('edges').items.create(d);
          } catch (err) {
            if (cosmosStatus(err) !== 409) throw err;
          }
        }
      });
      // 4. Edges removed: set removedAt unless an earlier removal is recorded.
      await mapLimit(removed, WRITE_CONCURRENCY, async (r) => {
        const key = objectKey(tenantId, edgeSourceId(r.edgeId));
        const doc = await this.readDoc('edges', safeId(r.edgeId), key);
        if (!doc || doc.tenantId !== tenantId) return;
        if (typeof doc.removedAt === 'string' && doc.removedAt <= r.removedAt) return;
        await this.c('edges')
          .item(String(doc.id), key)
          .patch([{ op: 'set', path: '/removedAt', value: r.removedAt }]);
      });
      // 5. The round's state chunk: before the checkpoint that counts it.
      if (roundState) await writeRoundState(this.c('settings'), tenantId, roundState);
      // 6. The checkpoint, last.
      if (!run) return undefined;
      const doc: Doc = { ...run, id: safeId(run.runId) };
      const written = page.run?.etag
        ? await this.replaceIfMatch(
            'runs',
            doc,
            tenantId,
            page.run.etag,
            `run ${run.runId} of tenant ${tenantId}`,
          )
        : await this.upsert('runs', doc);
      // 7. A done round's chunks, once the checkpoint no longer counts them. The page is
      // committed: a failure here leaves chunks that the run's end (or retention) removes.
      if (roundStateDone) {
        const { runId, stream } = roundStateDone;
        await deleteRoundState(this.c('settings'), tenantId, runId, stream).catch(() => 0);
      }
      return strip<RunRecord>(written);
    });
  }

  readRoundState(
    tenantId: string,
    runId: string,
    stream: string,
    pages: number,
  ): AsyncIterable<RoundStateChunk> {
    const container = this.c('settings');
    const guard = <T>(fn: () => Promise<T>) => this.guard(fn);
    return {
      async *[Symbol.asyncIterator]() {
        const it = readRoundState(container, tenantId, runId, stream, pages)[Symbol.asyncIterator]();
        for (;;) {
          const next = await guard(() => it.next());
          if (next.done) return;
          yield next.value;
        }
      },
    };
  }

  async deleteRoundState(tenantId: string, runId: string, stream?: string): Promise<number> {
    return this.guard(() => deleteRoundState(this.c('settings'), tenantId, runId, stream));
  }

  async listVersions(tenantId: string, objectId: string, limit?: number): Promise<VersionRecord[]> {
    const n = clampLimit(limit, 1000, 100_000);
    const key = objectKey(tenantId, objectId);
    return this.guard(async () =>
      (
        await this.query(
          'versions',
          `SELECT TOP @n * FROM c WHERE c.objectKey = @key AND c.tenantId = @tenantId
           ORDER BY c.capturedAt DESC, c.versionId DESC`,
          { n, key, tenantId },
          key,
        )
      ).map((d) => stripNoEtag<VersionRecord>(d)),
    );
  }

  async newestBackupVersions(tenantId: string, objectIds: string[]): Promise<Map<string, VersionHead>> {
    if (objectIds.length === 0) return new Map();
    return this.guard(async () =>
      newestHeads(
        // One query across the objects' partitions: metadata only, never the content.
        await this.query<VersionHead & { source?: unknown }>(
          'versions',
          `SELECT c.objectType, c.objectId, c.versionId, c.capturedAt, c.hash, c.source FROM c
           WHERE c.tenantId = @tenantId AND ARRAY_CONTAINS(@ids, c.objectId)`,
          { tenantId, ids: [...new Set(objectIds)] },
        ),
      ),
    );
  }

  async getVersion(
    tenantId: string,
    objectId: string,
    versionId: string,
  ): Promise<VersionRecord | undefined> {
    return this.guard(async () => {
      const doc = await this.readDoc('versions', safeId(versionId), objectKey(tenantId, objectId));
      return doc && doc.tenantId === tenantId ? stripNoEtag<VersionRecord>(doc) : undefined;
    });
  }

  async getVersionAt(tenantId: string, objectId: string, at: string): Promise<VersionRecord | undefined> {
    const atIso = toIso(at, 'at');
    const key = objectKey(tenantId, objectId);
    return this.guard(async () => {
      const [doc] = await this.query(
        'versions',
        `SELECT TOP 1 * FROM c WHERE c.objectKey = @key AND c.tenantId = @tenantId AND c.capturedAt <= @at
         ORDER BY c.capturedAt DESC, c.versionId DESC`,
        { key, tenantId, at: atIso },
        key,
      );
      return doc ? stripNoEtag<VersionRecord>(doc) : undefined;
    });
  }

  async listChanges(
    tenantId: string,
    query: { from: string; to: string; types?: ObjectType[]; limit?: number; continuation?: string },
  ): Promise<Page<VersionRecord>> {
    const limit = clampLimit(query.limit, 100, 1000);
    const where = ['c.tenantId = @tenantId', 'c.capturedAt > @from', 'c.capturedAt <= @to'];
    const values: Record<string, unknown> = {
      n: limit + 1,
      tenantId,
      from: toIso(query.from, 'from'),
      to: toIso(query.to, 'to'),
    };
    if (query.types && query.types.length > 0) {
      where.push('ARRAY_CONTAINS(@types, c.objectType)');
      values.types = query.types;
    }
    const fields = ['capturedAt', 'objectId', 'versionId'];
    if (query.continuation) {
      const p = decodeContinuation('changes', query.continuation);
      fields.forEach((_, i) => {
        values[`k${i}`] = positionString(p, i);
      });
      where.push(keysetCondition(fields, false));
    }
    return this.guard(async () => {
      // Cross-partition (versions are partitioned per object), still filtered on the tenant.
      const docs = await this.query(
        'versions',
        `SELECT TOP @n * FROM c WHERE ${where.join(' AND ')} ORDER BY c.capturedAt, c.objectId, c.versionId`,
        values,
      );
      const more = docs.length > limit;
      const items = (more ? docs.slice(0, limit) : docs).map((d) => stripNoEtag<VersionRecord>(d));
      const last = items[items.length - 1];
      return {
        items,
        ...(more && last
          ? { continuation: encodeContinuation('changes', [last.capturedAt, last.objectId, last.versionId]) }
          : {}),
      };
    });
  }

  async listAliveEdgesOfSources(tenantId: string, sourceIds: string[]): Promise<EdgeRecord[]> {
    if (sourceIds.length === 0) return [];
    return this.guard(async () =>
      (
        await this.query(
          'edges',
          `SELECT * FROM c WHERE c.tenantId = @tenantId AND ARRAY_CONTAINS(@ids, c.sourceId) AND IS_NULL(c.removedAt)`,
          { tenantId, ids: [...new Set(sourceIds)] },
        )
      ).map((d) => stripNoEtag<EdgeRecord>(d)),
    );
  }

  async listEdges(tenantId: string, query: EdgeQuery): Promise<EdgeRecord[]> {
    const where = ['c.tenantId = @tenantId'];
    const values: Record<string, unknown> = { tenantId };
    let partitionKey: string | undefined;
    if (query.sourceId !== undefined) {
      partitionKey = objectKey(tenantId, query.sourceId);
      where.push('c.objectKey = @key');
      values.key = partitionKey;
    }
    if (query.targetId !== undefined) {
      where.push('c.targetId = @targetId');
      values.targetId = query.targetId;
    }
    if (query.kind !== undefined) {
      where.push('c.kind = @kind');
      values.kind = query.kind;
    }
    if (!query.history) {
      if (query.at !== undefined) {
        where.push('c.addedAt <= @at AND (IS_NULL(c.removedAt) OR c.removedAt > @at)');
        values.at = toIso(query.at, 'at');
      } else {
        where.push('IS_NULL(c.removedAt)');
      }
    }
    return this.guard(async () =>
      (
        await this.query(
          'edges',
          `SELECT * FROM c WHERE ${where.join(' AND ')} ORDER BY c.addedAt, c.id`,
          values,
          partitionKey,
        )
      ).map((d) => stripNoEtag<EdgeRecord>(d)),
    );
  }

  async pruneVersions(tenantId: string, before: string): Promise<number> {
    const beforeIso = toIso(before, 'before');
    return this.guard(async () => {
      const candidates = await this.query<{
        id: string;
        objectKey: string;
        capturedAt: string;
        versionId: string;
      }>(
        'versions',
        `SELECT c.id, c.objectKey, c.capturedAt, c.versionId FROM c
         WHERE c.tenantId = @tenantId AND c.capturedAt <= @before`,
        { tenantId, before: beforeIso },
      );
      const doomed: { id: string; key: string }[] = [];
      for (const [key, list] of groupBy(candidates, (v) => v.objectKey)) {
        // Keep the newest at or before `before` (the state then); older ones go.
        list.sort((a, b) =>
          a.capturedAt === b.capturedAt
            ? b.versionId.localeCompare(a.versionId)
            : b.capturedAt.localeCompare(a.capturedAt),
        );
        for (const v of list.slice(1)) if (v.capturedAt < beforeIso) doomed.push({ id: v.id, key });
      }
      const edges = await this.query<{ id: string; objectKey: string }>(
        'edges',
        `SELECT c.id, c.objectKey FROM c WHERE c.tenantId = @tenantId AND IS_STRING(c.removedAt)
           AND c.removedAt < @before`,
        { tenantId, before: beforeIso },
      );
      let deleted = 0;
      const remove = async (container: ContainerName, id: string, key: string) => {
        try {
          await this.c(container).item(id, key).delete();
          deleted += 1;
        } catch (err) {
          if (cosmosStatus(err) !== 404) throw err;
        }
      };
      await mapLimit(doomed, WRITE_CONCURRENCY, (d) => remove('versions', d.id, d.key));
      await mapLimit(edges, WRITE_CONCURRENCY, (e) => remove('edges', e.id, e.objectKey));
      // Round state a crash left behind: its run is no longer running (never resumed).
      await pruneRoundState(this.c('settings'), tenantId, async (runId) => {
        const run = await this.readDoc('runs', safeId(runId), tenantId);
        return run?.status === 'queued' || run?.status === 'running';
      });
      return deleted;
    });
  }

  // ------------------------------------------------------------ runs

  async createRun(run: RunRecord): Promise<RunRecord> {
    const record = normalizeRun(run);
    return this.guard(async () => {
      try {
        const { resource } = await this.c('runs').items.create<Doc>({ ...record, id: safeId(record.runId) });
        if (!resource) throw new Error(`Cosmos DB returned no document for run ${record.runId}`);
        return strip<RunRecord>(resource);
      } catch (err) {
        if (cosmosStatus(err) === 409) {
          throw new StoreConflictError(`run ${record.runId} of tenant ${record.tenantId} already exists`);
        }
        throw err;
      }
    });
  }

  async getRun(tenantId: string, runId: string): Promise<RunRecord | undefined> {
    return this.guard(async () => {
      const doc = await this.readDoc('runs', safeId(runId), tenantId);
      return doc ? strip<RunRecord>(doc) : undefined;
    });
  }

  async updateRun(run: RunRecord, ifMatch: string): Promise<RunRecord> {
    const record = normalizeRun(run);
    return this.guard(async () =>
      strip<RunRecord>(
        await this.replaceIfMatch(
          'runs',
          { ...record, id: safeId(record.runId) },
          record.tenantId,
          ifMatch,
          `run ${record.runId} of tenant ${record.tenantId}`,
        ),
      ),
    );
  }

  async listRuns(tenantId: string, query?: { limit?: number; status?: RunStatus[] }): Promise<RunRecord[]> {
    const n = clampLimit(query?.limit, 50, 10_000);
    const values: Record<string, unknown> = { n, tenantId };
    let filter = '';
    if (query?.status && query.status.length > 0) {
      filter = 'AND ARRAY_CONTAINS(@status, c.status)';
      values.status = query.status;
    }
    return this.guard(async () =>
      (
        await this.query(
          'runs',
          `SELECT TOP @n * FROM c WHERE c.tenantId = @tenantId ${filter} ORDER BY c.createdAt DESC, c.runId DESC`,
          values,
          tenantId,
        )
      ).map((d) => strip<RunRecord>(d)),
    );
  }

  async listClaimableRuns(now: string, limit: number): Promise<RunRecord[]> {
    const n = clampLimit(limit, 10, 1000);
    return this.guard(async () =>
      (
        await this.query(
          'runs',
          `SELECT TOP @n * FROM c
           WHERE (c.status = 'queued' AND c.dueAt <= @now)
              OR (c.status = 'running' AND (NOT IS_DEFINED(c.lease) OR IS_NULL(c.lease) OR c.lease.expiresAt <= @now))
           ORDER BY c.dueAt, c.runId`,
          { n, now: toIso(now, 'now') },
        )
      ).map((d) => strip<RunRecord>(d)),
    );
  }

  // ------------------------------------------------------------ restores

  async putRestore(restore: RestoreRecord, ifMatch?: string): Promise<RestoreRecord> {
    const record = normalizeRestore(restore);
    const doc: Doc = { ...record, id: safeId(record.restoreId) };
    return this.guard(async () =>
      strip<RestoreRecord>(
        ifMatch === undefined
          ? await this.upsert('restores', doc)
          : await this.replaceIfMatch(
              'restores',
              doc,
              record.tenantId,
              ifMatch,
              `restore ${record.restoreId} of tenant ${record.tenantId}`,
            ),
      ),
    );
  }

  async getRestore(tenantId: string, restoreId: string): Promise<RestoreRecord | undefined> {
    return this.guard(async () => {
      const doc = await this.readDoc('restores', safeId(restoreId), tenantId);
      return doc ? strip<RestoreRecord>(doc) : undefined;
    });
  }

  async listRestores(
    tenantId: string,
    query?: { status?: RestoreStatus[]; limit?: number },
  ): Promise<RestoreRecord[]> {
    const n = clampLimit(query?.limit, 50, 10_000);
    const values: Record<string, unknown> = { n, tenantId };
    let filter = '';
    if (query?.status && query.status.length > 0) {
      filter = 'AND ARRAY_CONTAINS(@status, c.status)';
      values.status = query.status;
    }
    return this.guard(async () =>
      (
        await this.query(
          'restores',
          `SELECT TOP @n * FROM c WHERE c.tenantId = @tenantId ${filter}
           ORDER BY c.requestedAt DESC, c.restoreId DESC`,
          values,
          tenantId,
        )
      ).map((d) => strip<RestoreRecord>(d)),
    );
  }

  async listClaimableRestores(now: string, limit: number): Promise<RestoreRecord[]> {
    const n = clampLimit(limit, 10, 1000);
    return this.guard(async () =>
      (
        await this.query(
          'restores',
          `SELECT TOP @n * FROM c
           WHERE c.status = 'approved'
              OR (c.status = 'running' AND (NOT IS_DEFINED(c.lease) OR IS_NULL(c.lease) OR c.lease.expiresAt <= @now))
           ORDER BY c.requestedAt, c.restoreId`,
          { n, now: toIso(now, 'now') },
        )
      ).map((d) => strip<RestoreRecord>(d)),
    );
  }

  // ------------------------------------------------------------ audit

  async appendAudit(input: AuditInput): Promise<AuditEntry> {
    const tenantId = input.tenantId;
    return this.guard(async () => {
      if (input.onceKey !== undefined) {
        // A keyed entry is repeated only by a worker resuming another's work (under a lease),
        // never concurrently, so reading before appending is enough.
        const [done] = await this.query<AuditEntry & Doc>(
          'audit',
          `SELECT * FROM c WHERE c.tenantId = @tenantId AND c.docType = 'entry' AND c.onceKey = @key`,
          { tenantId, key: input.onceKey },
          tenantId,
        );
        if (done) return stripNoEtag<AuditEntry>(done);
      }
      // The entry's id is its seq: two writers racing for one seq get one 201 and one 409, and
      // the loser re-reads the tail and tries the next seq. The chain stays linear.
      for (let attempt = 0; attempt < 200; attempt += 1) {
        const [tail] = await this.query<{ seq: number; hash: string }>(
          'audit',
          `SELECT TOP 1 c.seq, c.hash FROM c WHERE c.tenantId = @tenantId AND c.docType = 'entry' ORDER BY c.seq DESC`,
          { tenantId },
          tenantId,
        );
        const seq = tail ? tail.seq + 1 : 1;
        const body: Omit<AuditEntry, 'hash'> = {
          tenantId,
          actor: input.actor,
          action: input.action,
          ...(input.target === undefined ? {} : { target: input.target }),
          ...(input.details === undefined ? {} : { details: input.details }),
          ...(input.onceKey === undefined ? {} : { onceKey: input.onceKey }),
          seq,
          at: this.nowIso(),
          prevHash: tail ? tail.hash : GENESIS_HASH,
        };
        const entry: AuditEntry = { ...body, hash: auditHash(body) };
        try {
          await this.c('audit').items.create({ ...entry, id: `entry-${seq}`, docType: 'entry' });
        } catch (err) {
          if (cosmosStatus(err) === 409) {
            await new Promise((r) => setTimeout(r, Math.random() * 20));
            continue;
          }
          throw err;
        }
        await this.advanceAuditHead(tenantId, seq, entry.hash);
        return entry;
      }
      throw new StoreConflictError(
        `audit chain of tenant ${tenantId}: too much contention, entry not appended`,
      );
    });
  }

  /** Moves the head forward (never back), with compare-and-swap. */
  private async advanceAuditHead(tenantId: string, seq: number, hash: string): Promise<void> {
    for (let attempt = 0; attempt < 50; attempt += 1) {
      const head = await this.readDoc('audit', AUDIT_HEAD_ID, tenantId);
      if (head && Number(head.seq) >= seq) return;
      const doc: Doc = { id: AUDIT_HEAD_ID, tenantId, docType: 'head', seq, hash };
      try {
        if (head) {
          await this.c('audit')
            .item(AUDIT_HEAD_ID, tenantId)
            .replace(doc, { accessCondition: { type: 'IfMatch', condition: String(head._etag) } });
        } else {
          await this.c('audit').items.create(doc);
        }
        return;
      } catch (err) {
        const status = cosmosStatus(err);
        if (status !== 412 && status !== 409) throw err;
      }
    }
  }

  async listAudit(
    tenantId: string,
    query?: { actorId?: string; action?: string; limit?: number; continuation?: string },
  ): Promise<Page<AuditEntry>> {
    const limit = clampLimit(query?.limit, 50, 1000);
    const where = ['c.tenantId = @tenantId', "c.docType = 'entry'"];
    const values: Record<string, unknown> = { n: limit + 1, tenantId };
    if (query?.actorId !== undefined) {
      where.push('c.actor.objectId = @actorId');
      values.actorId = query.actorId;
    }
    if (query?.action !== undefined) {
      if (query.action.endsWith('*')) {
        where.push('STARTSWITH(c.action, @prefix)');
        values.prefix = query.action.slice(0, -1);
      } else {
        where.push('c.action = @action');
        values.action = query.action;
      }
    }
    if (query?.continuation) {
      where.push('c.seq < @before');
      values.before = positionNumber(decodeContinuation('audit', query.continuation), 0);
    }
    return this.guard(async () => {
      const docs = await this.query(
        'audit',
        `SELECT TOP @n * FROM c WHERE ${where.join(' AND ')} ORDER BY c.seq DESC`,
        values,
        tenantId,
      );
      const more = docs.length > limit;
      const items = (more ? docs.slice(0, limit) : docs).map((d) => stripNoEtag<AuditEntry>(d));
      const last = items[items.length - 1];
      return { items, ...(more && last ? { continuation: encodeContinuation('audit', [last.seq]) } : {}) };
    });
  }

  async *readAuditChain(tenantId: string): AsyncIterable<AuditEntry> {
    let after = 0;
    for (;;) {
      const docs = await this.guard(() =>
        this.query(
          'audit',
          `SELECT TOP 500 * FROM c WHERE c.tenantId = @tenantId AND c.docType = 'entry' AND c.seq > @after
           ORDER BY c.seq`,
          { tenantId, after },
          tenantId,
        ),
      );
      for (const doc of docs) yield stripNoEtag<AuditEntry>(doc);
      if (docs.length < 500) return;
      after = Number(docs[docs.length - 1].seq);
    }
  }

  async readAuditHead(tenantId: string): Promise<{ seq: number; hash: string } | undefined> {
    return this.guard(async () => {
      const doc = await this.readDoc('audit', AUDIT_HEAD_ID, tenantId);
      return doc ? { seq: Number(doc.seq), hash: String(doc.hash) } : undefined;
    });
  }
}
