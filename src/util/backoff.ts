/**
 * Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And Jitter"):
 * the delay for attempt n is a random value in [0, min(max, base * 2^n)], floored at `minMs` so a
 * flapping peer never sees a tight loop.
 */

/** Parameters of {@link backoffDelay}. */
export interface BackoffOptions {
  /** Delay scale for attempt 0, ms. Default 500. */
  baseMs?: number;
  /** Upper bound of any delay, ms. Default 30 000. */
  maxMs?: number;
  /** Lower bound of any delay, ms. Default 250. */
  minMs?: number;
  /** Random source in [0, 1); injectable for tests. Default Math.random. */
  random?: () => number;
}

/** Delay in ms before retry number `attempt` (0-based). */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const { baseMs = 500, maxMs = 30_000, minMs = 250, random = Math.random } = options;
  const cap = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.max(minMs, Math.floor(random() * cap));
}
