/**
 * LiveviewDecoder on synthetic streams built with the project's encoder (camera-api.md §5.2):
 * every payload type, padding, chunking, and damage (garbage, truncation, flipped header bytes,
 * absurd sizes, fake start codes) — with a fast-check property over random corruption.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  LiveviewDecoder,
  type LiveviewDecoderOptions,
  type LiveviewEvent,
} from "../../src/liveview/codec.js";
import { encodeLiveviewPacket } from "../../src/liveview/encode.js";
import { findJpegEnd } from "../../src/liveview/jpeg.js";
import { PayloadType } from "../../src/liveview/types.js";
import {
  encodeSpec,
  qxJunk,
  randInt,
  randomBytes,
  randomChunks,
  randomSpecs,
  rng,
  syntheticJpeg,
  type PacketSpec,
} from "../helpers/liveview-data.js";

interface Built {
  stream: Buffer;
  /** Start offset and length of each packet in `stream`. */
  at: { start: number; length: number }[];
}

function build(specs: PacketSpec[], r: () => number, between?: (i: number) => Buffer): Built {
  const parts: Buffer[] = [];
  const at: Built["at"] = [];
  let o = 0;
  specs.forEach((spec, i) => {
    const pkt = encodeSpec(spec, r);
    at.push({ start: o, length: pkt.length });
    parts.push(pkt);
    o += pkt.length;
    const extra = between?.(i);
    if (extra !== undefined && extra.length > 0) {
      parts.push(extra);
      o += extra.length;
    }
  });
  return { stream: Buffer.concat(parts), at };
}

/** What the decoder must emit for an intact packet. */
function expectedEvent(spec: PacketSpec, offset: number): unknown {
  switch (spec.kind) {
    case "jpeg":
      return {
        type: "jpeg",
        payloadType: spec.payloadType,
        sequence: spec.sequence,
        timestamp: spec.timestamp,
        offset,
        data: spec.data.toString("hex"),
        jpegEnd: spec.jpegLength,
        ...(spec.payloadType === PayloadType.STREAMING_IMAGE
          ? { width: spec.width, height: spec.height }
          : {}),
      };
    case "frame_info":
      return {
        type: "frame_info",
        sequence: spec.sequence,
        timestamp: spec.timestamp,
        offset,
        version: { major: 1, minor: 0 },
        frames: spec.frames,
      };
    case "playback_info":
      return {
        type: "playback_info",
        sequence: spec.sequence,
        timestamp: spec.timestamp,
        offset,
        durationMs: spec.durationMs,
        positionMs: spec.positionMs,
      };
  }
}

/** Events with data as hex strings: compared fast, and printed readably on failure. */
function normalise(events: LiveviewEvent[]): unknown[] {
  return events.map((e) =>
    e.type === "jpeg" ? { ...e, data: Buffer.from(e.data).toString("hex") } : e,
  );
}

function decode(
  chunks: Iterable<Uint8Array>,
  options: LiveviewDecoderOptions = {},
): { events: LiveviewEvent[]; decoder: LiveviewDecoder } {
  const decoder = new LiveviewDecoder(options);
  const events: LiveviewEvent[] = [];
  for (const c of chunks) events.push(...decoder.push(c));
  expect(decoder.stats.maxBufferedBytes).toBeLessThanOrEqual(decoder.bufferLimit);
  events.push(...decoder.end());
  return { events, decoder };
}

function packetsOf(events: LiveviewEvent[]): LiveviewEvent[] {
  return events.filter((e) => e.type !== "discarded");
}

