// The store contract. Two implementations (SQLite: sqlite-store.ts, Cosmos DB: cosmos-store.ts)
// pass the same contract suite (tests/store/contract.ts). Every method takes the tenant id
// first and reads or writes that tenant's data only: no method can reach another tenant.

import type {
  EdgeKind,
  GraphObject,
  ObjectType,
  Principal,
  RunError,
  RunKind,
  RunStatus,
  RunTrigger,
  TypeCounts,
} from '../domain.ts';

/** Thrown when an `ifMatch` etag no longer matches (compare-and-swap lost) or an id already exists. */
export class StoreConflictError extends Error {
  override readonly name = 'StoreConflictError';
}

/** Thrown when the store cannot be reached or its file is unreadable; carries a clear cause. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  readonly code = 'STORE_UNAVAILABLE';
}

export interface Page<T> {
  items: T[];
  /** Opaque; pass back to get the next page. Absent on the last page. */
  continuation?: string;
}

// ---------------------------------------------------------------- settings

export type AlertMode = 'failures' | 'every-run' | 'daily-digest';

/** A stored Bot Framework conversation reference (for proactive messages). */
export interface ConversationRef {
  conversationId: string;
  serviceUrl: string;
  channelId: string;
  /** 'channel' | 'personal' | 'groupChat' */
  conversationType: string;
  teamId?: string;
  botId?: string;
  installedBy?: string;
  installedAt: string;
}

export interface TenantSettings {
  tenantId: string;
  displayName?: string;
  /** Object types to back up. */
  scope: Record<ObjectType, boolean>;
  schedule: {
    /** Minutes between incremental runs (default 15). */
    incrementalMinutes: number;
    /** Cron expression (UTC) of the daily full reconciliation (default '0 2 * * *'). */
    fullCron: string;
    paused: boolean;
  };
  retentionDays: number;
  consent: {
    backupApp: { state: 'unknown' | 'granted' | 'refused'; at?: string; by?: string; error?: string };
    restoreApp: { state: 'unknown' | 'granted' | 'refused'; at?: string; by?: string; error?: string };
  };
  alerts: {
    mode: AlertMode;
    /** Minutes before a still-failing cause is posted again. */
    reminderMinutes: number;
    /** The default channel for approvals and alerts (a key of `conversations`). */
    channelConversationId?: string;
    /** When the last daily digest was posted (claimed with compare-and-swap on the settings). */
    lastDigestAt?: string;
  };
  approval: { approversNeeded: number; expiryHours: number };
  admins: {
    /** Object id of the tenant's admin group, if set. */
    groupId?: string;
    /** Directory role template ids whose holders are admins. */
    roleTemplateIds: string[];
  };
  /** Conversation references, keyed by conversation id. */
  conversations: Record<string, ConversationRef>;
  /** Restore policy. Absent = defaults (a new user's temporary password is shown to no one). */
  restore?: { revealTemporaryPasswords: boolean };
  createdAt: string;
  updatedAt: string;
  etag?: string;
}

/** Per-tenant incremental sync state: delta links and watermarks carried between runs. */
export interface SyncState {
  tenantId: string;
  /** Per sync stream (e.g. 'user', 'group', 'signIn'): a delta link, a watermark, etc. */
  streams: Record<string, { deltaLink?: string; watermark?: string; lastFullAt?: string }>;
  updatedAt: string;
  etag?: string;
}

// ---------------------------------------------------------------- objects and versions

/** Current state of one backed-up object: one small record per object, the search index. */
export interface ObjectRecord {
  tenantId: string;
  objectType: ObjectType;
  objectId: string;
  displayName: string;
  /** Lower-cased: display name, UPN, mail, mailNickname, id. */
  searchKeys: string[];
  /** Small subset for lists (userPrincipalName, mail, groupTypes…). */
  summary: Record<string, unknown>;
  deleted: boolean;
  deletedAt?: string;
  /** 'soft' = in Entra's recycle bin, 'hard' = gone for good. */
  deletionKind?: 'soft' | 'hard';
  latestVersionId: string;
  latestHash: string;
  firstSeenAt: string;
  lastChangedAt: string;
}

export interface VersionRecord {
  tenantId: string;
  objectType: ObjectType;
  objectId: string;
  /** Unique per object; deterministic (derived from capturedAt and hash) so a replayed commit is idempotent. */
  versionId: string;
  /** sha256 of the canonical JSON ('tombstone' hash for deletions). */
  hash: string;
  /** Canonical content; null for a tombstone. */
  content: GraphObject | null;
  deleted: boolean;
  deletionKind?: 'soft' | 'hard';
  capturedAt: string;
  runId: string;
  /** 'backup', or 'pre-restore' for the live state a restore replaced (makes undo possible). */
  source: 'backup' | 'pre-restore';
}

