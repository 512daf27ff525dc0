/**
 * The HTTP server (src/http/server.ts) over real loopback sockets against a scripted bridge: basic
 * auth, `/liveview.jpg` waiting for a frame or answering 503, MJPEG framing and the first frame,
 * stop ending open streams, cross-site POSTs, body cap, result → HTTP status, methods and paths,
 * HEAD, and a port that cannot be listened on.
 */
import { createServer, type Server } from "node:net";
import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { type BridgeStatus, type LastSnapshot } from "../../src/bridge/bridge.js";
import { type CommandResult } from "../../src/bridge/commands.js";
import { buildStateDocument, type StateDocument } from "../../src/bridge/state.js";
import { initialCameraState } from "../../src/camera/events.js";
import { isBridgeError } from "../../src/errors.js";
import { HttpServer, type HttpBridge, type HttpConfig } from "../../src/http/server.js";
import { createLogger } from "../../src/log.js";
import { isJpeg, openMjpeg } from "./http-mjpeg-reader.js";

function jpeg(tag: number, n = 2000): Uint8Array {
  const b = new Uint8Array(n).fill(0x11);
  b.set([0xff, 0xd8, tag]);
  b.set([0xff, 0xd9], n - 2);
  return b;
}

class FakeBridge implements HttpBridge {
  readonly consumers = new Set<(jpeg: Uint8Array) => void>();
  latest: Uint8Array | null = null;
  /** Whether {@link latest} counts as fresh for a maxAgeMs query. */
  fresh = true;
  lastSnapshot: LastSnapshot | null = null;
  readonly commands: { name: string; payload: string }[] = [];
  result: CommandResult = { status: "ok", data: { done: true } };
  readonly status: BridgeStatus = {
    version: "9.9.9",
    mqtt_connected: false,
    camera_online: true,
    camera_status: "IDLE",
    camera_model: "DSC-QX10",
    liveview_streaming: false,
    liveview_consumers: 0,
    liveview_publishing: false,
  };

  subscribeLiveview(consumer: (jpeg: Uint8Array) => void): () => void {
    this.consumers.add(consumer);
    return () => this.consumers.delete(consumer);
  }
  latestLiveviewFrame(maxAgeMs?: number): Uint8Array | null {
    return maxAgeMs === undefined || this.fresh ? this.latest : null;
  }
  stateDocument(): StateDocument {
    return buildStateDocument(
      initialCameraState(),
      { liveview: false, liveviewFps: 2 },
      new Date(0),
    );
  }
  runCommand(name: string, payload: Uint8Array): Promise<CommandResult> {
    this.commands.push({ name, payload: Buffer.from(payload).toString() });
    return Promise.resolve(this.result);
  }
  push(frame: Uint8Array): void {
    this.latest = frame;
    for (const c of this.consumers) c(frame);
  }
}

const NO_AUTH: HttpConfig = {
  enabled: true,
  host: "127.0.0.1",
  port: 0,
  auth: { mode: "none", token: null, username: null, password: null },
};

const servers: HttpServer[] = [];
const blockers: Server[] = [];

async function serve(
  bridge: HttpBridge,
  config: HttpConfig = NO_AUTH,
): Promise<{ server: HttpServer; url: string }> {
  const server = new HttpServer({
    config,
    bridge,
    logger: createLogger({ level: "silent" }),
    stillWaitMs: 300,
  });
  servers.push(server);
  await server.start(new AbortController().signal);
  return { server, url: server.url ?? "" };
}

async function fetchRaw(url: string, options: Parameters<typeof request>[1] = {}) {
  const res = await request(url, options);
  const body = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, headers: res.headers, body };
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
  for (const b of blockers.splice(0)) b.close();
});

