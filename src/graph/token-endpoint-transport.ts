// msal's network module, watched: tells the token provider whether a failed token request
// failed in transport (no answer, timeout, TLS, 5xx or 429 from the identity endpoint: worth
// retrying) or was answered with a refusal (invalid_client, consent missing: final).
// 5xx and 429 answers are turned into errors before msal sees them: msal would otherwise cache
// a 60-second "throttled" verdict and fail every retry without asking the endpoint again.
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';

export interface TransportFailure {
  /** What went wrong, for the error message: "ETIMEDOUT Request timed out", "HTTP 503". */
  detail: string;
  /** Retry-After of a 429/503 answer, in ms. */
  retryAfterMs?: number;
}

/** HTTP statuses of the identity endpoint that mean "try again later", not "refused". */
function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

function retryAfterMs(headers: Record<string, string> | undefined): number | undefined {
  const raw = headers?.['retry-after'] ?? headers?.['Retry-After'];
  if (raw === undefined) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  const text = err.message.split(/\r?\n/)[0];
  return typeof code === 'string' && !text.includes(code) ? `${code} ${text}` : text;
}

export class WatchedNetworkModule implements INetworkModule {
  /** The transport failure of the current attempt, if any (reset by the token provider). */
  failure: TransportFailure | undefined;

  constructor(private readonly inner: INetworkModule) {}

  reset(): void {
    this.failure = undefined;
  }

  sendGetRequestAsync<T>(
    url: string,
    options?: NetworkRequestOptions,
    timeout?: number,
  ): Promise<NetworkResponse<T>> {
    return this.watch(url, () => this.inner.sendGetRequestAsync<T>(url, options, timeout));
  }

  sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    return this.watch(url, () => this.inner.sendPostRequestAsync<T>(url, options));
  }

  private async watch<T>(url: string, send: () => Promise<NetworkResponse<T>>): Promise<NetworkResponse<T>> {
    const host = new URL(url).host;
    let response: NetworkResponse<T>;
    try {
      response = await send();
    } catch (err) {
      this.failure = { detail: `${describe(err)} (${host})` };
      throw err;
    }
    if (isTransientStatus(response.status)) {
      const wait = retryAfterMs(response.headers);
      this.failure = {
        detail: `HTTP ${response.status} from ${host}`,
        ...(wait !== undefined ? { retryAfterMs: wait } : {}),
      };
      throw new Error(`The identity endpoint ${host} answered ${response.status}`);
    }
    return response;
  }
}
