/**
 * The HTTP edge of the camera: JSON-RPC calls over undici (camera-api.md §2) and postview
 * downloads (§6.4). It owns timeouts, body caps, sockets and the mapping of every failure onto a
 * {@link BridgeError} code; the envelope itself is the pure codec in `rpc.ts`.
 */
import { Agent, type Dispatcher } from "undici";
import { BridgeError } from "../errors.js";
import { abortError } from "../util/abort.js";
import { decodeResponse, encodeRequest, nextId } from "./rpc.js";
import {
  type CallOptions,
  type CameraDescription,
  type CameraService,
  type RpcCaller,
} from "./types.js";

/** Default cap of a JSON-RPC reply body, bytes (1 MiB; the largest real reply, getMethodTypes, is ~7 kB). */
export const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;

/** Default cap of a postview download, bytes (32 MiB; an "Original" 18 MP JPEG is a few MB). */
export const DEFAULT_MAX_DOWNLOAD_BYTES = 32 * 1024 * 1024;

/** Default timeout of a postview download, ms. */
export const DEFAULT_DOWNLOAD_TIMEOUT_MS = 30_000;

/** Default TCP connect timeout, ms (the camera is one Wi-Fi hop away; longer means it is gone). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

/** Cap on an error body (HTTP ≠ 200) that is read only to pick up the camera's `[code, message]`. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** Default per-call timeouts, ms, chosen per method (camera-api.md §4.1, §6.3, §6.5). */
export const DEFAULT_TIMEOUTS = {
  /** Anything not listed below (the official sample uses 8 s). */
  defaultMs: 10_000,
  /**
   * actTakePicture / awaitTakePicture: the server blocks up to 15 s and then answers 40403; long
   * exposures take "several tens of seconds" (REF240 p.28, camera-api.md §6.3).
   */
  takePictureMs: 35_000,
  /** getEvent `[true]`: the server holds the poll 15–20 s (official client reads for 20 s). */
  longPollMs: 25_000,
  /** setTouchAFPosition: the camera focuses before answering and may itself time out (error 2). */
  touchAfMs: 15_000,
} as const;

/** Timeout overrides of a {@link CameraClient}; every field falls back to {@link DEFAULT_TIMEOUTS}. */
export interface CameraClientTimeouts {
  /** Default for methods without a specific timeout, ms. */
  defaultMs?: number;
  /** actTakePicture / awaitTakePicture, ms. */
  takePictureMs?: number;
  /** getEvent with `[true]` (long poll), ms. */
  longPollMs?: number;
  /** setTouchAFPosition, ms. */
  touchAfMs?: number;
  /** Per-method overrides by method name, ms; they win over everything above. */
  methods?: Readonly<Record<string, number>>;
}

/** Options of {@link CameraClient}. */
export interface CameraClientOptions {
  /** Endpoint per service, e.g. `{camera: "http://10.0.0.1:10000/sony/camera"}`. */
  endpoints: CameraDescription["endpoints"];
  /** Per-call timeout overrides. */
  timeouts?: CameraClientTimeouts;
  /** TCP connect timeout, ms. Default {@link DEFAULT_CONNECT_TIMEOUT_MS}. Ignored with `dispatcher`. */
  connectTimeoutMs?: number;
  /** Cap of a JSON-RPC reply body, bytes. Default {@link DEFAULT_MAX_RESPONSE_BYTES}. */
  maxResponseBytes?: number;
  /**
   * An undici dispatcher to use instead of the client's own Agent. The caller keeps ownership:
   * {@link CameraClient.close} does not close it.
   */
  dispatcher?: Dispatcher;
}

/** Options of {@link CameraClient.download}. */
export interface DownloadOptions {
  /** Aborts the download (code `ABORTED`). */
  signal?: AbortSignal;
  /** Whole-download timeout, ms. Default {@link DEFAULT_DOWNLOAD_TIMEOUT_MS}. */
  timeoutMs?: number;
  /** Cap on the body, bytes. Default {@link DEFAULT_MAX_DOWNLOAD_BYTES}. */
  maxBytes?: number;
}

/** A downloaded postview image. */
export interface Download {
  bytes: Buffer;
  /** The `Content-Type` header, or null when the camera sent none. */
  contentType: string | null;
}

/**
 * Default timeout of one call, ms, from the method and its params (see {@link DEFAULT_TIMEOUTS}).
 * Overrides in `timeouts` win; `timeouts.methods[method]` wins over all.
 */
