/**
 * The HTTP server of issue 9: live view for people and video clients, next to MQTT.
 *
 * | path | what |
 * | --- | --- |
 * | `GET /` | the web page (./page.ts): live view, Shoot, zoom, shoot mode, last picture, status |
 * | `GET /liveview.mjpeg` | MJPEG (`multipart/x-mixed-replace`) at the camera's full rate (./mjpeg.ts) |
 * | `GET /liveview.jpg` | the newest liveview frame (waits briefly for a fresh one; 503 when none) |
 * | `GET /picture.jpg` | the last picture taken (404 when none since start) |
 * | `GET /healthz` | 200 and a small JSON of the bridge and camera status |
 * | `GET /api/state` | the state document, the status and the last picture's attributes |
 * | `POST /api/cmd/<name>` | runs `<name>` with the body as payload, exactly like `<base>/cmd/<name>` |
 *
 * - The camera serves one liveview reader (camera-api.md §5.1), which is the bridge; viewers
 *   subscribe to its frames, and their demand keeps the camera stream running (the bridge's
 *   liveview publisher stops it a linger after the last one leaves).
 * - Off by default; listens on 127.0.0.1 unless configured (config `http`). With `http.auth`
 *   every path needs the token or the basic credentials (./auth.ts, constant-time comparison).
 * - Cross-site requests: a POST whose `Origin` is not this server is refused (403), so a web page
 *   elsewhere cannot make the visitor's browser take pictures. Images and the stream may be
 *   embedded anywhere (dashboards).
 * - Memory: a viewer holds at most two frames (./mjpeg.ts); request bodies are capped at
 *   {@link MAX_PAYLOAD_BYTES}; a viewer that stops reading is dropped after the stall timeout.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { type AddressInfo } from "node:net";
import { type BridgeStatus, type LastSnapshot } from "../bridge/bridge.js";
import { MAX_PAYLOAD_BYTES, type CommandResult } from "../bridge/commands.js";
import { type StateDocument } from "../bridge/state.js";
import { type Config } from "../config/load.js";
import { BridgeError } from "../errors.js";
import { type Logger } from "../log.js";
import { checkAuth, checkAuthConfig } from "./auth.js";
import {
  DEFAULT_STALL_TIMEOUT_MS,
  MJPEG_CONTENT_TYPE,
  MjpegViewer,
  type MjpegViewerStats,
} from "./mjpeg.js";
import { PAGE_HTML } from "./page.js";

/** `config.http`. */
export type HttpConfig = Config["http"];

/** What the server needs from the bridge (src/bridge/bridge.ts `Bridge` provides it). */
export interface HttpBridge {
  /** Adds a frame consumer (keeps the camera stream running); returns unsubscribe. */
  subscribeLiveview(consumer: (jpeg: Uint8Array) => void): () => void;
  /** The newest frame, or null when none or (with `maxAgeMs`) older than that, ms. */
  latestLiveviewFrame(maxAgeMs?: number): Uint8Array | null;
  /** The last picture published, or null. */
  readonly lastSnapshot: LastSnapshot | null;
  /** The state document as `<base>/state` would carry it now. */
  stateDocument(): StateDocument;
  /** Bridge and camera status. */
  readonly status: BridgeStatus;
  /** Runs a command like `<base>/cmd/<name>` with `payload`; never rejects. */
  runCommand(name: string, payload: Uint8Array): Promise<CommandResult>;
}

/** Options of {@link HttpServer}. */
export interface HttpServerOptions {
  /** `config.http` (`enabled` is the caller's business: constructing means serving). */
  config: HttpConfig;
  bridge: HttpBridge;
  logger: Logger;
  /** How long `/liveview.jpg` waits for a fresh frame when there is none, ms (default 3000). */
  stillWaitMs?: number;
  /** A frame younger than this counts as fresh for `/liveview.jpg` and a new viewer, ms (default 1000). */
  freshFrameMs?: number;
  /** A viewer whose socket takes nothing for this long is dropped, ms (default 30 000). */
  stallTimeoutMs?: number;
}

/** Counters of {@link HttpServer.stats}. */
export interface HttpServerStats {
  /** MJPEG viewers connected now. */
  viewers: number;
  /** MJPEG viewers since start. */
  viewersTotal: number;
  /** Frames written to MJPEG viewers (closed ones included). */
  framesSent: number;
  /** Frames skipped for slow MJPEG viewers (closed ones included). */
  framesSkipped: number;
  /** Viewers dropped for not reading within the stall timeout. */
  stalled: number;
  /** Requests answered 401. */
  unauthorized: number;
  /** The connected viewers' own counters. */
  perViewer: MjpegViewerStats[];
}

