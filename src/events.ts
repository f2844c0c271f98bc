// In-process product events. The worker emits run and restore events; the bot and the tab
// consume them (the tab streams progress; the notifier posts cards). Across processes the store
// is the source of truth: consumers also poll it, so a missed event delays but loses nothing.
import { EventEmitter } from 'node:events';
import type { ObjectType, TypeCounts } from './domain.ts';
import type { RestoreRecord, RunRecord } from './store/store.ts';

export interface ProductEventMap {
  'run.started': [RunRecord];
  'run.progress': [{ tenantId: string; runId: string; objectType: ObjectType; counts: TypeCounts }];
  'run.finished': [RunRecord];
  'run.failed': [RunRecord];
  'restore.updated': [RestoreRecord];
}

export class ProductEvents extends EventEmitter<ProductEventMap> {}