export function defaultTimeoutMs(
  method: string,
  params: readonly unknown[],
  timeouts: CameraClientTimeouts = {},
): number {
  const perMethod = timeouts.methods?.[method];
  if (perMethod !== undefined) return perMethod;
  switch (method) {
    case "actTakePicture":
    case "awaitTakePicture":
      return timeouts.takePictureMs ?? DEFAULT_TIMEOUTS.takePictureMs;
    case "getEvent":
      return params[0] === true
        ? (timeouts.longPollMs ?? DEFAULT_TIMEOUTS.longPollMs)
        : (timeouts.defaultMs ?? DEFAULT_TIMEOUTS.defaultMs);
    case "setTouchAFPosition":
      return timeouts.touchAfMs ?? DEFAULT_TIMEOUTS.touchAfMs;
    default:
      return timeouts.defaultMs ?? DEFAULT_TIMEOUTS.defaultMs;
  }
}

/**
 * Keeps a timeout within what a timer can hold: at least 1 ms, at most 2^31-1 ms (Node fires
 * larger delays at once), and NaN as the default.
 */
function clampTimeout(ms: number): number {
  if (Number.isNaN(ms)) return DEFAULT_TIMEOUTS.defaultMs;
  return Math.min(Math.max(1, Math.round(ms)), 2_147_483_647);
}

/** Error codes (own and in `cause`) meaning the peer cannot be reached or dropped the connection. */
const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EHOSTUNREACH",
  "EHOSTDOWN",
  "ENETUNREACH",
  "ENETDOWN",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
  "ETIMEDOUT",
  "EADDRNOTAVAIL",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_CLOSED",
  "UND_ERR_DESTROYED",
  // A body cut short: undici reports a connection lost mid-body (even a TCP reset) this way.
  "UND_ERR_RES_CONTENT_LENGTH_MISMATCH",
]);

/** undici's own read timeouts (a backstop behind our timer). */
const TIMEOUT_CODES = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]);

/** Malformed HTTP from the peer. */
const PROTOCOL_CODES = new Set(["UND_ERR_RES_EXCEEDED_MAX_SIZE", "UND_ERR_INFO"]);

/** The `code` strings of an error and its `cause` chain (bounded depth). */
function errorCodes(e: unknown): string[] {
  const codes: string[] = [];
  let current: unknown = e;
  for (let depth = 0; depth < 5 && typeof current === "object" && current !== null; depth++) {
    const code: unknown = (current as { code?: unknown }).code;
    if (typeof code === "string") codes.push(code);
    current = (current as { cause?: unknown }).cause;
  }
  return codes;
}

/** Per-request bookkeeping shared by `call` and `download`. */
interface Attempt {
  controller: AbortController;
  timedOut: boolean;
}

/**
 * The JSON-RPC client of one camera (implements {@link RpcCaller}).
 *
 * Every request goes out with `Connection: close`: QX/AS cameras serve one request per TCP
 * connection and close it (camera-api.md §2.2), so keeping sockets alive would only race the
 * camera's close. The client owns an undici Agent (unless given a dispatcher) and
 * {@link CameraClient.close} releases it and aborts calls in flight.
 */
export class CameraClient implements RpcCaller {
  private readonly endpoints: CameraDescription["endpoints"];
  private readonly timeouts: CameraClientTimeouts;
  private readonly maxResponseBytes: number;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly inFlight = new Set<Attempt>();
  private lastId = 0;
  private closing: Promise<void> | undefined;

  constructor(options: CameraClientOptions) {
    this.endpoints = options.endpoints;
    this.timeouts = options.timeouts ?? {};
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.ownsDispatcher = options.dispatcher === undefined;
    // Up to 6 parallel requests per origin (a long poll, a take-picture wait, commands), below
    // the 7 server threads of the Smart Remote app (camera-api.md §1.4, SRC); more would queue.
    this.dispatcher =
      options.dispatcher ??
      new Agent({
        connections: 6,
        pipelining: 1,
        // Every request sends `Connection: close`, so no socket is ever reused; the only idle
        // sockets are spares undici may open after an aborted exchange: let them go quickly.
        keepAliveTimeout: 100,
        connect: { timeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS },
      });
  }

