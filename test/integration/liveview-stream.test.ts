/**
 * liveviewEvents and liveviewSession over real HTTP on 127.0.0.1 (camera-api.md §5.1): a small
 * server writes packets built with encode.ts as chunked bodies (header and payload in separate
 * writes, like the QX10), then ends, drops, stalls, or streams until the client goes away.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { type AddressInfo } from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { BridgeError, isBridgeError } from "../../src/errors.js";
import { type LiveviewEvent } from "../../src/liveview/codec.js";
import { encodeSpec, randomSpecs, rng, type PacketSpec } from "../helpers/liveview-data.js";
import {
  liveviewEvents,
  liveviewSession,
  type LiveviewSessionEvent,
} from "../../src/liveview/stream.js";

const specs: PacketSpec[] = randomSpecs(rng(1), 40);
const packets = specs.map((s) => encodeSpec(s, rng(2)));

/** Writes a packet as two chunks: the 136-byte headers, then data + padding (QX10, §5.1). */
function writePacket(res: ServerResponse, i: number): void {
  const p = packets[i % packets.length] ?? Buffer.alloc(0);
  res.write(p.subarray(0, 136));
  res.write(p.subarray(136));
}

let server: Server;
let base = "";
/** Sockets closed after a response started, by path: proves the client released the body. */
const closed = new Map<string, number>();
const opened = new Map<string, number>();

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? "/", "http://x").pathname;
  opened.set(path, (opened.get(path) ?? 0) + 1);
  res.on("close", () => closed.set(path, (closed.get(path) ?? 0) + 1));
  switch (path) {
    case "/end": // five packets, then a clean end of the body
      res.writeHead(200);
      for (let i = 0; i < 5; i++) writePacket(res, i);
      res.end();
      return;
    case "/drop": {
      // three packets and half of a fourth, then the connection drops
      res.writeHead(200);
      for (let i = 0; i < 3; i++) writePacket(res, i);
      const half = packets[3]?.subarray(0, 200) ?? Buffer.alloc(0);
      res.write(half, () => setTimeout(() => req.socket.destroy(), 20));
      return;
    }
    case "/404":
      res.writeHead(404).end("no");
      return;
    case "/stall": // two packets, then silence
      res.writeHead(200);
      writePacket(res, 0);
      writePacket(res, 1);
      return;
    case "/endless": {
      res.writeHead(200);
      for (let i = 0; !res.destroyed && !res.writableEnded; i++) {
        writePacket(res, i);
        await delay(5);
      }
      return;
    }
    default:
      res.writeHead(500).end();
  }
}

beforeAll(async () => {
  server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(() => {
  closed.clear();
  opened.clear();
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
});

/** Collects events until the generator throws; returns both. */
async function collect(
  gen: AsyncGenerator<LiveviewEvent>,
  limit = Infinity,
): Promise<{ events: LiveviewEvent[]; error: unknown }> {
  const events: LiveviewEvent[] = [];
  try {
    for await (const e of gen) {
      events.push(e);
      if (events.length >= limit) break;
    }
  } catch (error) {
    return { events, error };
  }
  return { events, error: undefined };
}

async function waitFor(cond: () => boolean, ms = 2000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error("condition not met");
    await delay(5);
  }
}

function seqs(events: LiveviewEvent[]): number[] {
  return events.flatMap((e) => (e.type === "discarded" ? [] : [e.sequence]));
}

describe("liveviewEvents", () => {
  it("yields the packets, then LIVEVIEW_STREAM when the body ends", async () => {
    const { events, error } = await collect(
      liveviewEvents(`${base}/end`, { signal: new AbortController().signal }),
    );
    expect(seqs(events)).toEqual(specs.slice(0, 5).map((s) => s.sequence));
    expect(events.map((e) => e.type)).toEqual(
      specs.slice(0, 5).map((s) => (s.kind === "jpeg" ? "jpeg" : s.kind)),
    );
    expect(isBridgeError(error, "LIVEVIEW_STREAM")).toBe(true);
  });

  it("a dropped connection gives LIVEVIEW_STREAM with the cause, after the truncated tail", async () => {
    const { events, error } = await collect(
      liveviewEvents(`${base}/drop`, { signal: new AbortController().signal }),
    );
    expect(seqs(events)).toEqual(specs.slice(0, 3).map((s) => s.sequence));
    expect(events.at(-1)).toMatchObject({ type: "discarded", reason: "truncated", bytes: 200 });
    expect(isBridgeError(error, "LIVEVIEW_STREAM")).toBe(true);
    expect((error as BridgeError).cause).toBeInstanceOf(Error);
  });

  it("HTTP 404 gives LIVEVIEW_STREAM with the status as cameraCode", async () => {
    const { events, error } = await collect(
      liveviewEvents(`${base}/404`, { signal: new AbortController().signal }),
    );
    expect(events).toEqual([]);
    expect(isBridgeError(error, "LIVEVIEW_STREAM")).toBe(true);
    expect((error as BridgeError).cameraCode).toBe(404);
  });

  it("connection refused gives LIVEVIEW_STREAM with the undici error as cause", async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) =>
      probe.close(() => {
        resolve();
      }),
    );
    const { error } = await collect(
      liveviewEvents(`http://127.0.0.1:${port}/x`, { signal: new AbortController().signal }),
    );
    expect(isBridgeError(error, "LIVEVIEW_STREAM")).toBe(true);
    expect((error as BridgeError).cause).toMatchObject({ code: "ECONNREFUSED" });
  });

  it("abort gives ABORTED and releases the body", async () => {
    const ac = new AbortController();
    const gen = liveviewEvents(`${base}/endless`, { signal: ac.signal });
    const events: LiveviewEvent[] = [];
    let error: unknown;
    try {
      for await (const e of gen) {
        events.push(e);
        if (events.length === 10) ac.abort();
      }
    } catch (e) {
      error = e;
    }
    expect(events.length).toBeGreaterThanOrEqual(10);
    expect(isBridgeError(error, "ABORTED")).toBe(true);
    await waitFor(() => closed.get("/endless") === 1);
  });

  it("an already aborted signal throws ABORTED without connecting", async () => {
    const ac = new AbortController();
    ac.abort();
    const { error } = await collect(liveviewEvents(`${base}/endless`, { signal: ac.signal }));
    expect(isBridgeError(error, "ABORTED")).toBe(true);
    expect(opened.get("/endless")).toBeUndefined();
  });

  it("a consumer that stops early releases the body", async () => {
    const { events } = await collect(
      liveviewEvents(`${base}/endless`, { signal: new AbortController().signal }),
      7,
    );
    expect(events).toHaveLength(7);
    await waitFor(() => closed.get("/endless") === 1);
  });

  it("a silent camera ends the stream after idleTimeoutMs; a slow consumer does not", async () => {
    const t0 = Date.now();
    const { events, error } = await collect(
      liveviewEvents(`${base}/stall`, { signal: new AbortController().signal, idleTimeoutMs: 150 }),
    );
    expect(seqs(events)).toEqual(specs.slice(0, 2).map((s) => s.sequence));
    expect(isBridgeError(error, "LIVEVIEW_STREAM")).toBe(true);
    expect((error as BridgeError).message).toMatch(/no liveview data/);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    await waitFor(() => closed.get("/stall") === 1);

    // The consumer holds each event longer than the idle timeout: not a stall.
    const slow: LiveviewEvent[] = [];
    for await (const e of liveviewEvents(`${base}/endless`, {
      signal: new AbortController().signal,
      idleTimeoutMs: 100,
    })) {
      slow.push(e);
      await delay(150);
      if (slow.length === 4) break;
    }
    expect(slow).toHaveLength(4);
  });
});

