/**
 * MJPEG over HTTP (issue 9 `/liveview.mjpeg`): the `multipart/x-mixed-replace` framing that
 * browsers, Home Assistant's MJPEG camera, VLC and ffmpeg read, and one {@link MjpegViewer} per
 * connected client.
 *
 * Framing (RFC 2046 §5.1.1; every part carries its own Content-Type and Content-Length so readers
 * need not scan the JPEG for the boundary):
 *
 * ```
 * --<boundary>CRLF
 * Content-Type: image/jpeg CRLF
 * Content-Length: <n> CRLF
 * CRLF
 * <n bytes of JPEG> CRLF
 * ```
 *
 * The CRLF after each JPEG is the one that, per RFC 2046, belongs to the next delimiter line.
 *
 * Back-pressure: the camera delivers frames at its own rate (the QX10 about 30 fps, camera-api.md
 * §5) and the bridge is its single reader (§5.1), so a viewer can never slow the camera down. Each
 * viewer has its own {@link LatestThrottle} with interval 0: a frame is written at once when the
 * viewer's socket has taken the previous one; while it has not ('drain' pending), newer frames
 * replace each other in one slot (counted as skipped). So a slow viewer gets fewer frames, always
 * the newest, and the bridge holds at most one written-but-unsent frame plus one waiting frame per
 * viewer, however slow the viewer is.
 */
import { LatestThrottle } from "../bridge/liveview-throttle.js";

/** The multipart boundary (a token, RFC 2046 §5.1.1: 1–70 characters, no spaces). */
export const MJPEG_BOUNDARY = "qx10-mqtt-mjpeg-frame";

/** `Content-Type` of the MJPEG response. */
export const MJPEG_CONTENT_TYPE = `multipart/x-mixed-replace; boundary=${MJPEG_BOUNDARY}`;

const CRLF = Buffer.from("\r\n", "latin1");

/**
 * The delimiter line and headers that precede a JPEG of `length` bytes (ending with the blank
 * line). Pure.
 */
export function mjpegPartHeader(length: number): Buffer {
  return Buffer.from(
    `--${MJPEG_BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: ${length}\r\n\r\n`,
    "latin1",
  );
}

/** What a viewer writes to: the subset of `http.ServerResponse` (and `stream.Writable`) used. */
export interface MjpegSink {
  write(chunk: Uint8Array): boolean;
  cork(): void;
  uncork(): void;
  /** Bytes queued in the sink (not yet handed to the kernel). */
  readonly writableLength: number;
  readonly destroyed: boolean;
  once(event: "drain" | "close", listener: () => void): unknown;
  off(event: "drain" | "close", listener: () => void): unknown;
  destroy(error?: Error): unknown;
}

/** Options of {@link MjpegViewer}. */
export interface MjpegViewerOptions {
  /**
   * A viewer whose socket takes nothing for this long is disconnected, ms (default 30 000): a
   * client that stopped reading must not hold a frame and a socket forever.
   */
  stallTimeoutMs?: number;
  /** Clock (ms, monotonic), for the throttle; default `performance.now`. */
  now?: () => number;
  /** Told about a failed write (the viewer is then closed). */
  onError?: (error: unknown) => void;
}

/** Counters of one {@link MjpegViewer}. */
export interface MjpegViewerStats {
  /** Frames written to the socket. */
  sent: number;
  /** Frames never written: replaced by a newer one or too old while the socket was full. */
  skipped: number;
  /** JPEG bytes written (without the part headers). */
  bytes: number;
  /** Largest number of bytes seen queued in the sink right after a write. */
  maxBuffered: number;
  /** Times the viewer was disconnected for not reading within the stall timeout (0 or 1). */
  stalled: number;
}

/** Default {@link MjpegViewerOptions.stallTimeoutMs}. */
export const DEFAULT_STALL_TIMEOUT_MS = 30_000;

/**
 * One MJPEG client: offer it every frame; it writes the newest one whenever the client is ready.
 * The response headers must already be sent. {@link close} (or the sink closing) ends it.
 */
export class MjpegViewer {
  readonly #sink: MjpegSink;
  readonly #throttle: LatestThrottle<Uint8Array>;
  readonly #stallTimeoutMs: number;
  #closed = false;
  #sent = 0;
  #bytes = 0;
  #maxBuffered = 0;
  #stalled = 0;
  /** Settles the send waiting for 'drain' (false = the sink went away). */
  #waiting: ((ok: boolean) => void) | null = null;

  constructor(sink: MjpegSink, options: MjpegViewerOptions = {}) {
    this.#sink = sink;
    this.#stallTimeoutMs = options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
    const onError = options.onError;
    this.#throttle = new LatestThrottle<Uint8Array>({
      intervalMs: 0,
      send: (jpeg) => this.#write(jpeg),
      ...(options.now === undefined ? {} : { now: options.now }),
      onError: (err) => {
        onError?.(err);
        this.close();
      },
    });
  }

  /** Offers the newest frame (kept by reference until written or replaced). */
  offer(jpeg: Uint8Array): void {
    if (this.#closed) return;
    this.#throttle.offer(jpeg);
  }

  /** A snapshot of the counters. */
  get stats(): MjpegViewerStats {
    const t = this.#throttle.stats;
    return {
      sent: this.#sent,
      skipped: t.superseded + t.throttled + t.stale,
      bytes: this.#bytes,
      maxBuffered: this.#maxBuffered,
      stalled: this.#stalled,
    };
  }

  /** Stops offering frames and drops the waiting one (the caller ends the response). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#throttle.close();
    this.#settle(false);
  }

  #settle(ok: boolean): void {
    const w = this.#waiting;
    this.#waiting = null;
    w?.(ok);
  }

  /** Writes one part; resolves when the sink can take more (or false when it went away). */
  #write(jpeg: Uint8Array): boolean | Promise<boolean> {
    const sink = this.#sink;
    if (this.#closed || sink.destroyed) return false;
    // One corked batch: header, image and CRLF leave in one go (one TCP segment train, one chunk).
    sink.cork();
    sink.write(mjpegPartHeader(jpeg.length));
    sink.write(jpeg);
    const ready = sink.write(CRLF);
    sink.uncork();
    this.#sent++;
    this.#bytes += jpeg.length;
    this.#maxBuffered = Math.max(this.#maxBuffered, sink.writableLength);
    if (ready) return true;
    return new Promise<boolean>((resolve) => {
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        sink.off("drain", onDrain);
        sink.off("close", onClose);
        resolve(ok);
      };
      const onDrain = (): void => {
        this.#settle(true);
      };
      const onClose = (): void => {
        this.#settle(false);
      };
      const timer = setTimeout(() => {
        this.#stalled++;
        sink.destroy();
        this.#settle(false);
      }, this.#stallTimeoutMs);
      this.#waiting = done;
      sink.once("drain", onDrain);
      sink.once("close", onClose);
    });
  }
}