export interface EdgeRecord {
  tenantId: string;
  /** Deterministic: `${sourceId}|${kind}|${targetId}|${addedAt}`. */
  edgeId: string;
  sourceType: ObjectType;
  sourceId: string;
  kind: EdgeKind;
  targetId: string;
  /** '#microsoft.graph.user' style type of the target when known. */
  targetType?: string;
  attrs?: Record<string, unknown>;
  addedAt: string;
  removedAt: string | null;
  runId: string;
}

export interface EdgeQuery {
  sourceId?: string;
  targetId?: string;
  kind?: EdgeKind;
  /** Alive at this instant (addedAt ≤ at < removedAt). Absent = currently alive. */
  at?: string;
  /** Include removed edges (full history); ignores `at`. */
  history?: boolean;
}

/** One committed page of a backup: applied atomically per tenant where the store allows it. */
export interface PageCommit {
  versions: VersionRecord[];
  objects: ObjectRecord[];
  edgesAdded: EdgeRecord[];
  /** Edges closed: identified by edgeId, with removal time. */
  edgesRemoved: { edgeId: string; removedAt: string }[];
  /** The run's checkpoint, written last (after the data it covers). */
  run?: RunRecord;
  /**
   * Optional: a chunk of a full round's state (the ids and relationships the page's stream saw),
   * written with the page and before `run`: a resumed round rebuilds its state from the chunks
   * its checkpoint counts (readRoundState). Replaying a page overwrites its chunk.
   */
  roundState?: RoundStateChunk;
  /** Optional: a stream whose round is done: its chunks are deleted, after `run` is written. */
  roundStateDone?: { runId: string; stream: string };
}

/** A version without its content. */
export type VersionHead = Pick<
  VersionRecord,
  'objectType' | 'objectId' | 'versionId' | 'hash' | 'capturedAt'
>;

/** One page's share of a full round's state; `data` is opaque to the store (any string). */
export interface RoundStateChunk {
  runId: string;
  stream: string;
  /** The page's position in the round, from 0. */
  seq: number;
  data: string;
}

export interface ObjectListQuery {
  type?: ObjectType;
  /**
   * Case-insensitive prefix/substring on display name, UPN, mail, nickname and id: a term of 3+
   * characters matches anywhere in a key; a shorter one matches the start of a key or of a word
   * of the display name.
   */
  search?: string;
  /** 'live' (default: all), 'deleted' only, or 'all'. */
  deleted?: 'all' | 'live' | 'deleted';
  sort?: 'name' | 'id' | 'lastChange';
  descending?: boolean;
  limit?: number;
  continuation?: string;
}

// ---------------------------------------------------------------- runs

export interface RunRecord {
  tenantId: string;
  runId: string;
  kind: RunKind;
  status: RunStatus;
  trigger: RunTrigger;
  requestedBy?: Principal;
  /** Types to run; absent = the tenant's scope. */
  types?: ObjectType[];
  createdAt: string;
  dueAt: string;
  startedAt?: string;
  finishedAt?: string;
  lease?: { owner: string; expiresAt: string };
  /** Per sync stream progress: the link to resume from and whether the stream is done. */
  checkpoint: Record<
    string,
    {
      nextLink?: string;
      deltaLink?: string;
      done?: boolean;
      fullSync?: boolean;
      watermark?: string;
      /** A full round: pages whose round-state chunk is stored (seq 0 … roundPages - 1). */
      roundPages?: number;
      /** A full round whose listing is complete: only its reconciliation remains. */
      reconciling?: boolean;
      /** A stream read per object id in order (authentication methods): the last id committed. */
      after?: string;
    }
  >;
  counts: Partial<Record<ObjectType, TypeCounts>>;
  graphRequests: number;
  throttled: number;
  errors: RunError[];
  durationMs?: number;
  /** Set by the notifier once the result card is posted (so it is posted exactly once). */
  notifiedAt?: string;
  etag?: string;
}

// ---------------------------------------------------------------- restores

export type RestoreStatus =
  | 'pending'
  | 'approved'
  | 'rejected'
  | 'cancelled'
  | 'expired'
  | 'running'
  | 'succeeded'
  | 'partial'
  | 'failed';

