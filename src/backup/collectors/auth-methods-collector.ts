// Users' authentication method metadata (which methods, phone numbers, device names; never
// secrets: canonicalization drops secret fields). Read for the users this run changed, and
// for every user on a full run. Stored as one object per user: `<userId>/authenticationMethods`.
// Users are read in id order and the checkpoint names the last one committed: a resumed stream
// continues after it.
import type { GraphObject } from '../../domain.ts';
import type { CollectedPage, CollectorContext, ObjectChange } from './collector.ts';
import { markRestart, startedStream } from './round-state.ts';

/** Users per committed page (5 $batch requests). */
const USERS_PER_PAGE = 100;

export function authMethodsObjectId(userId: string): string {
  return `${userId}/authenticationMethods`;
}

export function userIdOfAuthMethods(objectId: string): string {
  return objectId.replace(/\/authenticationMethods$/, '');
}

type Method = Record<string, unknown> & { id?: string };

export async function* authMethodsCollector(c: CollectorContext): AsyncIterable<CollectedPage> {
  const fullSync = c.run.kind === 'full';
  // A resumed stream continues after the last user committed (users are read in id order);
  // its tombstones committed, only the end remains.
  const after = c.start.done ? undefined : c.start.after;
  if (c.start.reconciling && after !== undefined) {
    yield { changes: [], edges: [], cursor: { done: true, fullSync } };
    return;
  }
  const { live, gone } = await usersToRead(c);
  live.sort();
  const from = after === undefined ? 0 : firstAfter(live, after);
  const first = markRestart(after === undefined && startedStream(c.start));
  let last = after;
  for (let i = from; i < live.length; i += USERS_PER_PAGE) {
    const ids = live.slice(i, i + USERS_PER_PAGE);
    last = ids[ids.length - 1];
    const page = await readPage(c, ids, { fullSync, after: last });
    yield first(page);
  }
  const changes: ObjectChange[] = gone.map((userId) => ({
    type: 'authenticationMethods',
    id: authMethodsObjectId(userId),
    deleted: 'hard',
    reconciled: true,
  }));
  if (changes.length)
    yield first({ changes, edges: [], cursor: { fullSync, after: last ?? '', reconciling: true } });
  yield first({ changes: [], edges: [], cursor: { done: true, fullSync } });
}

/** Index of the first id in sorted `ids` greater than `after`. */
function firstAfter(ids: string[], after: string): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ids[mid] <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Users whose methods to read now, and users gone whose method records get a tombstone. */
async function usersToRead(c: CollectorContext): Promise<{ live: string[]; gone: string[] }> {
  const { store } = c.ctx;
  if (c.run.kind === 'full') {
    const live: string[] = [];
    for await (const ids of store.listLiveObjectIds(c.tenantId, 'user')) live.push(...ids);
    const liveSet = new Set(live);
    const gone: string[] = [];
    for await (const ids of store.listLiveObjectIds(c.tenantId, 'authenticationMethods')) {
      for (const id of ids) if (!liveSet.has(userIdOfAuthMethods(id))) gone.push(userIdOfAuthMethods(id));
    }
    return { live, gone };
  }
  // Incremental: the users this run wrote a version for (persisted, so a resumed run finds them).
  const live = new Set<string>();
  const gone = new Set<string>();
  const from = new Date(Date.parse(c.run.startedAt ?? c.run.createdAt) - 1).toISOString();
  const to = new Date(c.ctx.now().getTime() + 86_400_000).toISOString();
  let continuation: string | undefined;
  do {
    const page = await store.listChanges(c.tenantId, {
      from,
      to,
      types: ['user'],
      limit: 1000,
      continuation,
    });
    for (const v of page.items) {
      if (v.runId !== c.run.runId) continue;
      if (v.deleted) {
        gone.add(v.objectId);
        live.delete(v.objectId);
      } else {
        live.add(v.objectId);
        gone.delete(v.objectId);
      }
    }
    continuation = page.continuation;
  } while (continuation);
  return { live: [...live], gone: [...gone] };
}

async function readPage(
  c: CollectorContext,
  userIds: string[],
  cursor: CollectedPage['cursor'],
): Promise<CollectedPage> {
  const users = await c.ctx.store.getObjects(c.tenantId, 'user', userIds);
  const answers = await c.client.batch(
    userIds.map((id, i) => ({
      id: String(i),
      method: 'GET' as const,
      url: `/users/${id}/authentication/methods`,
    })),
  );
  const changes: ObjectChange[] = [];
  const failed: NonNullable<CollectedPage['failed']> = [];
  for (let i = 0; i < userIds.length; i++) {
    const userId = userIds[i];
    const answer = answers[i];
    const id = authMethodsObjectId(userId);
    if (answer.status === 404) {
      changes.push({ type: 'authenticationMethods', id, deleted: 'hard' });
      continue;
    }
    const body = (answer.body ?? {}) as { value?: Method[]; error?: { code?: string; message?: string } };
    if (answer.status !== 200 || !Array.isArray(body.value)) {
      failed.push({
        type: 'authenticationMethods',
        id,
        code: body.error?.code ?? `HTTP_${answer.status}`,
        message: `reading authentication methods of user ${userId}: ${body.error?.message ?? `status ${answer.status}`}`,
        requestId: answer.headers?.['request-id'],
      });
      continue;
    }
    // The method's kind lives in @odata.type, which canonicalization drops: keep it as a field.
    const methods = body.value
      .map((m) => ({ ...m, methodType: String(m['@odata.type'] ?? '').replace('#microsoft.graph.', '') }))
      .sort((a, b) => String(a.id).localeCompare(String(b.id)));
    const upn = users.get(userId)?.summary.userPrincipalName;
    const object: GraphObject = {
      id,
      userId,
      ...(typeof upn === 'string' ? { userPrincipalName: upn, displayName: upn } : {}),
      methodTypes: [...new Set(methods.map((m) => m.methodType))].sort(),
      methods,
    };
    changes.push({ type: 'authenticationMethods', id, object });
  }
  return { changes, edges: [], failed, cursor };
}
