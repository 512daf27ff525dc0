/**
 * Liveview fan-out of the bridge (issue 4 "Liveview frames", issue 9 MJPEG consumers): runs the
 * camera's liveview stream only while something needs it, keeps the newest decoded frame, hands
 * every frame to in-process consumers and publishes to MQTT at a throttled rate.
 *
 * - Demand: MQTT publishing on ({@link LiveviewPublisher.setPublishing}) or at least one
 *   {@link LiveviewPublisher.subscribe}d consumer. When demand ends the stream lingers `lingerMs`,
 *   then it is aborted and the camera is told to stop liveview (battery); demand coming back during
 *   the linger keeps the running stream.
 * - The camera serves one liveview reader at a time (camera-api.md §5.1: a new GET force-disconnects
 *   the older one), so this is the bridge's single reader and everything else reads from it.
 * - Stream failures and ends are retried with backoff while demand lasts (§5.4: "reconnect = call
 *   startLiveview again", which `openStream` does on each call). An `openStream` that reconnects
 *   internally (`liveviewSession` of src/liveview/stream.ts) reports its retries as `reconnect`
 *   events; they are counted and reported the same way.
 * - Issue 9 (MJPEG viewers): each viewer subscribes; a slow viewer should put its own
 *   {@link LatestThrottle} (interval 0) between the frames and its socket, so it skips frames
 *   instead of making the bridge buffer.
 * - Frames are cut at their structural EOI (§5.3/§5.4: QX JPEG regions carry 1–127 junk bytes
 *   after the EOI); a frame that does not trim is skipped.
 * - MQTT output goes through {@link LatestThrottle}: at most `fps` per second, the newest frame
 *   wins, a frame arriving after the interval is published at once, frames arriving while a
 *   publish is in flight replace each other in one slot (counted), stale ones are dropped.
 */
import { BridgeError } from "../errors.js";
import { type LiveviewJpegEvent } from "../liveview/codec.js";
import { trimJpeg } from "../liveview/jpeg.js";
import { type LiveviewSessionEvent } from "../liveview/stream.js";
import { type FocusFrame } from "../liveview/types.js";
import { type Logger } from "../log.js";
import { sleepUnlessAborted, settleWithin } from "../util/abort.js";
import { backoffDelay, type BackoffOptions } from "../util/backoff.js";
import { LatestThrottle } from "./liveview-throttle.js";

/** Lowest accepted publishing rate, frames per second (mqtt-api.md `cmd/liveview_fps`). */
export const MIN_LIVEVIEW_FPS = 0.1;
/** Highest accepted publishing rate, frames per second. */
export const MAX_LIVEVIEW_FPS = 30;
/** Default linger after the last demand ends, ms. */
export const DEFAULT_LINGER_MS = 5000;
/** Default bound of `stopCamera` and of waiting for a publish in flight on stop, ms. */
export const DEFAULT_STOP_TIMEOUT_MS = 3000;

/** State reported through {@link LiveviewPublisherOptions.onStatus}. */
export type LiveviewStreamState =
  /** The first frame of a (re)opened stream arrived. */
  | "started"
  /** The stream was aborted (no demand, or stop) and `stopCamera` has been called. */
  | "stopped"
  /** Opening failed or the stream ended; the next attempt follows after a backoff delay. */
  | "reconnecting";

/** Argument of {@link LiveviewPublisherOptions.onStatus}. */
export interface LiveviewStreamStatus {
  state: LiveviewStreamState;
  /** Why, for "reconnecting" (the thrown error, or `LIVEVIEW_STREAM` when the stream just ended). */
  error?: unknown;
}

/** A frame consumer: called synchronously with every trimmed JPEG (do not modify or keep it long). */
export type LiveviewConsumer = (jpeg: Uint8Array) => void;