describe("HttpServer", () => {
  it("basic auth: 401 with a Basic challenge, 200 with the right credentials", async () => {
    const bridge = new FakeBridge();
    const { url } = await serve(bridge, {
      ...NO_AUTH,
      auth: { mode: "basic", token: null, username: "anna", password: "s3cret" },
    });
    const denied = await fetchRaw(`${url}/healthz`);
    expect(denied.status).toBe(401);
    expect(denied.headers["www-authenticate"]).toBe('Basic realm="qx10-mqtt", charset="UTF-8"');
    const wrong = await fetchRaw(`${url}/healthz`, {
      headers: { authorization: `Basic ${Buffer.from("anna:nope").toString("base64")}` },
    });
    expect(wrong.status).toBe(401);
    const ok = await fetchRaw(`${url}/healthz`, {
      headers: { authorization: `Basic ${Buffer.from("anna:s3cret").toString("base64")}` },
    });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body.toString())).toEqual({ status: "ok", ...bridge.status });
  });

  it("/liveview.jpg: 503 with Retry-After when no frame comes, and lets go of the stream", async () => {
    const bridge = new FakeBridge();
    const { url } = await serve(bridge);
    const res = await fetchRaw(`${url}/liveview.jpg`);
    expect(res.status).toBe(503);
    expect(res.headers["retry-after"]).toBe("1");
    expect(bridge.consumers.size).toBe(0);
  });

  it("/liveview.jpg: a fresh frame at once, else the next one (subscribing starts the stream)", async () => {
    const bridge = new FakeBridge();
    const { url } = await serve(bridge);
    bridge.latest = jpeg(1);
    expect((await fetchRaw(`${url}/liveview.jpg`)).body[2]).toBe(1);
    bridge.fresh = false; // the stream is not running; only a new frame will do
    const pending = fetchRaw(`${url}/liveview.jpg`);
    await expect.poll(() => bridge.consumers.size).toBe(1);
    bridge.push(jpeg(2));
    const res = await pending;
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("image/jpeg");
    expect(res.body[2]).toBe(2);
    expect(isJpeg(res.body)).toBe(true);
    expect(bridge.consumers.size).toBe(0);
  });

  it("/picture.jpg: 404 without a picture, the bytes with ETag and Last-Modified with one", async () => {
    const bridge = new FakeBridge();
    const { url } = await serve(bridge);
    expect((await fetchRaw(`${url}/picture.jpg`)).status).toBe(404);
    const bytes = jpeg(7, 5000);
    bridge.lastSnapshot = {
      bytes,
      attributes: {
        taken_at: "2026-11-24T10:00:00.000Z",
        url: "http://10.0.0.1:60152/pict.JPG",
        bytes: bytes.length,
        width: 640,
        height: 480,
        filename: "pict.JPG",
        saved_path: null,
      },
    };
    const res = await fetchRaw(`${url}/picture.jpg`);
    expect(res.status).toBe(200);
    expect(Buffer.compare(res.body, bytes)).toBe(0);
    expect(res.headers["last-modified"]).toBe("Tue, 24 Nov 2026 10:00:00 GMT");
    expect(res.headers["content-disposition"]).toBe('inline; filename="pict.JPG"');
    const etag = String(res.headers["etag"]);
    expect(
      (await fetchRaw(`${url}/picture.jpg`, { headers: { "if-none-match": etag } })).status,
    ).toBe(304);
  });

  it("MJPEG: the fresh latest frame first, then every pushed frame; stop() ends the stream", async () => {
    const bridge = new FakeBridge();
    const { server, url } = await serve(bridge);
    bridge.latest = jpeg(0);
    const reader = await openMjpeg(`${url}/liveview.mjpeg`);
    expect(reader.response.headers["content-type"]).toBe(
      "multipart/x-mixed-replace; boundary=qx10-mqtt-mjpeg-frame",
    );
    await expect.poll(() => bridge.consumers.size).toBe(1);
    for (let i = 1; i <= 5; i++) {
      bridge.push(jpeg(i));
      await expect.poll(() => reader.count()).toBe(i + 1);
    }
    expect(reader.parts.map((p) => p.jpeg[2])).toEqual([0, 1, 2, 3, 4, 5]);
    expect(reader.parts[0]?.headers).toEqual({
      "content-type": "image/jpeg",
      "content-length": "2000",
    });
    expect(server.stats).toMatchObject({ viewers: 1, viewersTotal: 1, framesSent: 6 });
    await server.stop();
    await reader.done;
    expect(bridge.consumers.size).toBe(0);
    expect(server.stats).toMatchObject({ viewers: 0, framesSent: 6, framesSkipped: 0 });
    await server.stop(); // idempotent
  });

  it("HEAD /liveview.mjpeg answers the headers without subscribing", async () => {
    const bridge = new FakeBridge();
    const { url } = await serve(bridge);
    const res = await fetchRaw(`${url}/liveview.mjpeg`, { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^multipart\/x-mixed-replace; boundary=/);
    expect(res.body.length).toBe(0);
    expect(bridge.consumers.size).toBe(0);
  });

  it("serves the page, state, and answers 404/405 elsewhere", async () => {
    const bridge = new FakeBridge();
    const { url } = await serve(bridge);
    const page = await fetchRaw(`${url}/`);
    expect(page.status).toBe(200);
    expect(page.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(page.headers["content-security-policy"]).toContain("default-src 'self'");
    const html = page.body.toString();
    expect(html).toContain("src"); // the MJPEG <img> is set by the script
    expect(html).toContain("/liveview.mjpeg");
    expect(html).toContain("/api/cmd/");
    const state = JSON.parse((await fetchRaw(`${url}/api/state`)).body.toString()) as Record<
      string,
      unknown
    >;
    expect(Object.keys(state)).toEqual(["state", "status", "picture", "viewers"]);
    expect(state["picture"]).toBeNull();
    expect((await fetchRaw(`${url}/nope`)).status).toBe(404);
    const put = await fetchRaw(`${url}/`, { method: "PUT", body: "x" });
    expect(put.status).toBe(405);
    expect(put.headers["allow"]).toBe("GET, HEAD");
    expect((await fetchRaw(`${url}/api/cmd/shoot`)).status).toBe(405);
    expect(bridge.commands).toEqual([]);
  });

  it("POST /api/cmd/<name> hands the body to the bridge and maps the result to a status", async () => {
    const bridge = new FakeBridge();
    const { url } = await serve(bridge);
    const ok = await fetchRaw(`${url}/api/cmd/zoom`, { method: "POST", body: "in" });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body.toString())).toEqual({ status: "ok", data: { done: true } });
    bridge.result = { status: "error", error: "camera is offline", code: "CAMERA_OFFLINE" };
    expect((await fetchRaw(`${url}/api/cmd/shoot`, { method: "POST", body: "" })).status).toBe(503);
    bridge.result = { status: "error", error: "Illegal State", code: 7 };
    const cam = await fetchRaw(`${url}/api/cmd/shoot`, { method: "POST", body: "" });
    expect(cam.status).toBe(502);
    expect(JSON.parse(cam.body.toString())).toEqual(bridge.result);
    expect(bridge.commands).toEqual([
      { name: "zoom", payload: "in" },
      { name: "shoot", payload: "" },
      { name: "shoot", payload: "" },
    ]);
  });

  it("refuses cross-site POSTs and bodies over 64 KiB; same-origin POSTs pass", async () => {
    const bridge = new FakeBridge();
    const { url } = await serve(bridge);
    const host = new URL(url).host;
    const evil = await fetchRaw(`${url}/api/cmd/shoot`, {
      method: "POST",
      body: "",
      headers: { origin: "https://evil.example" },
    });
    expect(evil.status).toBe(403);
    const same = await fetchRaw(`${url}/api/cmd/shoot`, {
      method: "POST",
      body: "",
      headers: { origin: `http://${host}` },
    });
    expect(same.status).toBe(200);
    const big = await fetchRaw(`${url}/api/cmd/rpc`, {
      method: "POST",
      body: "x".repeat(64 * 1024 + 1),
    });
    expect(big.status).toBe(413);
    expect(bridge.commands).toEqual([{ name: "shoot", payload: "" }]);
  });

  it("a port in use is a CONFIG_INVALID error naming the address", async () => {
    const blocker = createServer();
    blockers.push(blocker);
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as { port: number }).port;
    const server = new HttpServer({
      config: { ...NO_AUTH, port },
      bridge: new FakeBridge(),
      logger: createLogger({ level: "silent" }),
    });
    servers.push(server);
    let caught: unknown;
    try {
      await server.start(new AbortController().signal);
    } catch (e) {
      caught = e;
    }
    expect(isBridgeError(caught, "CONFIG_INVALID")).toBe(true);
    expect((caught as Error).message).toBe(
      `http.host/http.port: cannot listen on 127.0.0.1:${port} (EADDRINUSE) (CONFIG_INVALID)`,
    );
  });
});