/** Default of {@link HttpServerOptions.stillWaitMs}. */
export const DEFAULT_STILL_WAIT_MS = 3000;
/** Default of {@link HttpServerOptions.freshFrameMs}. */
export const DEFAULT_FRESH_FRAME_MS = 1000;

/** Headers of every response that must not be cached (live data). */
const NO_STORE = { "Cache-Control": "no-store, no-cache, must-revalidate", Pragma: "no-cache" };
/** Headers of every response. */
const COMMON = { "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer" };

/** HTTP status of `POST /api/cmd/<name>` per result code (the body is the result itself). */
const COMMAND_HTTP_STATUS: Readonly<Record<string, number>> = {
  COMMAND_INVALID: 400,
  RPC_NOT_ALLOWED: 403,
  NOT_AVAILABLE: 409,
  INTERNAL: 500,
  CAMERA_OFFLINE: 503,
  BUSY: 503,
  ABORTED: 503,
};

/** 200 for ok; the table above; 502 for the rest (the camera refused or failed). */
function commandHttpStatus(result: CommandResult): number {
  if (result.status === "ok") return 200;
  return typeof result.code === "string" ? (COMMAND_HTTP_STATUS[result.code] ?? 502) : 502;
}

/** The host[:port] of an Origin header, or null when it is absent or opaque ("null"). */
function originHost(origin: string | undefined): string | null {
  if (origin === undefined || origin === "null") return null;
  try {
    return new URL(origin).host.toLowerCase();
  } catch {
    return "";
  }
}

/** The HTTP server. Construct, `start(signal)`, `await stop()`. */
export class HttpServer {
  readonly #config: HttpConfig;
  readonly #bridge: HttpBridge;
  readonly #log: Logger;
  readonly #stillWaitMs: number;
  readonly #freshFrameMs: number;
  readonly #stallTimeoutMs: number;
  readonly #viewers = new Set<MjpegViewer>();
  /** Ends the open MJPEG responses and still waits on stop. */
  readonly #controller = new AbortController();
  #server: Server | undefined;
  #address: AddressInfo | undefined;
  #stopPromise: Promise<void> | undefined;
  #viewersTotal = 0;
  #closedSent = 0;
  #closedSkipped = 0;
  #stalled = 0;
  #unauthorized = 0;

  /** @throws BridgeError CONFIG_INVALID when `config.auth` lacks what its mode needs */
  constructor(options: HttpServerOptions) {
    checkAuthConfig(options.config.auth);
    this.#config = options.config;
    this.#bridge = options.bridge;
    this.#log = options.logger.child({ component: "http" });
    this.#stillWaitMs = options.stillWaitMs ?? DEFAULT_STILL_WAIT_MS;
    this.#freshFrameMs = options.freshFrameMs ?? DEFAULT_FRESH_FRAME_MS;
    this.#stallTimeoutMs = options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
  }

