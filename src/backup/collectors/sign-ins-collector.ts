// Sign-in logs: immutable records read newest first above a createdDateTime watermark. The
// new watermark (the newest record seen) travels in the checkpoint and becomes the stream's
// state only when the round completes, so a resumed round skips nothing. `ge` re-reads the
// records at the boundary instant (unchanged, so not written again) rather than risk a miss.
import type { GraphObject } from '../../domain.ts';
import { type GraphCollectionPage, GraphError } from '../../graph/gateway.ts';
import type { TypeSpec } from '../type-specs.ts';
import type { CollectedPage, CollectorContext } from './collector.ts';
import { pacerFor } from './pacers.ts';

type Item = Record<string, unknown> & { id: string };

/** Sign-in logs return at most 1,000 records a page. */
const SIGNIN_PAGE = 1000;

export function signInsCollector(spec: TypeSpec) {
  return async function* collect(c: CollectorContext): AsyncIterable<CollectedPage> {
    const pacer = pacerFor(c.tenantId, spec);
    const since = c.previous.watermark;
    let watermark = c.start.watermark;
    const unfiltered = `${spec.path}?$top=${SIGNIN_PAGE}`;
    const filtered = since
      ? `${unfiltered}&$filter=${encodeURIComponent(`createdDateTime ge ${since}`)}`
      : unfiltered;
    let link: string = c.start.nextLink ?? filtered;
    // Without a server-side filter, pages are read newest first until one reaches the watermark.
    let scanning = false;
    for (;;) {
      await pacer.take();
      let page: GraphCollectionPage<Item>;
      try {
        page = await c.client.getPage<Item>(link);
      } catch (err) {
        if (since && link === filtered && err instanceof GraphError && err.status === 400) {
          c.ctx.log.warn(
            { tenantId: c.tenantId, err: err.message },
            'sign-in filter refused: scanning newest first',
          );
          link = unfiltered;
          scanning = true;
          continue;
        }
        throw err;
      }
      let items = page.value;
      let reachedWatermark = false;
      if (scanning && since) {
        const floor = Date.parse(since);
        const kept = items.filter(
          (i) => typeof i.createdDateTime !== 'string' || Date.parse(i.createdDateTime) >= floor,
        );
        reachedWatermark = kept.length < items.length;
        items = kept;
      }
      for (const item of items) {
        const created = item.createdDateTime;
        if (typeof created === 'string' && (!watermark || Date.parse(created) > Date.parse(watermark))) {
          watermark = created;
        }
      }
      const changes = items.map((item) => ({ type: spec.type, id: item.id, object: item as GraphObject }));
      const w = watermark ?? since;
      if (page.nextLink && !reachedWatermark) {
        yield { changes, edges: [], cursor: { nextLink: page.nextLink, ...(w ? { watermark: w } : {}) } };
        link = page.nextLink;
        continue;
      }
      yield { changes, edges: [], cursor: { done: true, ...(w ? { watermark: w } : {}) } };
      return;
    }
  };
}
