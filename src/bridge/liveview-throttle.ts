/**
 * A latest-wins rate limiter for liveview output (issue 4 "Liveview frames": latest frame wins,
 * stale frames dropped, never queued; memory stays flat when MQTT is slow or down).
 *
 * It holds at most one pending value. A value offered when the minimum interval since the last
 * send has passed (and no send is in flight) goes out at once, so a fresh frame never waits for
 * a tick; otherwise it waits in the single slot, where a newer value replaces it, until the
 * interval is over or the send in flight resolves. A value older than `staleMs` when its turn
 * comes is dropped instead of sent late.
 *
 * Not a pure module: it owns one timer (cleared by {@link LatestThrottle.clear} and
 * {@link LatestThrottle.close}).
 */

/** What a sink returns: a promise (send in flight until it settles; `false` = dropped) or nothing. */
export type ThrottleSinkResult = Promise<boolean> | boolean | undefined;

/** Options of {@link LatestThrottle}. */
export interface LatestThrottleOptions<T> {
  /**
   * Minimum time between two sends, ms (>= 0). 0 = no rate limit, only latest-wins while a send
   * is in flight (e.g. one MJPEG viewer whose socket is slower than the camera, issue 9).
   */
  intervalMs: number;
  /**
   * Age (since `offer`) beyond which a pending value is dropped instead of sent, ms. Default:
   * `min(2 × intervalMs, 1000)` (1000 when intervalMs is 0), recomputed when the interval changes.
   */
  staleMs?: number;
  /** Sends one value. May return a promise: later values wait (latest wins) until it settles. */
  send: (value: T) => ThrottleSinkResult;
  /** Clock in ms (monotonic). Default `performance.now`. */
  now?: () => number;
  /** Told about a sink that threw or rejected (the throttle carries on). */
  onError?: (error: unknown) => void;
}

/** Counters of a {@link LatestThrottle} (cumulative). */
export interface LatestThrottleStats {
  /** Values offered. */
  offered: number;
  /** Values whose send succeeded (sink resolved true or returned synchronously). */
  sent: number;
  /** Values replaced in the slot by a newer one while waiting for the interval (normal rate limiting). */
  throttled: number;
  /** Values replaced in the slot while a send was in flight (slow or disconnected sink). */
  superseded: number;
  /** Values dropped because they were older than `staleMs` when their turn came. */
  stale: number;
  /** Sends the sink reported as dropped (resolved false). */
  refused: number;
  /** Sends that threw or rejected. */
  errors: number;
}

/** Default cap of the stale age, ms: a liveview frame older than this is not worth publishing. */
const MAX_DEFAULT_STALE_MS = 1000;

function defaultStaleMs(intervalMs: number): number {
  return intervalMs > 0 ? Math.min(2 * intervalMs, MAX_DEFAULT_STALE_MS) : MAX_DEFAULT_STALE_MS;
}

/**
 * Latest-wins throttle; see the module comment. Constructing starts nothing.
 * @typeParam T - the value type (a JPEG, focus frames)
 */
export class LatestThrottle<T> {
  readonly #send: (value: T) => ThrottleSinkResult;
  readonly #now: () => number;
  readonly #onError: ((error: unknown) => void) | undefined;
  readonly #staleOverride: number | undefined;
  #intervalMs: number;
  #staleMs: number;