describe("LiveviewDecoder on clean synthetic streams", () => {
  const r = rng(42);
  const specs = randomSpecs(r, 300);
  const { stream, at } = build(specs, r);
  const expected = specs.map((s, i) => expectedEvent(s, at[i]?.start ?? -1));

  it("covers every payload type, padding and QX junk", () => {
    const kinds = new Set(specs.map((s) => (s.kind === "jpeg" ? `jpeg${s.payloadType}` : s.kind)));
    expect([...kinds].sort()).toEqual(["frame_info", "jpeg1", "jpeg17", "playback_info"]);
    expect(specs.some((s) => s.padding > 0)).toBe(true);
    expect(specs.some((s) => s.kind === "frame_info" && s.frames.length > 0)).toBe(true);
  });

  it("decodes the stream pushed whole", () => {
    const { events, decoder } = decode([stream]);
    expect(normalise(events)).toEqual(expected);
    expect(decoder.stats).toMatchObject({
      packets: 300,
      skippedBytes: 0,
      resyncs: 0,
      truncatedBytes: 0,
      bufferedBytes: 0,
    });
    const s = decoder.stats;
    expect(s.jpeg + s.frameInfo + s.playbackInfo).toBe(300);
  });

  it("decodes it under seeded random chunkings, large and tiny", () => {
    for (let seed = 1; seed <= 10; seed++) {
      expect(normalise(decode(randomChunks(stream, rng(seed), 1, 64 * 1024)).events)).toEqual(
        expected,
      );
    }
    for (const seed of [11, 12]) {
      expect(normalise(decode(randomChunks(stream, rng(seed), 1, 16)).events)).toEqual(expected);
    }
  });

  it("decodes it split at every offset of the first three packets", () => {
    const few = specs.slice(0, 5);
    const short = stream.subarray(0, (at[4]?.start ?? 0) + (at[4]?.length ?? 0));
    const want = few.map((s, i) => expectedEvent(s, at[i]?.start ?? -1));
    const end = (at[2]?.start ?? 0) + (at[2]?.length ?? 0) + 20;
    for (let cut = 0; cut <= end; cut++) {
      const events = decode([short.subarray(0, cut), short.subarray(cut)]).events;
      expect(normalise(events)).toEqual(want);
    }
  });

  it("emits a self-checking packet on the push that completes it (no lookahead wait)", () => {
    const decoder = new LiveviewDecoder();
    let waited = 0;
    let pending: unknown[] = [];
    specs.forEach((spec, i) => {
      const pkt = stream.subarray(at[i]?.start ?? 0, (at[i]?.start ?? 0) + (at[i]?.length ?? 0));
      const events = decoder.push(pkt);
      const want = expectedEvent(spec, at[i]?.start ?? -1);
      if (events.length === 0) {
        // The exception: junk whose last bytes could begin a header (0xFF + a payload type).
        waited++;
        pending.push(want);
        return;
      }
      expect(normalise(events)).toEqual([...pending, want]);
      pending = [];
    });
    expect(waited).toBeLessThan(3);
  });

  it("decodes frame records longer than 16 bytes, skipping the unknown bytes", () => {
    const data = Buffer.alloc(2 * 20);
    data.writeUInt16BE(100, 0);
    data.writeUInt16BE(200, 2);
    data.writeUInt16BE(300, 4);
    data.writeUInt16BE(400, 6);
    data.set([1, 4, 1], 8);
    data.fill(0xee, 16, 20); // unknown extra bytes of record 0
    data.writeUInt16BE(5000, 20);
    data.writeUInt16BE(6000, 22);
    data.writeUInt16BE(7000, 24);
    data.writeUInt16BE(8000, 26);
    data.set([4, 2, 2], 28);
    const pkt = encodeLiveviewPacket({
      payloadType: PayloadType.FRAME_INFO,
      sequence: 7,
      timestamp: 99,
      data,
      frameCount: 2,
    });
    pkt.writeUInt16BE(20, 8 + 12); // single frame data size
    const { events } = decode([pkt]);
    expect(events).toEqual([
      {
        type: "frame_info",
        sequence: 7,
        timestamp: 99,
        offset: 0,
        version: { major: 1, minor: 0 },
        frames: [
          {
            topLeft: { x: 100, y: 200 },
            bottomRight: { x: 300, y: 400 },
            category: 1,
            status: 4,
            additional: 1,
          },
          {
            topLeft: { x: 5000, y: 6000 },
            bottomRight: { x: 7000, y: 8000 },
            category: 4,
            status: 2,
            additional: 2,
          },
        ],
      },
    ]);
  });

  it("handles wrapping sequence numbers and timestamps as plain values", () => {
    const jpeg = syntheticJpeg(rng(5));
    const a = encodeLiveviewPacket({
      payloadType: 1,
      sequence: 65535,
      timestamp: 2 ** 32 - 1,
      data: jpeg,
    });
    const b = encodeLiveviewPacket({
      payloadType: 1,
      sequence: 65536,
      timestamp: 2 ** 32 + 5,
      data: jpeg,
    });
    const events = decode([a, b]).events;
    expect(events.map((e) => (e.type === "jpeg" ? [e.sequence, e.timestamp] : null))).toEqual([
      [65535, 4294967295],
      [0, 5],
    ]);
  });

  it("can be reused after end() and rejects a bad maxPayloadBytes", () => {
    const decoder = new LiveviewDecoder();
    decoder.push(stream.subarray(0, 1000));
    expect(decoder.end().at(-1)).toMatchObject({ type: "discarded", reason: "truncated" });
    expect(decoder.stats.bufferedBytes).toBe(0);
    const again = decoder.push(stream);
    expect(packetsOf(again)).toHaveLength(300);
    expect(() => new LiveviewDecoder({ maxPayloadBytes: -1 })).toThrow(RangeError);
    expect(() => new LiveviewDecoder({ maxPayloadBytes: 2 ** 24 })).toThrow(RangeError);
  });
});