/** Options of {@link LiveviewPublisher}. */
export interface LiveviewPublisherOptions {
  /** MQTT publishing rate, frames per second, 0.1–30 (config `liveview.fps`). */
  fps: number;
  /**
   * Opens the camera stream (startLiveview + GET) and yields decoder events until it ends or
   * `signal` fires; must stop promptly when `signal` fires. Either one stream (`liveviewEvents`
   * after startLiveview: the publisher reconnects with `backoff` when it ends or throws) or a
   * reconnecting `liveviewSession` (src/liveview/stream.ts), whose `reconnect` events are
   * counted and reported as "reconnecting" just like the publisher's own retries.
   */
  openStream: (signal: AbortSignal) => AsyncIterable<LiveviewSessionEvent>;
  /** Tells the camera to stop liveview when nothing needs it any more (battery). Errors are logged. */
  stopCamera: (signal: AbortSignal) => Promise<void>;
  /**
   * Publishes one JPEG (already trimmed) to `<base>/liveview`. Resolves false when it was dropped
   * (broker down, too large). Until it settles, newer frames wait in one latest-wins slot.
   */
  publishFrame: (jpeg: Uint8Array) => Promise<boolean>;
  /** Publishes focus frames (payload type 0x02) to `<base>/liveview/frames`; throttled like frames. */
  publishFocusFrames: (frames: readonly FocusFrame[]) => void;
  /**
   * Called on stream state changes (see {@link LiveviewStreamState}); only changes are reported
   * (a failure streak is one "reconnecting" with the first error; every retry is logged). Errors
   * it throws are logged.
   */
  onStatus?: (status: LiveviewStreamStatus) => void;
  /** Linger before stopping the camera stream after demand ends, ms (default 5000). */
  lingerMs?: number;
  /** Bound of `stopCamera` and of waiting for a publish in flight during `stop()`, ms (default 3000). */
  stopTimeoutMs?: number;
  /**
   * Age beyond which a waiting frame is dropped instead of published, ms. Default
   * `min(2 / fps s, 1 s)`.
   */
  staleMs?: number;
  /** Reconnect backoff (src/util/backoff.ts defaults: 500 ms base, 30 s max, 250 ms min). */
  backoff?: BackoffOptions;
  /** Logger for stream failures and consumer errors (never frame bytes). */
  logger?: Logger;
  /** Monotonic clock, ms (default `performance.now`); injectable for tests. */
  now?: () => number;
}

/** Counters of {@link LiveviewPublisher.stats} (cumulative since construction). */
export interface LiveviewPublisherStats {
  /** Frames decoded and trimmed (handed to consumers). */
  received: number;
  /** Frames published to MQTT (publishFrame resolved true). */
  published: number;
  /**
   * Frames meant for MQTT that were lost: replaced while a publish was in flight, stale, refused
   * by publishFrame (false) or failed. Normal rate limiting is not counted here (see `throttled`).
   */
  dropped: number;
  /** Of `dropped`: frames too old when their turn came. */
  stale: number;
  /** Frames skipped by the rate limit (a newer one arrived within the interval). */
  throttled: number;
  /** JPEG packets that did not trim to a complete JPEG (§5.4), skipped. */
  skipped: number;
  /** Focus-frame sets published. */
  focusPublished: number;
  /** Times a consumer threw. */
  consumerErrors: number;
  /** Stream failures/ends retried. */
  reconnects: number;
  /** True between the first frame of a stream and its end. */
  streaming: boolean;
}

/** One stream session: from the first open to the camera stop. */
interface Session {
  readonly ac: AbortController;
  /** openStream has been called (so stopCamera is owed). */
  opened: boolean;
  /** Aborting/stopping; a new session starts after it if demand came back. */
  ending: boolean;
  /** Backoff attempt, reset by a frame. */
  attempt: number;
  done: Promise<void>;
}

interface ConsumerEntry {
  readonly fn: LiveviewConsumer;
  /** Logged once, then only counted (a broken consumer would flood the log at 30 fps). */
  logged: boolean;
}

function checkFps(fps: number): void {
  if (!Number.isFinite(fps) || fps < MIN_LIVEVIEW_FPS || fps > MAX_LIVEVIEW_FPS) {
    throw new RangeError(`fps must be within ${MIN_LIVEVIEW_FPS}–${MAX_LIVEVIEW_FPS}`);
  }
}

/**
 * The JPEG of an image event cut at its EOI (a subarray, no copy), or null when incomplete. Uses
 * the decoder's `jpegEnd` when it is plausible, else walks the JPEG again ({@link trimJpeg}).
 */
function trimEvent(ev: LiveviewJpegEvent): Uint8Array | null {
  const { data, jpegEnd } = ev;
  if (jpegEnd >= 4 && jpegEnd <= data.length && data[jpegEnd - 2] === 0xff) {
    if (data[jpegEnd - 1] === 0xd9 && data[0] === 0xff && data[1] === 0xd8) {
      return data.subarray(0, jpegEnd);
    }
  }
  return trimJpeg(data);
}

