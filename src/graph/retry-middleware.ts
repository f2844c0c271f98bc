// Retries what Graph asks clients to retry: 429 and 503/504 (honouring Retry-After, else
// exponential backoff with jitter) and connection resets of idempotent requests, up to the
// attempt cap. When the cap is reached the request fails with a GraphError that says so.
import type { Context, Middleware } from '@microsoft/microsoft-graph-client';
import type { Logger } from '../log.ts';
import { GraphError } from './gateway.ts';
import {
  describeUrl,
  graphErrorFromResponse,
  isRetryableConnectionError,
  parseRetryAfter,
  RETRYABLE_STATUSES,
} from './graph-errors.ts';
import { requestStateOf } from './request-state.ts';

export interface RetryPolicy {
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** Backoff for attempt n (1-based) when Graph gave no Retry-After: half fixed, half jitter. */
export function backoffDelayMs(
  attempt: number,
  policy: Pick<RetryPolicy, 'random' | 'baseDelayMs' | 'maxDelayMs'>,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * policy.random());
}

export class RetryMiddleware implements Middleware {
  private next?: Middleware;

  constructor(
    private readonly policy: RetryPolicy,
    private readonly logger: Logger,
  ) {}

  setNext(next: Middleware): void {
    this.next = next;
  }

  async execute(context: Context): Promise<void> {
    const next = this.next;
    const state = requestStateOf(context);
    if (!next || !state) throw new Error('RetryMiddleware: missing next middleware or request state');
    const stats = state.stats;
    for (let attempt = 1; ; attempt++) {
      state.attempts = attempt;
      stats.requests++;
      let delayMs: number;
      let reason: string;
      try {
        await next.execute(context);
        const response = state.lastResponse;
        if (!response || !RETRYABLE_STATUSES.has(response.status)) return;
        if (response.status === 429) stats.throttled++;
        const retryAfter = parseRetryAfter(response.headers['retry-after']);
        reason = `${response.status}${retryAfter !== undefined ? ` (Retry-After ${retryAfter}s)` : ''}`;
        if (attempt >= state.maxAttempts) {
          state.failure = graphErrorFromResponse(
            response.status,
            response.headers,
            response.body.toString('utf8'),
            {
              method: state.method,
              url: state.url,
              prefix: `Gave up after ${attempt} attempt${attempt === 1 ? '' : 's'} (retry limit): `,
            },
          );
          throw state.failure;
        }
        // Never retry sooner than Graph asked; else back off.
        delayMs =
          retryAfter !== undefined ? Math.ceil(retryAfter * 1000) : backoffDelayMs(attempt, this.policy);
      } catch (err) {
        if (err === state.failure) throw err;
        if (!isRetryableConnectionError(err) || !state.idempotent) throw err;
        reason = `connection error ${err.code}`;
        if (attempt >= state.maxAttempts) {
          state.failure = new GraphError(
            0,
            'ConnectionFailed',
            `Gave up after ${attempt} attempt${attempt === 1 ? '' : 's'} (retry limit): ${state.method} ${describeUrl(state.url)} failed: ${err.code} ${err.message}`,
          );
          throw state.failure;
        }
        delayMs = backoffDelayMs(attempt, this.policy);
      }
      stats.retries++;
      this.logger.debug(
        { method: state.method, url: describeUrl(state.url), attempt, delayMs, reason },
        'graph: retrying',
      );
      state.lastResponse = undefined;
      await this.policy.sleep(delayMs);
    }
  }
}
