// The slice of fetch the bot's auth code uses, so dev and tests can pass a fetch that trusts the
// dev tenant's loopback CA (see src/tab-api/auth/https-fetch.ts `createFetch`).
export type FetchLike = (
  url: string,
  init?: { method?: string; headers?: Record<string, string>; body?: string; signal?: AbortSignal },
) => Promise<Response>;