export interface RestoreRecord {
  tenantId: string;
  restoreId: string;
  status: RestoreStatus;
  requestedBy: Principal;
  requestedAt: string;
  expiresAt: string;
  requiredApprovals: number;
  decisions: { by: Principal; decision: 'approve' | 'reject' | 'cancel'; at: string; comment?: string }[];
  /** The restore request as submitted (objects, point in time, options). Shape owned by src/restore. */
  request: Record<string, unknown>;
  /** The previewed plan; executed as approved, never re-planned. Shape owned by src/restore. */
  plan: Record<string, unknown>;
  /** Per-step outcome, written as steps complete (resume skips finished steps). */
  stepResults: Record<string, { status: 'done' | 'skipped' | 'failed'; reason?: string; at: string }>;
  result?: Record<string, unknown>;
  /** Where the approval card was posted, to update it in place. */
  card?: {
    conversationId: string;
    activityId: string;
    serviceUrl: string;
    /** Teams user ids (MRIs) refreshed automatically to their own view (requester, clickers; ≤ 60). */
    viewerIds?: string[];
  };
  lease?: { owner: string; expiresAt: string };
  /** True when run through the CLI's break-glass --execute path. */
  breakGlass?: boolean;
  updatedAt: string;
  etag?: string;
}

// ---------------------------------------------------------------- audit

export interface AuditInput {
  tenantId: string;
  actor: Principal;
  /** e.g. 'backup.requested', 'restore.requested', 'restore.approved', 'settings.changed', 'export'. */
  action: string;
  target?: string;
  details?: Record<string, unknown>;
  /**
   * Appends the entry once per tenant and key: a repeat returns the entry already appended.
   * A worker that resumes another's work (a restore step) repeats its audit without doubling it.
   */
  onceKey?: string;
}

export interface AuditEntry extends AuditInput {
  /** Position in the tenant's chain, from 1. */
  seq: number;
  at: string;
  prevHash: string;
  /** sha256 over (seq, at, actor, action, target, details, prevHash). */
  hash: string;
}

// ---------------------------------------------------------------- the store

export interface Store {
  readonly kind: 'sqlite' | 'cosmos';
  /**
   * True when a failed `commitPage` may leave part of its writes behind (Cosmos DB: no
   * transaction across containers), e.g. versions without the object record naming them.
   * The backup writer then reuses such a version instead of writing its content twice.
   */
  readonly commitsMayBePartial?: boolean;
  /** Creates tables / containers if missing. */
  init(): Promise<void>;
  close(): Promise<void>;
  /** Cheap liveness check for /healthz. */
  ping(): Promise<void>;

  listTenants(): Promise<TenantSettings[]>;
  getSettings(tenantId: string): Promise<TenantSettings | undefined>;
  /** Create or replace; with `ifMatch`, fails with StoreConflictError if changed meanwhile. */
  putSettings(settings: TenantSettings, ifMatch?: string): Promise<TenantSettings>;
  getSyncState(tenantId: string): Promise<SyncState | undefined>;
  putSyncState(state: SyncState): Promise<SyncState>;

  getObject(tenantId: string, objectType: ObjectType, objectId: string): Promise<ObjectRecord | undefined>;
  /** Batch read used by the backup writer to compare hashes. */
  getObjects(
    tenantId: string,
    objectType: ObjectType,
    objectIds: string[],
  ): Promise<Map<string, ObjectRecord>>;
  listObjects(tenantId: string, query: ObjectListQuery): Promise<Page<ObjectRecord>>;
  /** Ids of live (not deleted) objects of a type: used to reconcile after a full listing. */
  listLiveObjectIds(tenantId: string, objectType: ObjectType): AsyncIterable<string[]>;
  countObjects(tenantId: string): Promise<Partial<Record<ObjectType, { live: number; deleted: number }>>>;

