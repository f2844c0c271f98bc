// Sign-in logs: immutable records read newest first above a createdDateTime watermark. The
// new watermark (the newest record seen) travels in the checkpoint and becomes the stream's
// state only when the round completes, so a resumed round skips nothing. `ge` re-reads the
// records at the boundary instant (unchanged, so not written again) rather than risk a miss.
import type { GraphObject } from '../../domain.ts';
import type { GraphCollectionPage } from '../../graph/gateway.ts';
import type { TypeSpec } from '../type-specs.ts';
import type { CollectedPage, CollectorContext } from './collector.ts';
import { pacerFor } from './pacers.ts';

type Item = Record<string, unknown> & { id: string };

/** Sign-in logs return at most 1,000 records a page. */
const SIGNIN_PAGE = 1000;

export function signInsCollector(spec: TypeSpec) {
  return async function* collect(c: CollectorContext): AsyncIterable<CollectedPage> {
    const pacer = pacerFor(c.tenantId, spec);
    let watermark = c.start.watermark;
    const filter = c.previous.watermark ? `&$filter=createdDateTime ge ${c.previous.watermark}` : '';
    let link: string = c.start.nextLink ?? `${spec.path}?$top=${SIGNIN_PAGE}${filter}`;
    for (;;) {
      await pacer.take();
      const page: GraphCollectionPage<Item> = await c.client.getPage<Item>(link);
      for (const item of page.value) {
        const created = item.createdDateTime;
        if (typeof created === 'string' && (!watermark || Date.parse(created) > Date.parse(watermark))) {
          watermark = created;
        }
      }
      const changes = page.value.map((item) => ({
        type: spec.type,
        id: item.id,
        object: item as GraphObject,
      }));
      const w = watermark ?? c.previous.watermark;
      if (page.nextLink) {
        yield { changes, edges: [], cursor: { nextLink: page.nextLink, ...(w ? { watermark: w } : {}) } };
        link = page.nextLink;
        continue;
      }
      yield { changes, edges: [], cursor: { done: true, ...(w ? { watermark: w } : {}) } };
      return;
    }
  };
}