describe("LiveviewDecoder on damaged streams", () => {
  it("reports garbage between packets exactly and recovers every packet", () => {
    const r = rng(1);
    const specs = randomSpecs(r, 60);
    const garbage = new Map<number, Buffer>();
    for (let i = 0; i < 60; i += 3) {
      const g = randomBytes(r, randInt(r, 1, 400));
      if (i % 2 === 0) g.fill(0xff, 0, Math.min(g.length, 50)); // 0xFF runs
      if (g.length > 20) g.set([0x24, 0x35, 0x68, 0x79], 10); // a lone start code, no 0xFF at -8
      garbage.set(i, g);
    }
    const { stream, at } = build(specs, r, (i) => garbage.get(i) ?? Buffer.alloc(0));
    for (const chunks of [
      [stream],
      randomChunks(stream, rng(2), 1, 5000),
      randomChunks(stream, rng(3), 1, 16),
    ]) {
      const { events, decoder } = decode(chunks);
      expect(normalise(packetsOf(events))).toEqual(
        specs.map((s, i) => expectedEvent(s, at[i]?.start ?? -1)),
      );
      const discarded = events.filter((e) => e.type === "discarded");
      expect(discarded).toEqual(
        [...garbage.entries()].map(([i, g]) => ({
          type: "discarded",
          offset: (at[i]?.start ?? 0) + (at[i]?.length ?? 0),
          bytes: g.length,
          reason: "garbage",
        })),
      );
      expect(decoder.stats.resyncs).toBe(garbage.size);
      expect(decoder.stats.skippedBytes).toBe(
        [...garbage.values()].reduce((n, g) => n + g.length, 0),
      );
    }
  });

  it("reports garbage before the first packet", () => {
    const r = rng(4);
    const specs = randomSpecs(r, 3);
    const { stream } = build(specs, r);
    const lead = Buffer.concat([Buffer.from([0xff, 0x01, 0, 0]), randomBytes(r, 100)]);
    const events = decode([lead, stream]).events;
    expect(events[0]).toEqual({ type: "discarded", offset: 0, bytes: 104, reason: "garbage" });
    expect(packetsOf(events)).toHaveLength(3);
  });

  it("discards a packet truncated in the middle of the stream and recovers the next one", () => {
    const r = rng(5);
    const specs = randomSpecs(r, 40);
    const pkts = specs.map((s) => encodeSpec(s, r));
    // Cut packet 10 inside its header, 20 inside its JPEG, 30 just before its end.
    const cuts = new Map([
      [10, 60],
      [20, 136 + 300],
      [30, (pkts[30]?.length ?? 1) - 1],
    ]);
    const parts = pkts.map((p, i) => p.subarray(0, cuts.get(i) ?? p.length));
    const stream = Buffer.concat(parts);
    for (const chunks of [[stream], randomChunks(stream, rng(6), 1, 3000)]) {
      const events = decode(chunks).events;
      const seqs = packetsOf(events).map((e) => ("sequence" in e ? e.sequence : -1));
      expect(seqs).toEqual(specs.map((s) => s.sequence).filter((_, i) => !cuts.has(i)));
      const discarded = events.filter((e) => e.type === "discarded");
      expect(discarded.map((d) => d.bytes)).toEqual([...cuts.values()]);
    }
  });

  it("recovers from flipped header bytes: start byte, type, start code, size, padding", () => {
    const r = rng(7);
    // JPEG-only stream: QX-like packets.
    const specs = randomSpecs(r, 400)
      .filter((s) => s.kind === "jpeg")
      .slice(0, 150);
    const base = build(specs, r);
    let damagedEmitted = 0;
    const positions = [0, 1, 8, 9, 10, 11, 12, 13, 14, 15];
    for (const pos of positions) {
      for (let bit = 0; bit < 8; bit++) {
        const victim = randInt(r, 1, specs.length - 2);
        const stream = Buffer.from(base.stream);
        const start = base.at[victim]?.start ?? 0;
        stream[start + pos] = (stream[start + pos] ?? 0) ^ (1 << bit);
        const events = decode(randomChunks(stream, rng(pos * 8 + bit), 1, 8192)).events;
        for (const e of packetsOf(events)) {
          const i = base.at.findIndex((a) => a.start === e.offset);
          expect(i).toBeGreaterThanOrEqual(0);
          if (i !== victim) {
            expect(normalise([e])).toEqual([expectedEvent(specs[i] as PacketSpec, e.offset)]);
          } else {
            damagedEmitted++;
            // A damaged header may still yield its own packet (a shorter size cutting only junk,
            // a type flipped 0x01↔0x11): never bytes from outside it.
            if (e.type === "jpeg") {
              const a = base.at[i];
              expect(e.offset + 136 + e.data.length).toBeLessThanOrEqual(
                (a?.start ?? 0) + (a?.length ?? 0),
              );
              expect(
                Buffer.compare(
                  e.data,
                  stream.subarray(e.offset + 136, e.offset + 136 + e.data.length),
                ),
              ).toBe(0);
            }
          }
        }
        // Every intact packet is recovered.
        const got = new Set(packetsOf(events).map((e) => e.offset));
        base.at.forEach((a, i) => {
          if (i !== victim) expect(got.has(a.start)).toBe(true);
        });
      }
    }
    // Some flips leave a usable packet (low size bits in the junk, type 0x01→0x11); most don't.
    expect(damagedEmitted).toBeGreaterThan(0);
    expect(damagedEmitted).toBeLessThan(positions.length * 8);
  });

  it("a size field above maxPayloadBytes is discarded as oversize, never buffered", () => {
    const r = rng(8);
    const specs = randomSpecs(r, 20);
    const { stream, at } = build(specs, r);
    const s = Buffer.from(stream);
    s.writeUIntBE(0xffffff, (at[5]?.start ?? 0) + 12, 3);
    const { events, decoder } = decode(randomChunks(s, rng(9), 1, 1000), {
      maxPayloadBytes: 100_000,
    });
    expect(events.find((e) => e.type === "discarded")).toEqual({
      type: "discarded",
      offset: at[5]?.start,
      bytes: at[5]?.length,
      reason: "oversize",
    });
    expect(packetsOf(events)).toHaveLength(19);
    expect(decoder.stats.maxBufferedBytes).toBeLessThan(20_000);
  });

  it("a size field far past the end (within the limit) costs only its own packet", () => {
    const r = rng(10);
    const specs = randomSpecs(r, 120);
    const { stream, at } = build(specs, r);
    const victim = 3;
    const s = Buffer.from(stream);
    s.writeUIntBE(900_000, (at[victim]?.start ?? 0) + 12, 3);
    expect(s.length).toBeGreaterThan(64 * 1024 + 136);
    const decoder = new LiveviewDecoder();
    const before: LiveviewEvent[] = [];
    for (const c of randomChunks(s, rng(11), 1, 4096)) before.push(...decoder.push(c));
    // Caught by the early check, before the stream ends, with the buffer far below 900 KB.
    expect(packetsOf(before).length).toBeGreaterThan(100);
    expect(decoder.stats.maxBufferedBytes).toBeLessThan(200 * 1024);
    const events = [...before, ...decoder.end()];
    expect(normalise(packetsOf(events))).toEqual(
      specs.map((sp, i) => expectedEvent(sp, at[i]?.start ?? -1)).filter((_, i) => i !== victim),
    );
    expect(events.filter((e) => e.type === "discarded")).toEqual([
      {
        type: "discarded",
        offset: at[victim]?.start,
        bytes: at[victim]?.length,
        reason: "corrupt",
      },
    ]);
  });

  it("a size field far past the end is caught as soon as the next header arrives", () => {
    const r = rng(12);
    const specs = randomSpecs(r, 6);
    const { stream, at } = build(specs, r);
    const s = Buffer.from(stream);
    s.writeUIntBE(500_000, (at[1]?.start ?? 0) + 12, 3);
    const decoder = new LiveviewDecoder();
    const events = decoder.push(s);
    expect(packetsOf(events).map((e) => e.offset)).toEqual(
      at.filter((_, i) => i !== 1).map((a) => a.start),
    );
    expect(events[1]).toEqual({
      type: "discarded",
      offset: at[1]?.start,
      bytes: at[1]?.length,
      reason: "corrupt",
    });
    expect(decoder.end()).toEqual([]);
  });

  it("a packet truncated inside its header, followed by the next, is caught without waiting", () => {
    const r = rng(21);
    const specs = randomSpecs(r, 4).map((s) => s);
    const pkts = specs.map((s) => encodeSpec(s, r));
    // 13 bytes: FF, type, seq, timestamp, start code and the high size byte (0): the size then
    // reads FF 01 from the next packet — about 65 KB, within the limit.
    const stream = Buffer.concat([pkts[0]?.subarray(0, 13) ?? Buffer.alloc(0), ...pkts.slice(1)]);
    const decoder = new LiveviewDecoder();
    const events = decoder.push(stream);
    expect(events[0]).toEqual({ type: "discarded", offset: 0, bytes: 13, reason: "corrupt" });
    expect(packetsOf(events)).toHaveLength(3);
  });

  it("fake start codes and 0xFF runs inside JPEG data change nothing", () => {
    const r = rng(13);
    const specs = randomSpecs(r, 80, true);
    const { stream, at } = build(specs, r, (i) =>
      i % 10 === 0 ? randomBytes(r, 33) : Buffer.alloc(0),
    );
    const trap = Buffer.from([0x24, 0x35, 0x68, 0x79]);
    expect(specs.some((s) => s.kind === "jpeg" && s.data.includes(trap))).toBe(true);
    for (const chunks of [[stream], randomChunks(stream, rng(14), 1, 2000)]) {
      const { events, decoder } = decode(chunks);
      expect(normalise(packetsOf(events))).toEqual(
        specs.map((s, i) => expectedEvent(s, at[i]?.start ?? -1)),
      );
      expect(decoder.stats.skippedBytes).toBe(8 * 33);
    }
  });

  it("skips an unknown payload type whole and goes on", () => {
    const r = rng(15);
    const specs = randomSpecs(r, 5);
    const odd = encodeLiveviewPacket({
      payloadType: 0x01,
      sequence: 1,
      timestamp: 2,
      data: randomBytes(r, 500),
    });
    odd[1] = 0x05;
    const pkts = specs.map((s) => encodeSpec(s, r));
    const stream = Buffer.concat([pkts[0] ?? Buffer.alloc(0), odd, ...pkts.slice(1)]);
    const { events, decoder } = decode(randomChunks(stream, rng(16), 1, 700));
    expect(events.filter((e) => e.type === "discarded")).toEqual([
      { type: "discarded", offset: pkts[0]?.length, bytes: odd.length, reason: "unknown_type" },
    ]);
    expect(packetsOf(events)).toHaveLength(5);
    expect(decoder.stats.resyncs).toBe(0);
  });

  it("rejects frame-info headers whose records do not fit, and resyncs", () => {
    const r = rng(17);
    const specs = randomSpecs(r, 4);
    const pkts = specs.map((s) => encodeSpec(s, r));
    const bad = encodeLiveviewPacket({
      payloadType: PayloadType.FRAME_INFO,
      sequence: 9,
      timestamp: 9,
      data: Buffer.alloc(32),
      frameCount: 3,
    });
    const short = encodeLiveviewPacket({
      payloadType: PayloadType.FRAME_INFO,
      sequence: 9,
      timestamp: 9,
      data: Buffer.alloc(32),
    });
    short.writeUInt16BE(8, 8 + 12); // records of 8 bytes cannot hold a focus frame
    const stream = Buffer.concat([
      pkts[0] ?? Buffer.alloc(0),
      bad,
      pkts[1] ?? Buffer.alloc(0),
      short,
      ...pkts.slice(2),
    ]);
    const events = decode([stream]).events;
    expect(events.filter((e) => e.type === "discarded").map((e) => [e.reason, e.bytes])).toEqual([
      ["invalid_header", bad.length],
      ["invalid_header", short.length],
    ]);
    expect(packetsOf(events)).toHaveLength(4);
  });

  it("a packet that cannot vouch for itself waits for the next header", () => {
    // A 0x01 packet whose payload is not a JPEG (rule 2 of codec.ts).
    const r = rng(18);
    const blob = encodeLiveviewPacket({
      payloadType: 1,
      sequence: 1,
      timestamp: 1,
      data: randomBytes(r, 300),
    });
    const next = encodeLiveviewPacket({
      payloadType: 1,
      sequence: 2,
      timestamp: 2,
      data: syntheticJpeg(r),
    });
    const decoder = new LiveviewDecoder();
    expect(decoder.push(blob)).toEqual([]);
    expect(decoder.push(next.subarray(0, 11))).toEqual([]);
    const got = decoder.push(next.subarray(11, 12));
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ type: "jpeg", sequence: 1, jpegEnd: -1 });
    expect(packetsOf(decoder.push(next.subarray(12)))).toHaveLength(1);
    // At the end of the stream it is emitted too.
    const d2 = new LiveviewDecoder();
    expect(d2.push(blob)).toEqual([]);
    expect(d2.end()).toMatchObject([{ type: "jpeg", sequence: 1 }]);
    // Documented cost: garbage right after such a packet takes it down with it.
    const d3 = new LiveviewDecoder();
    const events = [...d3.push(Buffer.concat([blob, randomBytes(r, 50), next])), ...d3.end()];
    expect(events.map((e) => (e.type === "discarded" ? e.reason : e.type))).toEqual([
      "corrupt",
      "jpeg",
    ]);
  });

  it("keeps the buffer bounded under a long run of random garbage", () => {
    const decoder = new LiveviewDecoder({ maxPayloadBytes: 4096 });
    const r = rng(19);
    let max = 0;
    const events: LiveviewEvent[] = [];
    for (let i = 0; i < 200; i++) {
      events.push(...decoder.push(randomBytes(r, randInt(r, 1, 10_000))));
      max = Math.max(max, decoder.stats.bufferedBytes);
    }
    expect(max).toBeLessThanOrEqual(15);
    events.push(...decoder.end());
    expect(packetsOf(events)).toEqual([]);
    expect(events).toHaveLength(1);
    expect(decoder.stats.skippedBytes).toBe(decoder.stats.bytesIn);
  });

  it("property: random corruption never yields a mixed packet and spares intact ones", () => {
    type Op =
      | { op: "garbage"; index: number; length: number; ffRun: boolean }
      | { op: "truncate"; index: number; keep: number }
      | { op: "flip"; index: number; pos: number; bit: number }
      | { op: "size"; index: number; size: number };
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      fc.record({
        op: fc.constant("garbage" as const),
        index: fc.nat(40),
        length: fc.integer({ min: 1, max: 600 }),
        ffRun: fc.boolean(),
      }),
      fc.record({ op: fc.constant("truncate" as const), index: fc.nat(40), keep: fc.nat(5000) }),
      fc.record({
        op: fc.constant("flip" as const),
        index: fc.nat(40),
        pos: fc.constantFrom(0, 1, 8, 9, 10, 11, 12, 13, 14, 15),
        bit: fc.nat(7),
      }),
      fc.record({ op: fc.constant("size" as const), index: fc.nat(40), size: fc.nat(0xffffff) }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 }),
        fc.integer({ min: 2, max: 40 }),
        fc.array(opArb, { maxLength: 6 }),
        fc.boolean(),
        (seed, count, ops, tiny) => {
          const r = rng(seed);
          const specs = randomSpecs(r, count, seed % 2 === 0);
          const pkts = specs.map((s) => encodeSpec(s, r));
          const damaged = new Set<number>();
          const after = new Map<number, Buffer[]>();
          for (const o of ops) {
            const i = o.index % count;
            const p = pkts[i];
            if (p === undefined) continue;
            switch (o.op) {
              case "garbage": {
                const g = o.ffRun ? Buffer.alloc(o.length, 0xff) : randomBytes(r, o.length);
                after.set(i, [...(after.get(i) ?? []), g]);
                break;
              }
              case "truncate":
                if (p.length > 1) pkts[i] = p.subarray(0, 1 + (o.keep % (p.length - 1)));
                damaged.add(i);
                break;
              case "flip": {
                const c = Buffer.from(p);
                if (o.pos < c.length) c[o.pos] = (c[o.pos] ?? 0) ^ (1 << o.bit);
                pkts[i] = c;
                damaged.add(i);
                break;
              }
              case "size": {
                const c = Buffer.from(p);
                if (c.length >= 15) c.writeUIntBE(o.size, 12, 3);
                pkts[i] = c;
                damaged.add(i);
                break;
              }
            }
          }
          const parts: Buffer[] = [];
          const at: { start: number; end: number }[] = [];
          let o = 0;
          pkts.forEach((p, i) => {
            at.push({ start: o, end: o + p.length });
            parts.push(p, ...(after.get(i) ?? []));
            o += p.length + (after.get(i) ?? []).reduce((n, g) => n + g.length, 0);
          });
          const stream = Buffer.concat(parts);
          const chunks = randomChunks(stream, rng(seed + 1), 1, tiny ? 16 : 4096);
          const { events } = decode(chunks, { maxPayloadBytes: 256 * 1024 });
          const seen = new Set<number>();
          let lastOffset = -1;
          for (const e of events) {
            expect(e.offset).toBeGreaterThan(lastOffset);
            lastOffset = e.offset;
            if (e.type === "discarded") {
              // Never discards bytes of an intact packet.
              for (const [i, a] of at.entries()) {
                if (damaged.has(i)) continue;
                const overlap = e.offset < a.end && a.start < e.offset + e.bytes;
                expect(overlap).toBe(false);
              }
              continue;
            }
            const i = at.findIndex((a) => a.start === e.offset);
            expect(i).toBeGreaterThanOrEqual(0);
            seen.add(i);
            if (!damaged.has(i)) {
              expect(normalise([e])).toEqual([expectedEvent(specs[i]!, e.offset)]);
            } else if (e.type === "jpeg") {
              // A damaged packet may still be emitted, but its JPEG lies inside its own bytes,
              // and nothing of an intact packet is in its data. (Its junk after the EOI may
              // hold bytes of a neighbour that is itself damaged: indistinguishable from junk.)
              const start = e.offset + 136;
              const end = start + e.data.length;
              expect(Buffer.compare(e.data, stream.subarray(start, end))).toBe(0);
              expect(e.jpegEnd).toBe(findJpegEnd(e.data));
              if (e.jpegEnd >= 0) {
                expect(start + e.jpegEnd).toBeLessThanOrEqual(at[i]?.end ?? 0);
              } else {
                expect(end).toBeLessThanOrEqual(at[i]?.end ?? 0);
              }
              for (const [k, a] of at.entries()) {
                if (!damaged.has(k)) expect(start < a.end && a.start < end).toBe(false);
              }
            }
          }
          at.forEach((_, i) => {
            if (!damaged.has(i)) expect(seen.has(i)).toBe(true);
          });
        },
      ),
      { numRuns: 300, seed: 20261124 },
    );
  });
});

describe("qxJunk helper", () => {
  it("produces junk with FF D9 in it", () => {
    const j = qxJunk(rng(1), 50);
    expect(j.includes(Buffer.from([0xff, 0xd9]))).toBe(true);
  });
});