describe("liveviewSession", () => {
  it("reconnects with backoff (openUrl called again) and resumes; abort stops it", async () => {
    const ac = new AbortController();
    const urls = [`${base}/drop`, `${base}/404`, `${base}/end`, `${base}/endless`];
    let calls = 0;
    const got: LiveviewSessionEvent[] = [];
    let error: unknown;
    try {
      for await (const e of liveviewSession({
        signal: ac.signal,
        openUrl: (signal) => {
          expect(signal).toBe(ac.signal);
          const url = urls[Math.min(calls, urls.length - 1)] ?? "";
          calls++;
          return Promise.resolve(url);
        },
        backoff: { baseMs: 1, minMs: 1, maxMs: 5 },
      })) {
        got.push(e);
        if (calls === 4 && got.filter((x) => x.type === "jpeg").length > 20) ac.abort();
      }
    } catch (e) {
      error = e;
    }
    expect(isBridgeError(error, "ABORTED")).toBe(true);
    expect(calls).toBe(4);
    const reconnects = got.filter((e) => e.type === "reconnect");
    // /drop decoded packets (attempt resets), /404 decoded none (attempt 2), /end decoded again.
    expect(reconnects.map((e) => [e.attempt, e.error.code, e.error.cameraCode])).toEqual([
      [1, "LIVEVIEW_STREAM", undefined],
      [2, "LIVEVIEW_STREAM", 404],
      [1, "LIVEVIEW_STREAM", undefined],
    ]);
    for (const r of reconnects) expect(r.delayMs).toBeLessThanOrEqual(5);
    expect(got.findIndex((e) => e.type === "reconnect")).toBe(4); // 3 packets + truncated tail
    await waitFor(() => closed.get("/endless") === 1);
  });

  it("retries a failing openUrl, and throws what shouldRetry declines", async () => {
    const ac = new AbortController();
    let calls = 0;
    const gen = liveviewSession({
      signal: ac.signal,
      openUrl: () => {
        calls++;
        if (calls === 1) return Promise.reject(new Error("boom"));
        if (calls === 2) {
          return Promise.reject(new BridgeError("CAMERA_RPC", "not now", { cameraCode: 1 }));
        }
        return Promise.reject(new BridgeError("CAMERA_RPC", "illegal", { cameraCode: 7 }));
      },
      backoff: { baseMs: 1, minMs: 1, maxMs: 2 },
      shouldRetry: (e) => e.cameraCode !== 7,
    });
    const got: LiveviewSessionEvent[] = [];
    let error: unknown;
    try {
      for await (const e of gen) got.push(e);
    } catch (e) {
      error = e;
    }
    expect(got.map((e) => (e.type === "reconnect" ? [e.attempt, e.error.code] : e.type))).toEqual([
      [1, "LIVEVIEW_STREAM"],
      [2, "CAMERA_RPC"],
    ]);
    expect(isBridgeError(error, "CAMERA_RPC")).toBe(true);
    expect((error as BridgeError).cameraCode).toBe(7);
  });

  it("abort during the backoff wait gives ABORTED", async () => {
    const ac = new AbortController();
    const gen = liveviewSession({
      signal: ac.signal,
      openUrl: () => Promise.resolve(`${base}/404`),
      backoff: { baseMs: 60_000, minMs: 60_000, maxMs: 60_000 },
    });
    const first = await gen.next();
    expect(first.value).toMatchObject({ type: "reconnect", attempt: 1, delayMs: 60_000 });
    setTimeout(() => {
      ac.abort();
    }, 20);
    await expect(gen.next()).rejects.toMatchObject({ code: "ABORTED" });
  });
});