  /**
   * Calls `method` on `service` and resolves with the reply's `result` (or `results`) array.
   * @param params - default `[]`
   * @param version - default "1.0"
   * @param options - `signal` aborts (code `ABORTED`); `timeoutMs` overrides the per-method default
   *   ({@link defaultTimeoutMs}) and covers the whole exchange, body included
   * @throws BridgeError CAMERA_RPC (camera error, `cameraCode` = its code), CAMERA_HTTP (HTTP status
   *   ≠ 200, `cameraCode` = the status), CAMERA_TIMEOUT, CAMERA_UNREACHABLE, CAMERA_PROTOCOL
   *   (malformed or oversize reply), CAMERA_NOT_FOUND (no endpoint for `service`), COMMAND_INVALID
   *   (bad params/version), ABORTED (signal fired or client closed)
   */
  async call(
    service: CameraService,
    method: string,
    params: readonly unknown[] = [],
    version = "1.0",
    options: CallOptions = {},
  ): Promise<unknown[]> {
    const endpoint = this.endpoints[service];
    if (endpoint === undefined) {
      throw new BridgeError("CAMERA_NOT_FOUND", `camera has no "${service}" service endpoint`, {
        context: { service, method },
      });
    }
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch (e) {
      throw new BridgeError("CAMERA_NOT_FOUND", `invalid ${service} endpoint: ${endpoint}`, {
        cause: e,
      });
    }
    this.lastId = nextId(this.lastId);
    const id = this.lastId;
    const body = encodeRequest(method, params, id, version);
    const timeoutMs = clampTimeout(
      options.timeoutMs ?? defaultTimeoutMs(method, params, this.timeouts),
    );
    const what = `${service}/${method}`;

    return this.withAttempt(what, timeoutMs, options.signal, async (attempt) => {
      const response = await this.dispatcher.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
        signal: attempt.controller.signal,
        reset: true,
        // Our timer governs; undici's own timeouts only back it up.
        headersTimeout: timeoutMs + 5_000,
        bodyTimeout: timeoutMs + 5_000,
      });
      if (response.statusCode !== 200) {
        // REF240: for HTTP failures the HTTP status is the error code; QX10 403 bodies carry
        // `[403, "<method>"]` (camera-api.md §2.2), so use the body's message when it parses.
        const text = await readBodyText(response.body, MAX_ERROR_BODY_BYTES).catch(() => "");
        let detail = "";
        try {
          const decoded = decodeResponse(text, id);
          if (!decoded.ok) detail = decoded.message;
        } catch {
          // not a JSON-RPC error body: keep the status alone
        }
        throw new BridgeError(
          "CAMERA_HTTP",
          `${what}: HTTP ${response.statusCode}${detail === "" ? "" : ` "${detail}"`}`,
          { cameraCode: response.statusCode, context: { service, method } },
        );
      }
      const text = await readBodyText(response.body, this.maxResponseBytes, what, response.headers);
      const decoded = decodeResponse(text, id);
      if (!decoded.ok) {
        throw new BridgeError("CAMERA_RPC", `${what}: camera error "${decoded.message}"`, {
          cameraCode: decoded.code,
          context: { service, method },
        });
      }
      return decoded.result;
    });
  }

  /**
   * Downloads a postview image (camera-api.md §6.4). The URL is sent verbatim, query string
   * included (QX cameras append a DLNA string such as `?%211234%21http%2dget%3a…`).
   * @throws BridgeError CAMERA_HTTP (status ≠ 200), CAMERA_PROTOCOL (over `maxBytes`, bad URL),
   *   CAMERA_TIMEOUT, CAMERA_UNREACHABLE, ABORTED
   */
  async download(url: string, options: DownloadOptions = {}): Promise<Download> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch (e) {
      throw new BridgeError("CAMERA_PROTOCOL", `postview URL is not a URL: ${url}`, { cause: e });
    }
    if (parsed.protocol !== "http:") {
      throw new BridgeError("CAMERA_PROTOCOL", `postview URL is not http: ${url}`);
    }
    const path = verbatimPath(url);
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_DOWNLOAD_BYTES;
    const timeoutMs = clampTimeout(options.timeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS);
    const what = `download ${parsed.pathname}`;

    return this.withAttempt(what, timeoutMs, options.signal, async (attempt) => {
      const response = await this.dispatcher.request({
        origin: parsed.origin,
        path,
        method: "GET",
        signal: attempt.controller.signal,
        reset: true,
        headersTimeout: timeoutMs + 5_000,
        bodyTimeout: timeoutMs + 5_000,
      });
      if (response.statusCode !== 200) {
        await response.body.dump({ limit: MAX_ERROR_BODY_BYTES }).catch(() => undefined);
        throw new BridgeError("CAMERA_HTTP", `${what}: HTTP ${response.statusCode}`, {
          cameraCode: response.statusCode,
          context: { url },
        });
      }
      const bytes = await readBodyCapped(response.body, maxBytes, what, response.headers);
      const type = response.headers["content-type"];
      return { bytes, contentType: typeof type === "string" ? type : null };
    });
  }

  /**
   * Aborts calls in flight (they reject with `ABORTED`) and releases the sockets. Idempotent: later
   * calls return the first promise. A dispatcher passed in the options is left open.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const attempt of this.inFlight) {
        attempt.controller.abort(new BridgeError("ABORTED", "camera client closed"));
      }
      if (this.ownsDispatcher) await this.dispatcher.destroy();
    })();
    return this.closing;
  }

  /**
   * Runs one request under a timer and the caller's signal, and maps every failure to a
   * BridgeError. The timer and listener are always removed.
   */
  private async withAttempt<T>(
    what: string,
    timeoutMs: number,
    signal: AbortSignal | undefined,
    run: (attempt: Attempt) => Promise<T>,
  ): Promise<T> {
    if (this.closing !== undefined) throw new BridgeError("ABORTED", "camera client closed");
    if (signal?.aborted === true) throw abortError(signal);
    const attempt: Attempt = { controller: new AbortController(), timedOut: false };
    const timer = setTimeout(() => {
      attempt.timedOut = true;
      attempt.controller.abort(
        new BridgeError("CAMERA_TIMEOUT", `${what}: no answer within ${timeoutMs} ms`),
      );
    }, timeoutMs);
    const onAbort = (): void => {
      if (signal !== undefined) attempt.controller.abort(abortError(signal));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    this.inFlight.add(attempt);
    try {
      return await run(attempt);
    } catch (e) {
      throw classify(e, what, timeoutMs, attempt, signal);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      this.inFlight.delete(attempt);
    }
  }
}