  /**
   * The single pending value and when it was offered. Plain fields rather than an object so an
   * offer allocates nothing (it runs once per camera frame).
   */
  #hasSlot = false;
  #slotValue: T | undefined;
  #slotAt = 0;
  /** When the last send started; -Infinity before the first. */
  #lastSentAt = Number.NEGATIVE_INFINITY;
  /** Settles (never rejects) when the send in flight is over. */
  #inFlight: Promise<void> | null = null;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #stats: LatestThrottleStats = {
    offered: 0,
    sent: 0,
    throttled: 0,
    superseded: 0,
    stale: 0,
    refused: 0,
    errors: 0,
  };

  /** @throws RangeError when `intervalMs` or `staleMs` is negative or not finite */
  constructor(options: LatestThrottleOptions<T>) {
    checkNonNegative("intervalMs", options.intervalMs);
    if (options.staleMs !== undefined) checkNonNegative("staleMs", options.staleMs);
    this.#send = options.send;
    this.#now = options.now ?? (() => performance.now());
    this.#onError = options.onError;
    this.#staleOverride = options.staleMs;
    this.#intervalMs = options.intervalMs;
    this.#staleMs = options.staleMs ?? defaultStaleMs(options.intervalMs);
  }

  /** A snapshot of the counters. */
  get stats(): LatestThrottleStats {
    return { ...this.#stats };
  }

  /** Minimum time between sends, ms. */
  get intervalMs(): number {
    return this.#intervalMs;
  }

  /** True while a send is in flight. */
  get busy(): boolean {
    return this.#inFlight !== null;
  }

  /**
   * Changes the minimum interval (takes effect for the value waiting now, too).
   * @throws RangeError when `intervalMs` is negative or not finite
   */
  setInterval(intervalMs: number): void {
    checkNonNegative("intervalMs", intervalMs);
    this.#intervalMs = intervalMs;
    this.#staleMs = this.#staleOverride ?? defaultStaleMs(intervalMs);
    this.#clearTimer();
    this.#pump();
  }

  /** Offers the newest value: sent at once when allowed, else kept (replacing an older pending one). */
  offer(value: T): void {
    if (this.#closed) return;
    this.#stats.offered++;
    if (this.#hasSlot) {
      if (this.#inFlight !== null) this.#stats.superseded++;
      else this.#stats.throttled++;
    }
    this.#hasSlot = true;
    this.#slotValue = value;
    this.#slotAt = this.#now();
    this.#pump();
  }

  /** Drops the pending value (not counted) and its timer; a send in flight carries on. */
  clear(): void {
    this.#dropSlot();
    this.#clearTimer();
  }

  /** Clears and refuses further values. Idempotent. */
  close(): void {
    this.#closed = true;
    this.clear();
  }

  /** Resolves when no send is in flight (never rejects). */
  async idle(): Promise<void> {
    while (this.#inFlight !== null) await this.#inFlight;
  }

  #dropSlot(): void {
    this.#hasSlot = false;
    this.#slotValue = undefined; // let the frame be collected
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Sends the pending value if its turn has come, else makes sure a timer will look again. */
  #pump(): void {
    if (this.#closed || !this.#hasSlot || this.#inFlight !== null) return;
    const now = this.#now();
    if (now - this.#slotAt > this.#staleMs) {
      this.#stats.stale++;
      this.#dropSlot();
      this.#clearTimer();
      return;
    }
    const due = this.#lastSentAt + this.#intervalMs;
    if (now >= due) {
      const value = this.#slotValue as T;
      this.#clearTimer();
      this.#dropSlot();
      this.#lastSentAt = now;
      this.#dispatch(value);
      return;
    }
    // Timers may fire a fraction of a ms early; never schedule 0 so this cannot spin.
    this.#timer ??= setTimeout(
      () => {
        this.#timer = undefined;
        this.#pump();
      },
      Math.max(1, Math.ceil(due - now)),
    );
  }

  #dispatch(value: T): void {
    let result: ThrottleSinkResult;
    try {
      result = this.#send(value);
    } catch (e) {
      this.#failed(e);
      return;
    }
    if (result === undefined || typeof result === "boolean") {
      if (result === false) this.#stats.refused++;
      else this.#stats.sent++;
      return;
    }
    this.#inFlight = this.#settle(result);
  }

  async #settle(result: Promise<boolean>): Promise<void> {
    try {
      if (await result) this.#stats.sent++;
      else this.#stats.refused++;
    } catch (e) {
      this.#failed(e);
    }
    this.#inFlight = null;
    this.#pump();
  }

  #failed(e: unknown): void {
    this.#stats.errors++;
    try {
      this.#onError?.(e);
    } catch {
      // An error reporter that throws must not stop the throttle.
    }
  }
}

function checkNonNegative(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`${name} must be a finite number >= 0`);
  }
}
