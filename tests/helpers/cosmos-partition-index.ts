// Makes the Cosmos-protocol test server serve a query sent with a partition key (header
// x-ms-documentdb-partitionkey) from that partition alone, as Cosmos DB does. Unpatched,
// @vercel/cosmosdb-server evaluates every query over the whole container, so a test with many
// tenants slows with the square of their number. Results are unchanged: the product's queries
// all filter on the partition key too. The SDK's query-plan requests (one before each query,
// with no partition key) are evaluated over no documents: their answer is not used. Must be
// imported before '@vercel/cosmosdb-server' (its routes table captures the query handler when
// it loads).
import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface StoredItem {
  read(): Record<string, unknown> | null;
}
interface QueryParams {
  query: string;
  parameters?: unknown;
}
interface QueryOptions {
  maxItemCount?: number;
  continuation?: unknown;
}
interface ItemsInternals {
  _data: Map<string, StoredItem>;
  _byPartition?: Map<string, Map<string, StoredItem>>;
  _getPartition(data: Record<string, unknown>): unknown;
  _set(data: Record<string, unknown>): Record<string, unknown>;
  delete(idOrRid: string, partition?: unknown): void;
  _item(keyPath: string, value: unknown, partition: unknown): StoredItem;
  query(params: QueryParams, options: QueryOptions): unknown;
}
type ItemsClass = { prototype: ItemsInternals };
type Handler = (
  account: unknown,
  req: IncomingMessage,
  res: ServerResponse,
  params: Record<string, string>,
) => Promise<unknown>;

const NO_DOCUMENTS = Symbol('no documents');
/** The partition key of the query request being served (NO_DOCUMENTS: a query-plan request). */
const requestPartition = new AsyncLocalStorage<string | typeof NO_DOCUMENTS | undefined>();
const PATCHED = Symbol.for('entra-backup.cosmos-partition-index');
const itemsModule = require('@vercel/cosmosdb-server/lib/account/items.js') as {
  default: ItemsClass & { [PATCHED]?: true };
};
const Items = itemsModule.default;

if (!Items[PATCHED]) {
  Items[PATCHED] = true;
  const proto = Items.prototype;
  const originalSet = proto._set;
  const originalDelete = proto.delete;
  const originalQuery = proto.query;
  const key = (partition: unknown) => JSON.stringify(partition ?? null);
  const partitionOf = (self: ItemsInternals, p: unknown) => {
    self._byPartition ??= new Map();
    let map = self._byPartition.get(key(p));
    if (!map) {
      map = new Map();
      self._byPartition.set(key(p), map);
    }
    return map;
  };

  proto._set = function (this: ItemsInternals, data) {
    const stored = originalSet.call(this, data);
    const rid = String(stored._rid);
    const item = this._data.get(rid);
    if (item) partitionOf(this, this._getPartition(stored)).set(rid, item);
    return stored;
  };
  proto.delete = function (this: ItemsInternals, idOrRid, partition) {
    const data = this._item('/id', idOrRid, partition).read();
    originalDelete.call(this, idOrRid, partition);
    if (data) this._byPartition?.get(key(this._getPartition(data)))?.delete(String(data._rid));
  };
  proto.query = function (this: ItemsInternals, params, options) {
    const partition = requestPartition.getStore();
    if (partition === undefined) return originalQuery.call(this, params, options);
    // Swap in the partition's items for this one (synchronous) evaluation.
    const all = this._data;
    this._data =
      partition === NO_DOCUMENTS ? new Map() : (this._byPartition?.get(key(partition)) ?? new Map());
    try {
      return originalQuery.call(this, params, options);
    } finally {
      this._data = all;
    }
  };

  const handlerModule = require('@vercel/cosmosdb-server/lib/handler/query-documents.js') as {
    default: Handler;
  };
  const queryDocuments = handlerModule.default;
  handlerModule.default = (account, req, res, params) => {
    // The SDK asks for a query plan before every query (fetchAll), without the partition key,
    // and uses the answer only if the query itself then fails for want of one. The stock server
    // answers a plan request by running the query over the whole container: run it over no
    // documents instead (syntax and index errors still show; the real query follows).
    if (String(req.headers['x-ms-cosmos-is-query-plan-request']).toLowerCase() === 'true')
      return requestPartition.run(NO_DOCUMENTS, () => queryDocuments(account, req, res, params));
    const header = req.headers['x-ms-documentdb-partitionkey'];
    const raw = Array.isArray(header) ? header[0] : header;
    let partition: string | undefined;
    try {
      const parsed: unknown = raw === undefined ? undefined : JSON.parse(raw);
      const value = Array.isArray(parsed) ? parsed[0] : parsed;
      if (typeof value === 'string') partition = value;
    } catch {
      // A malformed header is the stock handler's to reject.
    }
    return requestPartition.run(partition, () => queryDocuments(account, req, res, params));
  };
}
