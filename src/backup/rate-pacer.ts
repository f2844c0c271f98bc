// Client-side pacing for endpoints with their own small limits (sign-in logs: 5 requests per
// 10 s; conditional access: 1 request per second, answered with 429s without Retry-After):
// waiting here costs less than being throttled there.

export interface Pacer {
  /** Resolves when one more request fits in the window. */
  take(): Promise<void>;
}

export function createPacer(requests: number, windowMs: number, now: () => number = Date.now): Pacer {
  const sent: number[] = [];
  return {
    async take() {
      for (;;) {
        const t = now();
        while (sent.length > 0 && t - sent[0] >= windowMs) sent.shift();
        if (sent.length < requests) {
          sent.push(t);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, windowMs - (t - sent[0]) + 1));
      }
    },
  };
}

/** A pacer that never waits. */
export const NO_PACE: Pacer = { take: async () => {} };
