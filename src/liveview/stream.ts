/**
 * The liveview HTTP edge (camera-api.md §5.1): GET the URL that startLiveview returned, feed the
 * endless body to a {@link LiveviewDecoder}, yield its events. Plus {@link liveviewSession}, which
 * reconnects (calling startLiveview again, §5.4) with backoff.
 *
 * Backpressure comes from the async iteration: the body is read only as fast as the consumer
 * pulls. The body is destroyed on every path (end, error, abort, consumer stopping early).
 */
import { request, type Dispatcher } from "undici";
import { BridgeError, isBridgeError } from "../errors.js";
import { abortError, sleep, throwIfAborted } from "../util/abort.js";
import { backoffDelay, type BackoffOptions } from "../util/backoff.js";
import { LiveviewDecoder, type LiveviewEvent } from "./codec.js";

/** Default idle timeout: the camera's own stall limit is 10 s (`SEND_BLOCKING_TIMEOUT`, §5.1). */
export const DEFAULT_LIVEVIEW_IDLE_TIMEOUT_MS = 10_000;

function ignoreError(): void {
  // The stream is being released; its late errors have no reader.
}

/** Options of {@link liveviewEvents}. */
export interface LiveviewStreamOptions {
  /** Stops the stream; the generator then throws `ABORTED`. */
  signal: AbortSignal;
  /** Largest accepted packet payload, bytes (decoder default 1 MiB). */
  maxPayloadBytes?: number;
  /**
   * Longest wait for the response headers or the next body bytes, ms (default 10 000). Time
   * the consumer spends between pulls does not count.
   */
  idleTimeoutMs?: number;
  /** undici dispatcher (default: the global one). */
  dispatcher?: Dispatcher;
}

/**
 * GETs the liveview `url` and yields decoded events until the stream ends. Never returns
 * normally: when the body ends it yields what the decoder still held (a `truncated` discard)
 * and throws.
 * @throws BridgeError `LIVEVIEW_STREAM`: connection failed or dropped (undici error as `cause`),
 *   HTTP status other than 200 (`cameraCode` = status), no bytes for `idleTimeoutMs`, or the body
 *   ended; `ABORTED` when `signal` fires.
 */
export async function* liveviewEvents(
  url: string,
  options: LiveviewStreamOptions,
): AsyncGenerator<LiveviewEvent, never, undefined> {
  const { signal } = options;
  throwIfAborted(signal);
  const idleMs = options.idleTimeoutMs ?? DEFAULT_LIVEVIEW_IDLE_TIMEOUT_MS;
  const idle = new AbortController();
  // The timer runs all the time; it only counts while we wait for the camera, not while the
  // consumer holds an event (a slow MQTT publish must not look like a stalled camera).
  let waiting = true;
  const timer = setTimeout(() => {
    if (waiting) {
      idle.abort(
        new BridgeError("LIVEVIEW_STREAM", `no liveview data for ${idleMs} ms`, {
          context: { url },
        }),
      );
    }
  }, idleMs);
  const combined = AbortSignal.any([signal, idle.signal]);
  const decoder = new LiveviewDecoder(
    options.maxPayloadBytes === undefined ? {} : { maxPayloadBytes: options.maxPayloadBytes },
  );

  const failure = (e: unknown, what: string): BridgeError => {
    if (signal.aborted) return abortError(signal);
    const reason: unknown = idle.signal.reason;
    if (idle.signal.aborted && isBridgeError(reason)) return reason;
    if (isBridgeError(e)) return e;
    return new BridgeError("LIVEVIEW_STREAM", what, { cause: e, context: { url } });
  };

  let body: Dispatcher.ResponseData["body"] | undefined;
  let error: BridgeError;
  try {
    try {
      const response = await request(url, {
        method: "GET",
        signal: combined,
        // Our idle timer covers both; undici's own would also fire while the consumer is slow.
        headersTimeout: 0,
        bodyTimeout: 0,
        ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }),
      });
      body = response.body;
      if (response.statusCode !== 200) {
        throw new BridgeError("LIVEVIEW_STREAM", `liveview GET: HTTP ${response.statusCode}`, {
          cameraCode: response.statusCode,
          context: { url },
        });
      }
    } catch (e) {
      throw failure(e, "liveview GET failed");
    }
    const chunks = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    for (;;) {
      waiting = true;
      timer.refresh();
      let next: IteratorResult<Buffer>;
      try {
        next = await chunks.next();
      } catch (e) {
        throw failure(e, "liveview stream failed");
      } finally {
        waiting = false;
      }
      if (next.done === true) break;
      for (const event of decoder.push(next.value)) yield event;
    }
    error = new BridgeError("LIVEVIEW_STREAM", "liveview stream ended", {
      context: { url, bytes: decoder.stats.bytesIn },
    });
  } catch (e) {
    error = failure(e, "liveview stream failed");
  } finally {
    clearTimeout(timer);
    if (body !== undefined && !body.destroyed) {
      // Destroying an unfinished undici body emits RequestAbortedError: nobody listens any more.
      body.on("error", ignoreError);
      body.destroy();
    }
  }
  if (error.code !== "ABORTED") {
    for (const event of decoder.end()) yield event;
  }
  throw error;
}

