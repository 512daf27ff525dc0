/**
 * Waiting that always honours an AbortSignal. Every lifecycle in qx10-mqtt waits through these, so
 * `stop()` never has to wait for a stray timer.
 */
import { setTimeout as delay } from "node:timers/promises";
import { BridgeError } from "../errors.js";

/** Converts an abort into a {@link BridgeError} with code `ABORTED` (keeps one if it already is). */
export function abortError(signal: AbortSignal): BridgeError {
  const reason: unknown = signal.reason;
  if (reason instanceof BridgeError) return reason;
  return new BridgeError("ABORTED", "operation aborted", { cause: reason });
}

/** Throws {@link abortError} when `signal` has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw abortError(signal);
}

/**
 * Resolves after `ms` milliseconds; rejects with code `ABORTED` as soon as `signal` fires.
 * @param ms - delay in milliseconds
 */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, signal === undefined ? undefined : { signal });
  } catch (e) {
    if (signal?.aborted === true) throw abortError(signal);
    throw e;
  }
}

/** Like {@link sleep} but resolves `false` instead of rejecting when aborted. */
export async function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, signal);
    return true;
  } catch {
    return false;
  }
}

/** A signal that fires when `signal` fires or after `timeoutMs`, whichever is first. */
export function withTimeout(signal: AbortSignal | undefined, timeoutMs: number): AbortSignal {
  const timeout = AbortSignal.timeout(timeoutMs);
  return signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
}

/**
 * Waits for `p` at most `ms` milliseconds, for shutdown steps that must not hang. The timer keeps
 * the process alive (unlike `AbortSignal.timeout`), so a stop in progress is never cut short by
 * an empty event loop.
 * @param onError - told of a rejection of `p` (an `ABORTED` rejection is expected and not told)
 * @returns true when `p` settled in time, false on timeout; never rejects
 */
export async function settleWithin(
  p: Promise<unknown>,
  ms: number,
  onError: (e: unknown) => void = () => undefined,
): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => {
      resolve(false);
    }, ms);
  });
  try {
    return await Promise.race([
      p.then(
        () => true,
        (e: unknown) => {
          if (!(e instanceof BridgeError && e.code === "ABORTED")) onError(e);
          return true;
        },
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