/** Maps a failure of one request onto the BridgeError the caller should see. */
function classify(
  e: unknown,
  what: string,
  timeoutMs: number,
  attempt: Attempt,
  signal: AbortSignal | undefined,
): BridgeError {
  // Why the request ended matters more than how undici reported it.
  if (signal?.aborted === true) return abortError(signal);
  if (attempt.timedOut) {
    return new BridgeError("CAMERA_TIMEOUT", `${what}: no answer within ${timeoutMs} ms`, {
      cause: e,
    });
  }
  if (e instanceof BridgeError) return e;
  if (attempt.controller.signal.aborted) {
    const reason: unknown = attempt.controller.signal.reason;
    if (reason instanceof BridgeError) return reason;
  }
  const codes = errorCodes(e);
  if (codes.some((c) => TIMEOUT_CODES.has(c))) {
    return new BridgeError("CAMERA_TIMEOUT", `${what}: camera stopped answering`, { cause: e });
  }
  if (codes.some((c) => PROTOCOL_CODES.has(c) || c.startsWith("HPE_"))) {
    return new BridgeError("CAMERA_PROTOCOL", `${what}: malformed HTTP reply`, { cause: e });
  }
  if (codes.some((c) => UNREACHABLE_CODES.has(c))) {
    return new BridgeError("CAMERA_UNREACHABLE", `${what}: ${codes.join("/")}`, { cause: e });
  }
  // Anything else from the transport (unknown socket errors) means we could not talk to it.
  return new BridgeError("CAMERA_UNREACHABLE", `${what}: request failed`, { cause: e });
}

/** The path and query of `url` exactly as written (no re-encoding by a URL parser). */
function verbatimPath(url: string): string {
  const afterScheme = url.indexOf("//");
  const slash = url.indexOf("/", afterScheme + 2);
  const query = url.indexOf("?", afterScheme + 2);
  const start = slash < 0 ? query : query < 0 ? slash : Math.min(slash, query);
  if (start < 0) return "/";
  const rest = url.slice(start);
  const hash = rest.indexOf("#");
  const path = hash < 0 ? rest : rest.slice(0, hash);
  return path.startsWith("/") ? path : `/${path}`;
}

type Body = Dispatcher.ResponseData["body"];

/**
 * Destroys a body that was not read to its end, which makes undici drop its socket. undici then
 * emits an abort error on the body; nobody reads it any more, so it is swallowed here.
 */
function discard(body: Body): void {
  if (body.destroyed || body.readableEnded) return;
  body.on("error", () => undefined);
  body.destroy();
}

/**
 * Reads a body up to `maxBytes`. Over the cap the body (and so its socket) is destroyed and the
 * read fails with CAMERA_PROTOCOL; on any failure the body is destroyed, never left half-read.
 */
async function readBodyCapped(
  body: Body,
  maxBytes: number,
  what = "reply",
  headers: Dispatcher.ResponseData["headers"] = {},
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    // Refuse a declared oversize body before reading any of it.
    const declared = Number(headers["content-length"]);
    if (Number.isFinite(declared) && declared > maxBytes) {
      throw new BridgeError(
        "CAMERA_PROTOCOL",
        `${what}: body of ${declared} bytes exceeds ${maxBytes}`,
        {
          context: { maxBytes, declared },
        },
      );
    }
    for await (const chunk of body as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > maxBytes) {
        throw new BridgeError("CAMERA_PROTOCOL", `${what}: body larger than ${maxBytes} bytes`, {
          context: { maxBytes },
        });
      }
      chunks.push(chunk);
    }
  } finally {
    discard(body);
  }
  return Buffer.concat(chunks, total);
}

async function readBodyText(
  body: Body,
  maxBytes: number,
  what?: string,
  headers?: Dispatcher.ResponseData["headers"],
): Promise<string> {
  return (await readBodyCapped(body, maxBytes, what, headers)).toString("utf8");
}