/** Reported by {@link liveviewSession} before it waits and reconnects. */
export interface LiveviewReconnectEvent {
  type: "reconnect";
  /** Consecutive failures so far (1 = the first since the last healthy stream). */
  attempt: number;
  /** How long the session waits before calling `openUrl` again, ms. */
  delayMs: number;
  /** Why the previous stream or `openUrl` call ended. */
  error: BridgeError;
}

/** What {@link liveviewSession} yields. */
export type LiveviewSessionEvent = LiveviewEvent | LiveviewReconnectEvent;

/** Options of {@link liveviewSession}. */
export interface LiveviewSessionOptions extends LiveviewStreamOptions {
  /**
   * Returns a fresh liveview URL: the caller's startLiveview call (camera-api.md §5.4: reconnect
   * = call startLiveview again). Called for the first stream and before every reconnect.
   */
  openUrl: (signal: AbortSignal) => Promise<string>;
  /** Backoff between attempts (src/util/backoff.ts defaults: 500 ms base, 30 s cap). */
  backoff?: BackoffOptions;
  /**
   * Whether to reconnect after `error` (default: always, except `ABORTED`). Returning false makes
   * the session throw `error`.
   */
  shouldRetry?: (error: BridgeError) => boolean;
}

/**
 * Liveview across reconnects: opens a URL with `openUrl`, yields the stream's events, and when
 * the stream or `openUrl` fails yields a {@link LiveviewReconnectEvent}, waits with exponential
 * backoff and starts again. The attempt count resets once a stream decodes a packet.
 * @throws BridgeError `ABORTED` when `signal` fires; any error `shouldRetry` declines (an
 *   `openUrl` failure that is not a BridgeError is wrapped as `LIVEVIEW_STREAM`)
 */
export async function* liveviewSession(
  options: LiveviewSessionOptions,
): AsyncGenerator<LiveviewSessionEvent, never, undefined> {
  const { signal, openUrl, backoff, shouldRetry } = options;
  const streamOptions: LiveviewStreamOptions = {
    signal,
    ...(options.maxPayloadBytes === undefined ? {} : { maxPayloadBytes: options.maxPayloadBytes }),
    ...(options.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: options.idleTimeoutMs }),
    ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }),
  };
  let attempt = 0;
  for (;;) {
    throwIfAborted(signal);
    let error: BridgeError;
    try {
      const url = await openUrl(signal);
      for await (const event of liveviewEvents(url, streamOptions)) {
        if (event.type !== "discarded") attempt = 0;
        yield event;
      }
      // liveviewEvents never returns; kept for the type checker.
      error = new BridgeError("LIVEVIEW_STREAM", "liveview stream ended");
    } catch (e) {
      if (signal.aborted) throw abortError(signal);
      error = isBridgeError(e)
        ? e
        : new BridgeError("LIVEVIEW_STREAM", "opening the liveview failed", { cause: e });
    }
    if (error.code === "ABORTED" || (shouldRetry !== undefined && !shouldRetry(error))) {
      throw error;
    }
    attempt++;
    const delayMs = backoffDelay(attempt - 1, backoff);
    yield { type: "reconnect", attempt, delayMs, error };
    await sleep(delayMs, signal);
  }
}