  /**
   * Writes versions, objects and edges (idempotent: replaying a page changes nothing), then
   * `page.run` last. The run is written with compare-and-swap on `page.run.etag` when set
   * (StoreConflictError = another worker owns the run now). Returns the run as stored, with
   * its new etag, when `page.run` was given: use it for the next commit or updateRun.
   */
  commitPage(tenantId: string, page: PageCommit): Promise<RunRecord | undefined>;
  /** Newest first. */
  listVersions(tenantId: string, objectId: string, limit?: number): Promise<VersionRecord[]>;
  /**
   * Optional: for each of the objects, its newest version with source 'backup' (content left
   * out), keyed `${objectType}|${objectId}`, in one read (the backup writer's check for versions
   * a partial commit left, per page instead of per version).
   */
  newestBackupVersions?(tenantId: string, objectIds: string[]): Promise<Map<string, VersionHead>>;
  getVersion(tenantId: string, objectId: string, versionId: string): Promise<VersionRecord | undefined>;
  /** The newest version with capturedAt ≤ at. */
  getVersionAt(tenantId: string, objectId: string, at: string): Promise<VersionRecord | undefined>;
  /** Versions with from < capturedAt ≤ to, oldest first. */
  listChanges(
    tenantId: string,
    query: { from: string; to: string; types?: ObjectType[]; limit?: number; continuation?: string },
  ): Promise<Page<VersionRecord>>;
  listEdges(tenantId: string, query: EdgeQuery): Promise<EdgeRecord[]>;
  /**
   * Optional: the currently alive edges (of every kind) of several sources, in one read. Stores
   * where a query per source costs a round trip (Cosmos DB) offer it; the backup writer then
   * reads a page's relationships at once instead of per source and kind.
   */
  listAliveEdgesOfSources?(tenantId: string, sourceIds: string[]): Promise<EdgeRecord[]>;
  /**
   * Optional: compares a source's alive edges of one kind with the targets it should have,
   * without handing all of them back (a full backup reconciles 300,000+ memberships): `stale` =
   * alive edges whose target is not in `targetIds`, `missing` = targets with no alive edge.
   * Stores without it are compared through listEdges.
   */
  diffAliveEdges?(
    tenantId: string,
    query: { sourceId: string; kind: EdgeKind; targetIds: string[] },
  ): Promise<{ stale: EdgeRecord[]; missing: string[] }>;
  /**
   * Optional: the round-state chunks of a run's stream with seq < `pages`, in seq order (a
   * missing chunk is skipped: the caller checks the sequence). Stores without it restart a
   * killed full round from its beginning.
   */
  readRoundState?(
    tenantId: string,
    runId: string,
    stream: string,
    pages: number,
  ): AsyncIterable<RoundStateChunk>;
  /** Optional: deletes a run's round-state chunks (of one stream, or all). Returns how many. */
  deleteRoundState?(tenantId: string, runId: string, stream?: string): Promise<number>;
  /**
   * Deletes versions older than `before`, always keeping each object's newest version (and the
   * version in force at `before`, so any point in time ≥ before still reads the same), and
   * edges removed before `before`. Returns the number of records deleted. Round-state chunks
   * of runs no longer running (left by a crash) go too (not counted).
   */
  pruneVersions(tenantId: string, before: string): Promise<number>;

  createRun(run: RunRecord): Promise<RunRecord>;
  getRun(tenantId: string, runId: string): Promise<RunRecord | undefined>;
  /** Compare-and-swap on etag: StoreConflictError when another writer got there first. */
  updateRun(run: RunRecord, ifMatch: string): Promise<RunRecord>;
  /** Newest first. */
  listRuns(tenantId: string, query?: { limit?: number; status?: RunStatus[] }): Promise<RunRecord[]>;
  /** Across tenants, for workers: queued runs due by `dueBefore`, and running runs whose lease expired. */
  listClaimableRuns(now: string, limit: number): Promise<RunRecord[]>;

  putRestore(restore: RestoreRecord, ifMatch?: string): Promise<RestoreRecord>;
  getRestore(tenantId: string, restoreId: string): Promise<RestoreRecord | undefined>;
  listRestores(
    tenantId: string,
    query?: { status?: RestoreStatus[]; limit?: number },
  ): Promise<RestoreRecord[]>;
  /** Across tenants, for workers: approved restores, and running ones whose lease expired. */
  listClaimableRestores(now: string, limit: number): Promise<RestoreRecord[]>;

  /** Appends to the tenant's hash chain (serialised per tenant; safe under concurrent writers). */
  appendAudit(entry: AuditInput): Promise<AuditEntry>;
  /** Newest first. `action` matches exactly, or as a prefix when it ends with '*' ('restore.*'). */
  listAudit(
    tenantId: string,
    query?: { actorId?: string; action?: string; limit?: number; continuation?: string },
  ): Promise<Page<AuditEntry>>;
  /** Oldest first, the whole chain (for verification). */
  readAuditChain(tenantId: string): AsyncIterable<AuditEntry>;
  /**
   * The newest entry's seq and hash, kept apart from the chain so that removing the newest
   * entries is detected too (see audit-chain.ts verifyAuditChain).
   */
  readAuditHead?(tenantId: string): Promise<{ seq: number; hash: string } | undefined>;
}
