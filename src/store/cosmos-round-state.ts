// A full round's state chunks on Cosmos DB: documents in the tenant's partition of the settings
// container (docType 'roundState', beside the settings and sync state), one per chunk, or
// several parts of one when the chunk is larger than a document may be (2 MB). The parts of a
// chunk are all written before the run's checkpoint counts it; a replay overwrites them (a
// part beyond the new part count is left over and never read: part 0 says how many there are).
import type { Container, ItemDefinition } from '@azure/cosmos';
import { safeId } from './cosmos-containers.ts';
import { cosmosStatus } from './cosmos-errors.ts';
import type { RoundStateChunk } from './store.ts';

export const ROUND_STATE_DOC = 'roundState';

/** Characters of a chunk per document part, well under the 2 MB document limit. */
export const ROUND_STATE_PART_CHARS = 1_500_000;
const MAX_PART_BYTES = 1_800_000;
/** Chunks read ahead of the caller while a resumed round rebuilds its state. */
const READ_AHEAD = 4;

interface PartDoc extends ItemDefinition {
  id: string;
  tenantId: string;
  docType: typeof ROUND_STATE_DOC;
  runId: string;
  stream: string;
  seq: number;
  part: number;
  parts: number;
  data: string;
}

function partId(runId: string, stream: string, seq: number, part: number): string {
  return safeId(`round|${runId}|${stream}|${seq}|${part}`);
}

/** Splits `data` into parts of at most MAX_PART_BYTES as JSON (escapes and UTF-8 counted). */
function splitParts(data: string): string[] {
  const parts: string[] = [];
  let at = 0;
  while (at < data.length || parts.length === 0) {
    let size = ROUND_STATE_PART_CHARS;
    let part = data.slice(at, at + size);
    while (size > 1 && Buffer.byteLength(JSON.stringify(part)) > MAX_PART_BYTES) {
      size = Math.floor(size / 2);
      part = data.slice(at, at + size);
    }
    // Never split a surrogate pair (the halves would not survive as JSON text).
    const last = part.charCodeAt(part.length - 1);
    if (part.length > 1 && last >= 0xd800 && last <= 0xdbff) part = part.slice(0, -1);
    parts.push(part);
    at += part.length;
  }
  return parts;
}

export async function writeRoundState(
  container: Container,
  tenantId: string,
  chunk: RoundStateChunk,
): Promise<void> {
  const parts = splitParts(chunk.data);
  // One at a time: a large chunk's parts are megabytes each.
  for (let part = 0; part < parts.length; part++) {
    const doc: PartDoc = {
      id: partId(chunk.runId, chunk.stream, chunk.seq, part),
      tenantId,
      docType: ROUND_STATE_DOC,
      runId: chunk.runId,
      stream: chunk.stream,
      seq: chunk.seq,
      part,
      parts: parts.length,
      data: parts[part],
    };
    await container.items.upsert(doc);
  }
}

async function readPart(container: Container, tenantId: string, id: string): Promise<PartDoc | undefined> {
  try {
    const { resource } = await container.item(id, tenantId).read<PartDoc>();
    return resource && resource.tenantId === tenantId && resource.docType === ROUND_STATE_DOC
      ? resource
      : undefined;
  } catch (err) {
    if (cosmosStatus(err) === 404) return undefined;
    throw err;
  }
}

/** The chunk at `seq`, or undefined when it (or one of its parts) is missing. */
async function readChunk(
  container: Container,
  tenantId: string,
  runId: string,
  stream: string,
  seq: number,
): Promise<RoundStateChunk | undefined> {
  const first = await readPart(container, tenantId, partId(runId, stream, seq, 0));
  if (!first) return undefined;
  let data = first.data;
  for (let part = 1; part < first.parts; part++) {
    const next = await readPart(container, tenantId, partId(runId, stream, seq, part));
    if (!next) return undefined;
    data += next.data;
  }
  return { runId, stream, seq, data };
}

export async function* readRoundState(
  container: Container,
  tenantId: string,
  runId: string,
  stream: string,
  pages: number,
): AsyncIterable<RoundStateChunk> {
  const ahead: Promise<RoundStateChunk | undefined>[] = [];
  let next = 0;
  const fill = () => {
    while (next < pages && ahead.length < READ_AHEAD) {
      const read = readChunk(container, tenantId, runId, stream, next++);
      read.catch(() => undefined); // observed when its turn comes
      ahead.push(read);
    }
  };
  for (;;) {
    fill();
    const head = ahead.shift();
    if (!head) return;
    const chunk = await head;
    if (chunk) yield chunk;
  }
}

/** Ids of the round-state documents of a tenant (of one run, optionally one stream). */
async function partIds(
  container: Container,
  tenantId: string,
  runId?: string,
  stream?: string,
): Promise<{ id: string; runId: string }[]> {
  let filter = 'c.tenantId = @tenantId AND c.docType = @docType';
  const parameters = [
    { name: '@tenantId', value: tenantId },
    { name: '@docType', value: ROUND_STATE_DOC },
  ];
  if (runId !== undefined) {
    filter += ' AND c.runId = @runId';
    parameters.push({ name: '@runId', value: runId });
  }
  if (stream !== undefined) {
    filter += ' AND c.stream = @stream';
    parameters.push({ name: '@stream', value: stream });
  }
  const { resources } = await container.items
    .query<{ id: string; runId: string }>(
      { query: `SELECT c.id, c.runId FROM c WHERE ${filter}`, parameters },
      { partitionKey: tenantId },
    )
    .fetchAll();
  return resources;
}

async function deleteIds(container: Container, tenantId: string, ids: string[]): Promise<number> {
  let deleted = 0;
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++];
      try {
        await container.item(id, tenantId).delete();
        deleted += 1;
      } catch (err) {
        if (cosmosStatus(err) !== 404) throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, ids.length) }, worker));
  return deleted;
}

export async function deleteRoundState(
  container: Container,
  tenantId: string,
  runId: string,
  stream?: string,
): Promise<number> {
  const ids = await partIds(container, tenantId, runId, stream);
  return deleteIds(
    container,
    tenantId,
    ids.map((d) => d.id),
  );
}

/** Deletes round state of the tenant's runs for which `stillRunning` says no. */
export async function pruneRoundState(
  container: Container,
  tenantId: string,
  stillRunning: (runId: string) => Promise<boolean>,
): Promise<number> {
  const docs = await partIds(container, tenantId);
  const verdict = new Map<string, boolean>();
  for (const d of docs) if (!verdict.has(d.runId)) verdict.set(d.runId, await stillRunning(d.runId));
  return deleteIds(
    container,
    tenantId,
    docs.filter((d) => !verdict.get(d.runId)).map((d) => d.id),
  );
}