  /**
   * Listens on `config.host:config.port`. `signal` firing has the effect of {@link stop}.
   * @throws BridgeError CONFIG_INVALID when the address cannot be used (in use, not local: the
   *   configuration has to change); ABORTED when `signal` fired first
   */
  async start(signal: AbortSignal): Promise<void> {
    if (this.#server !== undefined) return;
    if (signal.aborted) throw new BridgeError("ABORTED", "aborted before the HTTP server started");
    const server = createServer((req, res) => {
      this.#handle(req, res).catch((e: unknown) => {
        // The path only: the query may hold the token.
        this.#log.warn({ err: e, path: (req.url ?? "").split("?")[0] }, "HTTP request failed");
        if (!res.headersSent) this.#json(res, 500, { error: "internal error" });
        else res.destroy();
      });
    });
    this.#server = server;
    const { host, port } = this.#config;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen({ host, port }, () => {
          server.off("error", reject);
          resolve();
        });
      });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? "error";
      throw new BridgeError(
        "CONFIG_INVALID",
        `http.host/http.port: cannot listen on ${host}:${port} (${code})`,
        { cause: e, context: { host, port } },
      );
    }
    server.on("error", (e) => {
      this.#log.warn({ err: e }, "HTTP server error");
    });
    this.#address = server.address() as AddressInfo;
    signal.addEventListener("abort", () => void this.stop(), { once: true });
    this.#log.info({ url: this.url, auth: this.#config.auth.mode }, "HTTP server listening");
  }

  /** Where it listens (after start), e.g. `{address: "127.0.0.1", port: 8080}`; else undefined. */
  get address(): { address: string; port: number } | undefined {
    const a = this.#address;
    return a === undefined ? undefined : { address: a.address, port: a.port };
  }

  /** `http://host:port` of the listening server (IPv6 in brackets), or undefined before start. */
  get url(): string | undefined {
    const a = this.#address;
    if (a === undefined) return undefined;
    const host = a.family === "IPv6" ? `[${a.address}]` : a.address;
    return `http://${host}:${a.port}`;
  }

  /** A snapshot of the counters. */
  get stats(): HttpServerStats {
    const perViewer = [...this.#viewers].map((v) => v.stats);
    return {
      viewers: this.#viewers.size,
      viewersTotal: this.#viewersTotal,
      framesSent: this.#closedSent + perViewer.reduce((n, s) => n + s.sent, 0),
      framesSkipped: this.#closedSkipped + perViewer.reduce((n, s) => n + s.skipped, 0),
      stalled: this.#stalled + perViewer.reduce((n, s) => n + s.stalled, 0),
      unauthorized: this.#unauthorized,
      perViewer,
    };
  }

  /**
   * Stops listening, ends every MJPEG stream and closes every connection. Idempotent; never
   * rejects.
   */
  stop(): Promise<void> {
    this.#stopPromise ??= this.#stop();
    return this.#stopPromise;
  }

  async #stop(): Promise<void> {
    this.#controller.abort(new BridgeError("ABORTED", "HTTP server stopping"));
    const server = this.#server;
    if (server === undefined) return;
    const closed = new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
    });
    server.closeAllConnections();
    await closed;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    const verdict = checkAuth(
      this.#config.auth,
      req.headers.authorization,
      url.searchParams.get("token"),
    );
    if (!verdict.ok) {
      this.#unauthorized++;
      res.writeHead(401, { ...COMMON, "WWW-Authenticate": verdict.challenge });
      res.end("authentication required\n");
      return;
    }
    const path = url.pathname;
    const method = req.method ?? "GET";
    if (path.startsWith("/api/cmd/")) {
      if (method !== "POST") {
        this.#methodNotAllowed(res, "POST");
        return;
      }
      await this.#command(req, res, path.slice("/api/cmd/".length));
      return;
    }
    if (method !== "GET" && method !== "HEAD") {
      this.#methodNotAllowed(res, "GET, HEAD");
      return;
    }
    switch (path) {
      case "/":
      case "/index.html":
        res.writeHead(200, {
          ...COMMON,
          ...NO_STORE,
          "Content-Type": "text/html; charset=utf-8",
          "Content-Security-Policy":
            "default-src 'self'; img-src 'self' data: blob:; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'",
        });
        res.end(PAGE_HTML);
        return;
      case "/liveview.mjpeg":
        this.#mjpeg(req, res);
        return;
      case "/liveview.jpg":
        await this.#still(res);
        return;
      case "/picture.jpg":
        this.#picture(req, res);
        return;
      case "/healthz":
        this.#json(res, 200, { status: "ok", ...this.#bridge.status });
        return;
      case "/api/state":
        this.#json(res, 200, {
          state: this.#bridge.stateDocument(),
          status: this.#bridge.status,
          picture: this.#bridge.lastSnapshot?.attributes ?? null,
          viewers: this.#viewers.size,
        });
        return;
      default:
        res.writeHead(404, { ...COMMON, "Content-Type": "text/plain; charset=utf-8" });
        res.end("not found\n");
    }
  }

  #methodNotAllowed(res: ServerResponse, allow: string): void {
    res.writeHead(405, { ...COMMON, Allow: allow, "Content-Type": "text/plain; charset=utf-8" });
    res.end("method not allowed\n");
  }

  #json(res: ServerResponse, status: number, value: unknown): void {
    const body = JSON.stringify(value);
    res.writeHead(status, {
      ...COMMON,
      ...NO_STORE,
      "Content-Type": "application/json; charset=utf-8",
      "Content-Length": Buffer.byteLength(body),
    });
    res.end(body);
  }

  #jpeg(res: ServerResponse, jpeg: Uint8Array, headers: Record<string, string> = {}): void {
    res.writeHead(200, {
      ...COMMON,
      ...NO_STORE,
      ...headers,
      "Content-Type": "image/jpeg",
      "Content-Length": jpeg.length,
    });
    res.end(jpeg);
  }

  #mjpeg(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      ...COMMON,
      ...NO_STORE,
      "Content-Type": MJPEG_CONTENT_TYPE,
      Connection: "close",
      // Reverse proxies (nginx) must pass each frame on at once, not buffer the stream.
      "X-Accel-Buffering": "no",
    });
    if (req.method === "HEAD" || this.#controller.signal.aborted) {
      res.end();
      return;
    }
    res.flushHeaders();
    // Frames are small and latency matters more than segment count.
    req.socket.setNoDelay(true);
    const viewer = new MjpegViewer(res, {
      stallTimeoutMs: this.#stallTimeoutMs,
      onError: (err) => {
        this.#log.debug({ err }, "MJPEG write failed");
      },
    });
    this.#viewers.add(viewer);
    this.#viewersTotal++;
    // A fresh frame at once, so a new viewer does not wait for the next camera frame.
    const first = this.#bridge.latestLiveviewFrame(this.#freshFrameMs);
    if (first !== null) viewer.offer(first);
    const unsubscribe = this.#bridge.subscribeLiveview((jpeg) => {
      viewer.offer(jpeg);
    });
    const signal = this.#controller.signal;
    const end = (): void => {
      signal.removeEventListener("abort", end);
      res.off("close", end);
      unsubscribe();
      viewer.close();
      if (this.#viewers.delete(viewer)) {
        const s = viewer.stats;
        this.#closedSent += s.sent;
        this.#closedSkipped += s.skipped;
        this.#stalled += s.stalled;
      }
      if (!res.writableEnded) res.end();
    };
    res.on("close", end);
    signal.addEventListener("abort", end, { once: true });
    this.#log.debug({ viewers: this.#viewers.size }, "MJPEG viewer connected");
  }

  /** `/liveview.jpg`: a fresh frame, waiting up to stillWaitMs (which also starts the stream). */
  async #still(res: ServerResponse): Promise<void> {
    const jpeg =
      this.#bridge.latestLiveviewFrame(this.#freshFrameMs) ?? (await this.#nextFrame(res));
    if (jpeg === null) {
      if (res.destroyed) return;
      res.writeHead(503, {
        ...COMMON,
        ...NO_STORE,
        "Retry-After": "1",
        "Content-Type": "text/plain; charset=utf-8",
      });
      res.end("no liveview frame yet\n");
      return;
    }
    this.#jpeg(res, jpeg);
  }

  /** The next frame within stillWaitMs, or null (timeout, client gone, server stopping). */
  #nextFrame(res: ServerResponse): Promise<Uint8Array | null> {
    const signal = this.#controller.signal;
    if (signal.aborted) return Promise.resolve(null);
    return new Promise((resolve) => {
      const done = (jpeg: Uint8Array | null): void => {
        clearTimeout(timer);
        unsubscribe();
        signal.removeEventListener("abort", onGone);
        res.off("close", onGone);
        resolve(jpeg);
      };
      const onGone = (): void => {
        done(null);
      };
      const timer = setTimeout(onGone, this.#stillWaitMs);
      // Subscribing is what starts the camera stream when nothing else needs it.
      const unsubscribe = this.#bridge.subscribeLiveview((jpeg) => {
        done(jpeg);
      });
      signal.addEventListener("abort", onGone, { once: true });
      res.on("close", onGone);
    });
  }

  #picture(req: IncomingMessage, res: ServerResponse): void {
    const snap = this.#bridge.lastSnapshot;
    if (snap === null) {
      res.writeHead(404, { ...COMMON, ...NO_STORE, "Content-Type": "text/plain; charset=utf-8" });
      res.end("no picture taken since the bridge started\n");
      return;
    }
    const a = snap.attributes;
    const etag = `"${Date.parse(a.taken_at).toString(36)}-${a.bytes.toString(36)}"`;
    const headers = {
      ETag: etag,
      "Last-Modified": new Date(a.taken_at).toUTCString(),
      "Content-Disposition": `inline; filename="${a.filename}"`,
    };
    if (req.headers["if-none-match"] === etag) {
      res.writeHead(304, { ...COMMON, ...NO_STORE, ...headers });
      res.end();
      return;
    }
    this.#jpeg(res, snap.bytes, headers);
  }

  async #command(req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
    const origin = originHost(req.headers.origin);
    if (origin !== null && origin !== (req.headers.host ?? "").toLowerCase()) {
      this.#json(res, 403, {
        status: "error",
        error: "cross-site request refused",
        code: "FORBIDDEN",
      });
      return;
    }
    const body = await readBody(req, MAX_PAYLOAD_BYTES);
    if (body === null) {
      res.shouldKeepAlive = false; // the rest of the body is not read
      this.#json(res, 413, {
        status: "error",
        error: `payload larger than ${MAX_PAYLOAD_BYTES} bytes`,
        code: "COMMAND_INVALID",
      });
      return;
    }
    const result = await this.#bridge.runCommand(decodeURIComponentSafe(name), body);
    if (res.destroyed) return;
    this.#json(res, commandHttpStatus(result), result);
  }
}

/** `decodeURIComponent` that returns the input when it is malformed (the parser then refuses it). */
function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The request body, or null when it exceeds `max` bytes (the rest is not read). */
async function readBody(req: IncomingMessage, max: number): Promise<Uint8Array | null> {
  const declared = Number(req.headers["content-length"] ?? "0");
  if (declared > max) return null;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
