/**
 * The simulator's liveview stream over real HTTP on 127.0.0.1 (camera-api.md §5): read with a raw
 * TCP client so the chunked framing itself is observed, then de-chunked and parsed packet by
 * packet with a tiny header parser of our own (not the project's decoder).
 */
import { getDefaultHighWaterMark } from "node:stream";
import { createServer, type Server } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  LiveviewServer,
  splitRecordedStream,
  type LiveviewServerOptions,
  type SentPacketInfo,
} from "../../src/sim/liveview.js";
import { LiveviewDecoder, type LiveviewEvent } from "../../src/liveview/codec.js";
import { readSimComment } from "../../src/sim/pattern.js";
import { haveFixtures, readFixture } from "../helpers/fixtures.js";

// ---------------------------------------------------------------------------------------------
// Helpers: a raw HTTP/1.1 reader that keeps the chunk sizes, and a packet parser.

/** Reads one HTTP response from a raw socket, de-chunking it and keeping each chunk's size. */
class RawReader {
  readonly socket: Socket;
  status: number | undefined;
  headers = new Map<string, string>();
  readonly chunkSizes: number[] = [];
  body = Buffer.alloc(0);
  /** The terminating zero-size chunk arrived (a clean end). */
  ended = false;
  /** The socket closed. */
  closed = false;
  #raw = Buffer.alloc(0);
  #state: "head" | "size" | "data" | "crlf" | "done" = "head";
  #need = 0;