/**
 * Runs the camera liveview on demand and fans frames out to MQTT and consumers. The constructor
 * only stores options; {@link start} enables the stream; {@link stop} ends everything.
 */
export class LiveviewPublisher {
  readonly #openStream: (signal: AbortSignal) => AsyncIterable<LiveviewSessionEvent>;
  readonly #stopCamera: (signal: AbortSignal) => Promise<void>;
  readonly #onStatus: ((status: LiveviewStreamStatus) => void) | undefined;
  readonly #lingerMs: number;
  readonly #stopTimeoutMs: number;
  readonly #backoff: BackoffOptions;
  readonly #log: Logger | undefined;
  readonly #now: () => number;
  readonly #frames: LatestThrottle<Uint8Array>;
  readonly #focus: LatestThrottle<readonly FocusFrame[]>;
  /** Copy-on-write: replaced on (un)subscribe, so the per-frame loop allocates nothing. */
  #consumers: readonly ConsumerEntry[] = [];

  #fps: number;
  #publishing = false;
  #started = false;
  #halted = false;
  #stopping: Promise<void> | undefined;
  #lifeSignal: AbortSignal | undefined;
  readonly #onLifeAbort = (): void => {
    this.#halt();
  };
  #session: Session | null = null;
  #linger: NodeJS.Timeout | undefined;
  #latest: Uint8Array | null = null;
  #latestAt = 0;
  #streaming = false;
  /** The last state told to onStatus. */
  #reported: LiveviewStreamState | undefined;
  #received = 0;
  #skipped = 0;
  #consumerErrors = 0;
  #reconnects = 0;

  /**
   * @param options - see {@link LiveviewPublisherOptions}
   * @throws RangeError when `fps` is outside 0.1–30 or `lingerMs`/`stopTimeoutMs`/`staleMs` is
   *   negative or not finite (programming errors: config and commands validate first)
   */
  constructor(options: LiveviewPublisherOptions) {
    checkFps(options.fps);
    const lingerMs = options.lingerMs ?? DEFAULT_LINGER_MS;
    const stopTimeoutMs = options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
    if (!Number.isFinite(lingerMs) || lingerMs < 0) throw new RangeError("lingerMs must be >= 0");
    if (!Number.isFinite(stopTimeoutMs) || stopTimeoutMs <= 0) {
      throw new RangeError("stopTimeoutMs must be > 0");
    }
    this.#fps = options.fps;
    this.#openStream = options.openStream;
    this.#stopCamera = options.stopCamera;
    this.#onStatus = options.onStatus;
    this.#lingerMs = lingerMs;
    this.#stopTimeoutMs = stopTimeoutMs;
    this.#backoff = options.backoff ?? {};
    this.#log = options.logger;
    this.#now = options.now ?? (() => performance.now());
    const intervalMs = 1000 / options.fps;
    const publishFrame = options.publishFrame;
    const publishFocus = options.publishFocusFrames;
    const staleMs = options.staleMs;
    this.#frames = new LatestThrottle<Uint8Array>({
      intervalMs,
      ...(staleMs === undefined ? {} : { staleMs }),
      send: (jpeg) => publishFrame(jpeg),
      now: this.#now,
      onError: (err) => this.#log?.warn({ err }, "liveview frame publish failed"),
    });
    this.#focus = new LatestThrottle<readonly FocusFrame[]>({
      intervalMs,
      ...(staleMs === undefined ? {} : { staleMs }),
      send: (frames) => {
        publishFocus(frames);
        return undefined;
      },
      now: this.#now,
      onError: (err) => this.#log?.warn({ err }, "liveview focus frames publish failed"),
    });
  }

  /**
   * Enables the stream: from now on it runs whenever there is demand. `signal` firing has the
   * effect of {@link stop} (call `stop()` to wait for the camera stop). Calling it again, or after
   * stop, does nothing.
   */
  start(signal: AbortSignal): void {
    if (this.#started || this.#halted) return;
    this.#started = true;
    if (signal.aborted) {
      this.#halt();
      return;
    }
    this.#lifeSignal = signal;
    signal.addEventListener("abort", this.#onLifeAbort, { once: true });
    this.#update();
  }

  /** MQTT publishing demand (`cmd/liveview` ON/OFF). Turning it on publishes a fresh latest frame at once. */
  setPublishing(on: boolean): void {
    if (on === this.#publishing) return;
    this.#publishing = on;
    if (on) {
      const latest = this.latestFrame(this.#frames.intervalMs);
      if (latest !== null && this.#streaming) this.#frames.offer(latest);
    } else {
      this.#frames.clear();
      this.#focus.clear();
    }
    this.#update();
  }

  /** True while MQTT publishing is on. */
  get publishing(): boolean {
    return this.#publishing;
  }

  /**
   * Changes the MQTT rate (`cmd/liveview_fps`), frames per second.
   * @throws RangeError when outside 0.1–30
   */
  setFps(fps: number): void {
    checkFps(fps);
    this.#fps = fps;
    this.#frames.setInterval(1000 / fps);
    this.#focus.setInterval(1000 / fps);
  }

  /** Current MQTT rate, frames per second. */
  get fps(): number {
    return this.#fps;
  }

  /**
   * Adds a consumer (the MJPEG endpoint of issue 9, tests): it is called synchronously with every
   * trimmed frame while subscribed, at the camera's full rate, and keeps the stream running. A
   * consumer that throws is counted (`consumerErrors`) and logged once; the others still get the
   * frame. A new consumer gets no frame at once: read {@link latestFrame} for that.
   * @returns unsubscribe (idempotent)
   */
  subscribe(consumer: LiveviewConsumer): () => void {
    const entry: ConsumerEntry = { fn: consumer, logged: false };
    this.#consumers = [...this.#consumers, entry];
    this.#update();
    return () => {
      if (!this.#consumers.includes(entry)) return;
      this.#consumers = this.#consumers.filter((e) => e !== entry);
      this.#update();
    };
  }

  /** Number of subscribed consumers. */
  get consumers(): number {
    return this.#consumers.length;
  }

  /**
   * The newest trimmed frame, or null when none arrived yet or (with `maxAgeMs`) it is older than
   * that many ms. The frame may be old when the stream is not running: check {@link stats}.streaming.
   */
  latestFrame(maxAgeMs?: number): Uint8Array | null {
    if (this.#latest === null) return null;
    if (maxAgeMs !== undefined && this.#now() - this.#latestAt > maxAgeMs) return null;
    return this.#latest;
  }

  /** A snapshot of the counters. */
  get stats(): LiveviewPublisherStats {
    const f = this.#frames.stats;
    return {
      received: this.#received,
      published: f.sent,
      dropped: f.superseded + f.stale + f.refused + f.errors,
      stale: f.stale,
      throttled: f.throttled,
      skipped: this.#skipped,
      focusPublished: this.#focus.stats.sent,
      consumerErrors: this.#consumerErrors,
      reconnects: this.#reconnects,
      streaming: this.#streaming,
    };
  }

  /**
   * Stops everything: aborts the stream, clears timers, calls `stopCamera` once if the stream
   * had been opened (bounded by `stopTimeoutMs`), waits (bounded) for a publish in flight.
   * Idempotent: returns the same promise. Never rejects.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#stopAll();
    return this.#stopping;
  }

  async #stopAll(): Promise<void> {
    this.#halt();
    const session = this.#session;
    if (session !== null) await session.done;
    const idle = Promise.all([this.#frames.idle(), this.#focus.idle()]);
    if (!(await settleWithin(idle, this.#stopTimeoutMs))) {
      this.#log?.warn("liveview publish still in flight at stop; not waiting for it");
    }
  }

  /** Synchronous part of stopping (also run when the start signal fires). */
  #halt(): void {
    if (this.#halted) return;
    this.#halted = true;
    this.#lifeSignal?.removeEventListener("abort", this.#onLifeAbort);
    this.#lifeSignal = undefined;
    this.#clearLinger();
    this.#frames.close();
    this.#focus.close();
    const session = this.#session;
    if (session !== null) {
      session.ending = true;
      session.ac.abort(new BridgeError("ABORTED", "liveview publisher stopped"));
    }
  }

  get #demand(): boolean {
    return this.#publishing || this.#consumers.length > 0;
  }

  #clearLinger(): void {
    if (this.#linger !== undefined) clearTimeout(this.#linger);
    this.#linger = undefined;
  }

  /** Reconciles the stream with the demand: open, keep, or arm the linger. */
  #update(): void {
    if (!this.#started || this.#halted) return;
    if (this.#demand) {
      this.#clearLinger();
      // A session that is ending starts a new one when done (see #runSession).
      if (this.#session === null) this.#session = this.#openSession();
      return;
    }
    const session = this.#session;
    if (session === null || session.ending || this.#linger !== undefined) return;
    this.#linger = setTimeout(() => {
      this.#linger = undefined;
      if (this.#demand || this.#session !== session) return;
      session.ending = true;
      session.ac.abort(new BridgeError("ABORTED", "liveview no longer needed"));
    }, this.#lingerMs);
  }

  #openSession(): Session {
    const session: Session = {
      ac: new AbortController(),
      opened: false,
      ending: false,
      attempt: 0,
      done: Promise.resolve(),
    };
    session.done = this.#runSession(session);
    return session;
  }

  /** The supervisor loop of one session: open, read, retry with backoff; then stop the camera. */
  async #runSession(session: Session): Promise<void> {
    const signal = session.ac.signal;
    // A function, not `signal.aborted` inline: TS would keep the narrowing across the awaits.
    const aborted = (): boolean => signal.aborted;
    while (!aborted()) {
      let error: unknown;
      try {
        session.opened = true;
        for await (const ev of this.#openStream(signal)) {
          if (aborted()) break;
          this.#onEvent(ev, session);
        }
        error = new BridgeError("LIVEVIEW_STREAM", "liveview stream ended");
      } catch (e) {
        error = e;
      }
      if (aborted()) break;
      const delayMs = backoffDelay(session.attempt++, this.#backoff);
      this.#failed(error, delayMs);
      if (!(await sleepUnlessAborted(delayMs, signal))) break;
    }
    session.ending = true;
    this.#streaming = false;
    this.#frames.clear();
    this.#focus.clear();
    if (session.opened) await this.#stopCameraBounded();
    this.#status({ state: "stopped" });
    if (this.#session === session) this.#session = null;
    // Demand may have come back while the camera was being stopped.
    this.#update();
  }

  /** Calls stopCamera once, bounded by `stopTimeoutMs` (its signal fires then too); logs failures. */
  async #stopCameraBounded(): Promise<void> {
    const ms = this.#stopTimeoutMs;
    let call: Promise<void>;
    try {
      call = this.#stopCamera(AbortSignal.timeout(ms));
    } catch (err) {
      call = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    const logged = call.then(
      () => undefined,
      (err: unknown) => this.#log?.warn({ err }, "stopping the camera liveview failed"),
    );
    if (!(await settleWithin(logged, ms))) {
      this.#log?.warn({ timeoutMs: ms }, "stopping the camera liveview did not finish in time");
    }
  }

  /** A stream failed (ours, or inside a reconnecting openStream): count, log, report. */
  #failed(error: unknown, delayMs: number): void {
    this.#streaming = false;
    this.#reconnects++;
    if (this.#reported === "reconnecting") {
      this.#log?.debug({ err: error, delayMs }, "liveview stream still failing; retrying");
    } else {
      this.#log?.warn({ err: error, delayMs }, "liveview stream failed; reconnecting");
    }
    this.#status({ state: "reconnecting", error });
  }

  #onEvent(ev: LiveviewSessionEvent, session: Session): void {
    switch (ev.type) {
      case "reconnect":
        this.#failed(ev.error, ev.delayMs);
        return;
      case "jpeg":
        this.#onJpeg(ev, session);
        return;
      case "frame_info":
        if (this.#publishing && ev.frames.length > 0) this.#focus.offer(ev.frames);
        return;
      case "playback_info":
      case "discarded":
        return;
    }
  }

  #onJpeg(ev: LiveviewJpegEvent, session: Session): void {
    const jpeg = trimEvent(ev);
    if (jpeg === null) {
      this.#skipped++;
      return;
    }
    this.#received++;
    this.#latest = jpeg;
    this.#latestAt = this.#now();
    if (!this.#streaming) {
      this.#streaming = true;
      session.attempt = 0; // a stream that delivers frames is healthy: restart the backoff
      this.#status({ state: "started" });
    }
    for (const entry of this.#consumers) {
      try {
        entry.fn(jpeg);
      } catch (err) {
        this.#consumerErrors++;
        if (!entry.logged) {
          entry.logged = true;
          this.#log?.warn({ err }, "liveview consumer threw; further errors only counted");
        }
      }
    }
    if (this.#publishing) this.#frames.offer(jpeg);
  }

  /** Reports a state change; a repeated state (another failed retry) is not reported again. */
  #status(status: LiveviewStreamStatus): void {
    if (status.state === this.#reported) return;
    this.#reported = status.state;
    try {
      this.#onStatus?.(status);
    } catch (err) {
      this.#log?.warn({ err }, "liveview onStatus callback threw");
    }
  }
}
