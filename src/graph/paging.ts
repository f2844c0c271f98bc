// Collection pages: value plus the links Graph returns. nextLink and deltaLink are kept as
// Graph sent them (opaque; replayed verbatim by the gateway).
import { type GraphCollectionPage, GraphError } from './gateway.ts';

export function toCollectionPage<T>(body: unknown, url: string): GraphCollectionPage<T> {
  const record = body as Record<string, unknown> | null;
  if (!record || typeof record !== 'object' || !Array.isArray(record.value)) {
    throw new GraphError(
      502,
      'UnexpectedResponse',
      `Graph's answer to ${new URL(url).pathname} is not a collection (no value array)`,
    );
  }
  const page: GraphCollectionPage<T> = { value: record.value as T[] };
  if (typeof record['@odata.nextLink'] === 'string') page.nextLink = record['@odata.nextLink'];
  if (typeof record['@odata.deltaLink'] === 'string') page.deltaLink = record['@odata.deltaLink'];
  if (typeof record['@odata.count'] === 'number') page.count = record['@odata.count'];
  return page;
}

/** Follows nextLink until the last page (which may carry the deltaLink). */
export async function* followPages<T>(
  first: string,
  getPage: (url: string) => Promise<GraphCollectionPage<T>>,
): AsyncGenerator<GraphCollectionPage<T>> {
  let url: string | undefined = first;
  const seen = new Set<string>();
  while (url) {
    // A nextLink pointing back to an earlier page would loop forever.
    if (seen.has(url))
      throw new GraphError(
        502,
        'PagingLoop',
        `Graph returned a nextLink already followed: ${new URL(url, 'https://x').pathname}`,
      );
    seen.add(url);
    const page: GraphCollectionPage<T> = await getPage(url);
    yield page;
    url = page.nextLink;
  }
}