  constructor(port: number, path = "/liveview.JPG", method = "GET") {
    this.socket = connect(port, "127.0.0.1");
    this.socket.write(`${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    this.socket.on("data", (d: Buffer) => {
      this.#raw = Buffer.concat([this.#raw, d]);
      this.#parse();
    });
    this.socket.on("error", () => undefined);
    this.socket.on("close", () => {
      this.closed = true;
    });
  }

  #parse(): void {
    for (;;) {
      if (this.#state === "head") {
        const end = this.#raw.indexOf("\r\n\r\n");
        if (end < 0) return;
        const lines = this.#raw.subarray(0, end).toString("latin1").split("\r\n");
        this.status = Number(lines[0]!.split(" ")[1]);
        for (const l of lines.slice(1)) {
          const i = l.indexOf(":");
          this.headers.set(l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim());
        }
        this.#raw = this.#raw.subarray(end + 4);
        if (this.headers.get("transfer-encoding") !== "chunked") {
          this.#state = "done";
          return;
        }
        this.#state = "size";
      } else if (this.#state === "size") {
        const end = this.#raw.indexOf("\r\n");
        if (end < 0) return;
        const size = parseInt(this.#raw.subarray(0, end).toString("latin1"), 16);
        this.#raw = this.#raw.subarray(end + 2);
        if (size === 0) {
          this.ended = true;
          this.#state = "done";
          return;
        }
        this.chunkSizes.push(size);
        this.#need = size;
        this.#state = "data";
      } else if (this.#state === "data") {
        if (this.#raw.length === 0) return;
        const take = Math.min(this.#need, this.#raw.length);
        this.body = Buffer.concat([this.body, this.#raw.subarray(0, take)]);
        this.#raw = this.#raw.subarray(take);
        this.#need -= take;
        if (this.#need === 0) this.#state = "crlf";
      } else if (this.#state === "crlf") {
        if (this.#raw.length < 2) return;
        expect(this.#raw.subarray(0, 2).toString("latin1")).toBe("\r\n");
        this.#raw = this.#raw.subarray(2);
        this.#state = "size";
      } else {
        return;
      }
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

interface Packet {
  type: number;
  seq: number;
  ts: number;
  size: number;
  padding: number;
  payloadHeader: Buffer;
  data: Buffer;
  raw: Buffer;
}

/** Parses complete packets by their lengths (§5.2); returns them and the leftover bytes. */
function parsePackets(body: Buffer): { packets: Packet[]; rest: number } {
  const packets: Packet[] = [];
  let o = 0;
  while (o + 136 <= body.length) {
    expect(body[o]).toBe(0xff);
    expect(body.readUInt32BE(o + 8)).toBe(0x24356879);
    const size = body.readUIntBE(o + 12, 3);
    const padding = body[o + 15]!;
    const end = o + 136 + size + padding;
    if (end > body.length) break;
    packets.push({
      type: body[o + 1]!,
      seq: body.readUInt16BE(o + 2),
      ts: body.readUInt32BE(o + 4),
      size,
      padding,
      payloadHeader: body.subarray(o + 8, o + 136),
      data: body.subarray(o + 136, o + 136 + size),
      raw: body.subarray(o, end),
    });
    o = end;
  }
  return { packets, rest: body.length - o };
}

/** Offset just past the structural EOI: marker segments to SOS, then the first FF D9 (§5.4). */
function jpegEnd(jpeg: Buffer): number {
  let p = 2;
  while (jpeg[p + 1] !== 0xda) p += 2 + jpeg.readUInt16BE(p + 2);
  p += 2 + jpeg.readUInt16BE(p + 2);
  for (;;) {
    if (jpeg[p] === 0xff && jpeg[p + 1] === 0xd9) return p + 2;
    p++;
    if (p >= jpeg.length) return -1;
  }
}

async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function sleepMs(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

// ---------------------------------------------------------------------------------------------

interface Harness {
  lv: LiveviewServer;
  port: number;
  sent: { bytes: Buffer; info: SentPacketInfo }[];
  reader(path?: string, method?: string): RawReader;
}

let servers: Server[] = [];
let liveviews: LiveviewServer[] = [];
let readers: RawReader[] = [];

afterEach(async () => {
  for (const r of readers) r.close();
  for (const lv of liveviews) lv.stop();
  await Promise.all(
    servers.map(
      (s) =>
        new Promise<void>((resolve) => {
          s.closeAllConnections();
          s.close(() => {
            resolve();
          });
        }),
    ),
  );
  servers = [];
  liveviews = [];
  readers = [];
});

async function start(options: LiveviewServerOptions = {}): Promise<Harness> {
  const sent: Harness["sent"] = [];
  const lv = new LiveviewServer({
    fps: 100,
    onPacket: (bytes, info) => sent.push({ bytes: Buffer.from(bytes), info }),
    ...options,
  });
  const server = createServer((req, res) => {
    lv.handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(server);
  liveviews.push(lv);
  const port = (server.address() as AddressInfo).port;
  return {
    lv,
    port,
    sent,
    reader(path, method) {
      const r = new RawReader(port, path, method);
      readers.push(r);
      return r;
    },
  };
}

describe("liveview stream (pattern)", () => {
  it("sends chunked packets: headers and JPEG in separate chunks, QX padding, seq from 0", async () => {
    const h = await start();
    const r = h.reader();
    await until(() => parsePackets(r.body).packets.length >= 12, "12 packets");
    expect(r.status).toBe(200);
    expect(r.headers.get("transfer-encoding")).toBe("chunked");
    const { packets } = parsePackets(r.body);
    // Chunks alternate: 136-byte headers, then the padded JPEG region.
    packets.forEach((p, i) => {
      expect(r.chunkSizes[2 * i]).toBe(136);
      expect(r.chunkSizes[2 * i + 1]).toBe(p.size + p.padding);
    });
    expect(packets[0]!.ts).toBe(4);
    let ffd9InJunk = 0;
    let lastFrame = -1;
    packets.forEach((p, i) => {
      expect(p.type).toBe(0x01);
      expect(p.seq).toBe(i);
      if (i > 0) expect(p.ts).toBeGreaterThan(packets[i - 1]!.ts);
      // QX quirk: size a multiple of 128, padding byte 0, header bytes 8..127 zero.
      expect(p.size % 128).toBe(0);
      expect(p.padding).toBe(0);
      expect(p.payloadHeader.subarray(8).every((b) => b === 0)).toBe(true);
      expect(p.data.readUInt16BE(0)).toBe(0xffd8);
      const end = jpegEnd(p.data);
      const junk = p.size - end;
      expect(junk).toBeGreaterThanOrEqual(1);
      expect(junk).toBeLessThanOrEqual(128);
      if (p.data.subarray(end).includes(Buffer.from([0xff, 0xd9]))) ffd9InJunk++;
      const c = readSimComment(p.data);
      expect(c?.kind).toBe("frame");
      // Consecutive unless a frame time was skipped for a backed-up socket.
      expect(c!.n).toBeGreaterThan(lastFrame);
      lastFrame = c!.n;
    });
    expect(ffd9InJunk).toBeGreaterThan(0);
    // The record hook saw exactly the bytes on the wire.
    const recorded = Buffer.concat(h.sent.slice(0, packets.length).map((s) => s.bytes));
    expect(recorded.equals(r.body.subarray(0, recorded.length))).toBe(true);
    expect(h.lv.stats).toMatchObject({ connections: 1, readerConnected: true });
  });

  it("sends the bare JPEG without padding when qxPadding is off", async () => {
    const h = await start({ qxPadding: false, width: 320, height: 240 });
    const r = h.reader();
    await until(() => parsePackets(r.body).packets.length >= 3, "3 packets");
    for (const p of parsePackets(r.body).packets) {
      expect(jpegEnd(p.data)).toBe(p.size);
      expect(p.data.readUInt16BE(p.size - 2)).toBe(0xffd9);
    }
  });

  it("adds type-0x02 focus-frame packets with 1–3 records when enabled", async () => {
    const h = await start({ focusFrames: true });
    const r = h.reader();
    await until(() => parsePackets(r.body).packets.length >= 8, "8 packets");
    const { packets } = parsePackets(r.body);
    packets.forEach((p, i) => {
      expect(p.seq).toBe(i);
      expect(p.type).toBe(i % 2 === 0 ? 0x01 : 0x02);
      if (p.type !== 0x02) return;
      const count = p.payloadHeader.readUInt16BE(10);
      expect([p.payloadHeader[8], p.payloadHeader[9]]).toEqual([1, 0]);
      expect(count).toBeGreaterThanOrEqual(1);
      expect(count).toBeLessThanOrEqual(3);
      expect(p.payloadHeader.readUInt16BE(12)).toBe(16);
      expect(p.size).toBe(count * 16);
      for (let k = 0; k < count; k++) {
        const rec = p.data.subarray(k * 16, k * 16 + 16);
        expect(rec.readUInt16BE(4)).toBeGreaterThan(rec.readUInt16BE(0));
        expect(rec.readUInt16BE(4)).toBeLessThanOrEqual(10000);
        expect(rec[8]).toBe(1);
      }
    });
  });

  it("force-disconnects the older reader when a new GET arrives", async () => {
    const h = await start();
    const a = h.reader();
    await until(() => parsePackets(a.body).packets.length >= 2, "reader A packets");
    const b = h.reader();
    await until(() => a.closed, "reader A closed");
    expect(a.ended).toBe(false); // destroyed, not ended cleanly
    await until(() => parsePackets(b.body).packets.length >= 3, "reader B packets");
    expect(parsePackets(b.body).packets.map((p) => p.seq)).toEqual(
      parsePackets(b.body).packets.map((_, i) => i),
    );
    expect(h.lv.stats).toMatchObject({ connections: 2, kicked: 1, readerConnected: true });
  });

  it("answers 404 while liveview is not started and ends the stream cleanly when it stops", async () => {
    let active = false;
    const h = await start({ isActive: () => active });
    const refused = h.reader();
    await until(() => refused.status !== undefined, "404");
    expect(refused.status).toBe(404);
    active = true;
    const r = h.reader();
    await until(() => parsePackets(r.body).packets.length >= 2, "packets");
    active = false;
    await until(() => r.ended, "clean end");
    expect(parsePackets(r.body).rest).toBe(0); // ended at a packet boundary
    expect(h.lv.stats).toMatchObject({ refused: 1, readerConnected: false });
  });

  it("drops a stalled reader without buffering unboundedly, skipping frames meanwhile", async () => {
    const h = await start({ fps: 1000, quality: 95, stallTimeoutMs: 300 });
    const r = h.reader();
    await until(() => r.status === 200, "headers");
    r.socket.pause();
    await until(() => h.lv.stats.stalledDrops === 1, "stall drop", 8000);
    const stats = h.lv.stats;
    expect(stats.framesSkipped).toBeGreaterThan(0);
    expect(stats.readerConnected).toBe(false);
    // At most the high-water mark plus one packet (and its chunk framing) queued in the process.
    const biggest = Math.max(...h.sent.map((s) => s.bytes.length));
    // The default high-water mark is 16 KiB on Node 20 and 64 KiB from Node 22 on.
    const highWaterMark = getDefaultHighWaterMark(false);
    expect(stats.maxBuffered).toBeLessThanOrEqual(highWaterMark + biggest + 64);
  });

  it("stalls now and then with jitter, keeping the sequence contiguous", async () => {
    const h = await start({ jitter: { probability: 0.5, minMs: 80, maxMs: 100 }, seed: 3 });
    const r = h.reader();
    await until(() => parsePackets(r.body).packets.length >= 10, "10 packets");
    const { packets } = parsePackets(r.body);
    expect(packets.map((p) => p.seq)).toEqual(packets.map((_, i) => i));
    const gaps = packets.slice(1).map((p, i) => p.ts - packets[i]!.ts);
    // A stall adds 80–100 ms to the 10 ms frame interval; with p = 0.5 over 9 gaps some occur.
    expect(gaps.filter((g) => g >= 70).length).toBeGreaterThan(0);
  });

  it("stop() ends the reader cleanly, sends nothing more, leaves no timer and is idempotent", async () => {
    const timers = (): number =>
      process.getActiveResourcesInfo().filter((x) => x === "Timeout").length;
    const h = await start();
    const r = h.reader();
    await until(() => parsePackets(r.body).packets.length >= 2, "packets");
    // While streaming, exactly one pacing timer is pending; stop() clears it synchronously.
    const streaming = timers();
    h.lv.stop();
    expect(timers()).toBe(streaming - 1);
    h.lv.stop();
    await until(() => r.ended, "clean end");
    const count = h.sent.length;
    await sleepMs(100);
    expect(h.sent.length).toBe(count);
    expect(h.lv.stats.readerConnected).toBe(false);
  });
});

describe("liveview options", () => {
  it("rejects bad options up front (nothing may throw later inside the pacing timer)", () => {
    expect(() => new LiveviewServer({ fps: 0 })).toThrow(RangeError);
    expect(() => new LiveviewServer({ width: 0 })).toThrow(RangeError);
    expect(() => new LiveviewServer({ height: 1.5 })).toThrow(RangeError);
    expect(() => new LiveviewServer({ quality: 101 })).toThrow(RangeError);
    expect(() => new LiveviewServer({ replay: Buffer.alloc(200) })).toThrow(RangeError);
  });

  it("answers 405 to other methods", async () => {
    const h = await start();
    const r = h.reader("/liveview.JPG", "POST");
    await until(() => r.status !== undefined, "status");
    expect(r.status).toBe(405);
    expect(h.lv.stats.connections).toBe(0);
  });
});

describe("liveview faults", () => {
  it("drop: destroys the socket at a point inside a packet", async () => {
    const h = await start();
    const r = h.reader();
    await until(() => parsePackets(r.body).packets.length >= 2, "packets");
    h.lv.fault("drop");
    await until(() => r.closed, "socket closed");
    expect(r.ended).toBe(false);
    const last = h.sent.at(-1)!;
    expect(last.info.fault).toBe("drop");
    const { packets, rest } = parsePackets(r.body);
    expect(rest).toBe(last.bytes.length);
    expect(rest).toBeGreaterThan(0);
    expect(packets).toHaveLength(h.sent.length - 1);
    expect(r.body.subarray(r.body.length - rest).equals(last.bytes)).toBe(true);
  });

  it("cut: ends the response cleanly in the middle of a packet", async () => {
    const h = await start({ seed: 7 });
    const r = h.reader();
    await until(() => parsePackets(r.body).packets.length >= 2, "packets");
    h.lv.fault("cut");
    await until(() => r.ended, "terminating chunk");
    const last = h.sent.at(-1)!;
    expect(last.info.fault).toBe("cut");
    const { rest } = parsePackets(r.body);
    expect(rest).toBe(last.bytes.length);
    expect(rest).toBeGreaterThan(0);
    // The next reader streams normally again (one-shot fault).
    const r2 = h.reader();
    await until(() => parsePackets(r2.body).packets.length >= 2, "packets after cut");
  });

  it("corrupt: spoils the next three packets, one way each, then streams normally", async () => {
    const h = await start();
    const r = h.reader();
    await until(() => h.sent.length >= 2, "packets");
    h.lv.fault("corrupt");
    await until(() => h.sent.length >= 8, "more packets");
    const bad = h.sent.filter((s) => s.info.fault === "corrupt");
    expect(bad).toHaveLength(3);
    const [junk, code, startByte] = bad.map((s) => s.bytes);
    expect(junk!.length).toBe(37 + 136 + junk!.readUIntBE(37 + 12, 3));
    expect(junk!.readUInt32BE(37 + 8)).toBe(0x24356879);
    expect(junk!.subarray(0, 37).includes(Buffer.from([0x24, 0x35, 0x68, 0x79]))).toBe(false);
    expect(code!.readUInt32BE(8)).toBe(0x25356879);
    expect(startByte![0]).toBe(0x00);
    // On the wire exactly as recorded; the packets after them are intact.
    const wire = Buffer.concat(h.sent.slice(0, 6).map((s) => s.bytes));
    await until(() => r.body.length >= wire.length, "wire");
    expect(r.body.subarray(0, wire.length).equals(wire)).toBe(true);
    const after = h.sent.slice(h.sent.indexOf(bad[2]!) + 1);
    expect(after.length).toBeGreaterThan(0);
    for (const s of after) expect(parsePackets(s.bytes).packets).toHaveLength(1);
    const seqs = h.sent.map((s) => s.info.sequence);
    expect(seqs).toEqual(seqs.map((_, i) => i));
  });

  it("hang: stops sending but keeps the connection open until cleared", async () => {
    const h = await start();
    const r = h.reader();
    await until(() => parsePackets(r.body).packets.length >= 2, "packets");
    h.lv.fault("hang");
    // Everything sent before the hang has arrived; from now on nothing more may come.
    const sentBefore = h.sent.length;
    const total = h.sent.reduce((n, s) => n + s.bytes.length, 0);
    await until(() => r.body.length === total, "bytes in flight");
    const frozen = r.body.length;
    await sleepMs(300);
    expect(r.body.length).toBe(frozen);
    expect(h.sent.length).toBe(sentBefore);
    expect(r.closed).toBe(false);
    h.lv.fault("none");
    await until(() => h.sent.length >= sentBefore + 3, "resumed");
    expect(h.sent.map((s) => s.info.sequence)).toEqual(h.sent.map((_, i) => i));
  });
});

describe.skipIf(!haveFixtures)("liveview replay of the QX100 capture", () => {
  it("re-emits its 138 complete packets byte-identical, then ends", async () => {
    const capture = readFixture("liveview/QX100-liveview-640x480.bin");
    const complete = splitRecordedStream(capture);
    expect(complete).toHaveLength(138);
    const h = await start({ replay: capture, replayPacing: "fps", fps: 1000, replayLoop: false });
    const r = h.reader();
    await until(() => r.ended, "end of replay", 8000);
    const expected = capture.subarray(0, capture.length - 9264); // minus the truncated 139th
    expect(r.body.length).toBe(expected.length);
    expect(r.body.equals(expected)).toBe(true);
    expect(r.chunkSizes.filter((_, i) => i % 2 === 0).every((s) => s === 136)).toBe(true);
    expect(h.lv.stats.packetsSent).toBe(138);
  });

  it("loops with continuing sequence numbers and timestamps", async () => {
    const capture = readFixture("liveview/QX100-liveview-640x480.bin");
    const h = await start({ replay: capture, replayPacing: "fps", fps: 1000 });
    const r = h.reader();
    await until(() => parsePackets(r.body).packets.length >= 150, "second pass", 8000);
    const { packets } = parsePackets(r.body);
    packets.forEach((p, i) => {
      expect(p.seq).toBe(i);
      if (i > 0) expect(p.ts).toBeGreaterThan(packets[i - 1]!.ts);
    });
    // Second pass: same payloads as the first.
    expect(packets[140]!.raw.subarray(8).equals(packets[2]!.raw.subarray(8))).toBe(true);
  });
});

describe("the project's LiveviewDecoder reads the simulator's stream", () => {
  it("decodes JPEG and focus packets, cuts the QX junk, and resyncs over corrupt packets", async () => {
    const h = await start({ focusFrames: true });
    const r = h.reader();
    await until(() => h.sent.length >= 4, "packets");
    h.lv.fault("corrupt");
    await until(() => h.sent.length >= 24, "24 packets");
    h.lv.stop();
    await until(() => r.ended, "end");
    // Feed the de-chunked body in seeded random chunk sizes (1..3000 bytes).
    const decoder = new LiveviewDecoder();
    const events: LiveviewEvent[] = [];
    let seed = 99;
    for (let o = 0; o < r.body.length;) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const n = 1 + (seed % 3000);
      events.push(...decoder.push(r.body.subarray(o, o + n)));
      o += n;
    }
    events.push(...decoder.end());
    // The junk-prefixed packet itself is intact; the next two have damaged headers.
    const damaged = h.sent.filter((s) => s.info.fault === "corrupt").slice(1);
    expect(damaged).toHaveLength(2);
    const expected = h.sent.filter((s) => !damaged.includes(s)).map((s) => s.info);
    const decoded = events.filter((e) => e.type !== "discarded");
    expect(decoded.map((e) => e.sequence)).toEqual(expected.map((i) => i.sequence));
    for (const e of decoded) {
      if (e.type === "jpeg") {
        const data = Buffer.from(e.data);
        expect(e.jpegEnd).toBe(jpegEnd(data));
        expect(data.readUInt16BE(e.jpegEnd - 2)).toBe(0xffd9);
        expect(readSimComment(data)?.kind).toBe("frame");
      } else if (e.type === "frame_info") {
        expect(e.frames.length).toBeGreaterThanOrEqual(1);
        expect(e.frames.length).toBeLessThanOrEqual(3);
      } else {
        throw new Error(`unexpected ${e.type}`);
      }
    }
    const discarded = events.filter((e) => e.type === "discarded");
    expect(discarded.length).toBeGreaterThan(0);
  });
});
