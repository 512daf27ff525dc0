/**
 * The decoder and the JPEG helpers against the real QX100 liveview capture (camera-api.md §5.3):
 * 138 complete type-0x01 packets, seq 0…137, then a truncated 139th packet of 9,264 bytes.
 */
import { describe, expect, it } from "vitest";
import {
  LiveviewDecoder,
  type LiveviewEvent,
  type LiveviewJpegEvent,
} from "../../src/liveview/codec.js";
import { findJpegEnd, jpegSize, trimJpeg } from "../../src/liveview/jpeg.js";
import { haveFixtures, readFixture } from "../helpers/fixtures.js";
import { randomChunks, rng } from "../helpers/liveview-data.js";

const CAPTURE = "liveview/QX100-liveview-640x480.bin";

interface RefPacket {
  offset: number;
  sequence: number;
  timestamp: number;
  size: number;
  total: number;
}

/** An independent, naive length walk of the capture (no resync): the reference. */
function walk(file: Buffer): { packets: RefPacket[]; tail: number } {
  const packets: RefPacket[] = [];
  let o = 0;
  while (o + 136 <= file.length) {
    const size = file.readUIntBE(o + 12, 3);
    const total = 136 + size + (file[o + 15] ?? 0);
    if (o + total > file.length) break;
    packets.push({
      offset: o,
      sequence: file.readUInt16BE(o + 2),
      timestamp: file.readUInt32BE(o + 4),
      size,
      total,
    });
    o += total;
  }
  return { packets, tail: file.length - o };
}

function decodeChunks(
  chunks: Iterable<Uint8Array>,
  decoder = new LiveviewDecoder(),
): LiveviewEvent[] {
  const events: LiveviewEvent[] = [];
  for (const c of chunks) events.push(...decoder.push(c));
  events.push(...decoder.end());
  return events;
}

describe.skipIf(!haveFixtures)("QX100 capture", () => {
  const file = haveFixtures ? readFixture(CAPTURE) : Buffer.alloc(0);
  const ref = walk(file);
  const lastOffset = ref.packets.at(-1)?.offset ?? 0;
  const lastTotal = ref.packets.at(-1)?.total ?? 0;
  const tailOffset = lastOffset + lastTotal;

  /** One comparable row per event; JPEG data compared byte-for-byte against the file region. */
  function rows(events: LiveviewEvent[]): unknown[] {
    return events.map((e) => {
      if (e.type !== "jpeg") return e;
      const region = file.subarray(e.offset + 136, e.offset + 136 + e.data.length);
      return {
        type: e.type,
        payloadType: e.payloadType,
        sequence: e.sequence,
        timestamp: e.timestamp,
        offset: e.offset,
        size: e.data.length,
        sameBytes: Buffer.compare(e.data, region) === 0,
        jpegEnd: e.jpegEnd,
      };
    });
  }

  const expected: unknown[] = [
    ...ref.packets.map((p) => ({
      type: "jpeg",
      payloadType: 0x01,
      sequence: p.sequence,
      timestamp: p.timestamp,
      offset: p.offset,
      size: p.size,
      sameBytes: true,
      jpegEnd: findJpegEnd(file.subarray(p.offset + 136, p.offset + 136 + p.size)),
    })),
    { type: "discarded", offset: tailOffset, bytes: 9264, reason: "truncated" },
  ];

  /** Asserts the exact expected event list: 138 JPEGs byte-identical to the file, then the tail. */
  function expectCapture(events: LiveviewEvent[]): void {
    expect(rows(events)).toEqual(expected);
  }

  it("reference walk: seq 0…137 and JPEGs that all start FF D8", () => {
    expect(ref.packets.map((p) => p.sequence)).toEqual(Array.from({ length: 138 }, (_, i) => i));
    for (const p of ref.packets) {
      expect([file[p.offset + 136], file[p.offset + 137]]).toEqual([0xff, 0xd8]);
    }
  });

  it("is what camera-api.md §5.3 says it is", () => {
    expect(file.length).toBe(1_523_712);
    expect(ref.packets).toHaveLength(138);
    expect(ref.tail).toBe(9264);
    expect(tailOffset).toBe(1_514_448);
    // The truncated packet would need 11,528 bytes.
    expect(136 + file.readUIntBE(tailOffset + 12, 3) + (file[tailOffset + 15] ?? 0)).toBe(11_528);
  });

  it("decodes the whole file pushed at once, zero-copy", () => {
    const decoder = new LiveviewDecoder();
    const events = decoder.push(file);
    // The last complete packet needs no lookahead (its JPEG vouches for it): all 138 now.
    expect(events.filter((e) => e.type === "jpeg")).toHaveLength(138);
    for (const e of events) if (e.type === "jpeg") expect(e.data.buffer).toBe(file.buffer);
    expect(decoder.stats.bufferedBytes).toBe(9264);
    events.push(...decoder.end());
    expectCapture(events);
    expect(decoder.stats).toMatchObject({
      packets: 138,
      jpeg: 138,
      frameInfo: 0,
      playbackInfo: 0,
      skippedBytes: 0,
      resyncs: 0,
      truncatedBytes: 9264,
      bufferedBytes: 0,
      bytesIn: file.length,
    });
  });

  it("decodes identically when split at every offset inside the headers of several packets", () => {
    for (const k of [0, 1, 2, 69, 136, 137]) {
      const start = ref.packets[k]?.offset ?? 0;
      for (let s = 0; s <= 136; s++) {
        const cut = start + s;
        expectCapture(decodeChunks([file.subarray(0, cut), file.subarray(cut)]));
      }
    }
    // Inside the truncated packet's header too.
    for (let s = 0; s <= 136; s++) {
      const cut = tailOffset + s;
      expectCapture(decodeChunks([file.subarray(0, cut), file.subarray(cut)]));
    }
  });

  it("decodes identically when split around packet boundaries and in three pieces", () => {
    for (const p of ref.packets.slice(0, 20)) {
      const end = p.offset + p.total;
      for (let d = -16; d <= 16; d++) {
        const a = end + d;
        const b = Math.min(file.length, a + 137);
        expectCapture(decodeChunks([file.subarray(0, a), file.subarray(a, b), file.subarray(b)]));
      }
    }
  });

  it("decodes identically under seeded random chunkings (1–64 KiB)", () => {
    for (let seed = 1; seed <= 30; seed++) {
      const decoder = new LiveviewDecoder();
      expectCapture(decodeChunks(randomChunks(file, rng(seed), 1, 64 * 1024), decoder));
      expect(decoder.stats.maxBufferedBytes).toBeLessThanOrEqual(decoder.bufferLimit);
      // Nothing is held back beyond one packet plus the lookahead.
      expect(decoder.stats.maxBufferedBytes).toBeLessThan(14_080 + 136 + 12);
    }
  });

  it("decodes identically under tiny chunks (1–16 bytes)", () => {
    for (const seed of [101, 102]) {
      expectCapture(decodeChunks(randomChunks(file, rng(seed), 1, 16)));
    }
    // One byte at a time.
    const decoder = new LiveviewDecoder();
    const events: LiveviewEvent[] = [];
    for (let i = 0; i < file.length; i++) events.push(...decoder.push(file.subarray(i, i + 1)));
    events.push(...decoder.end());
    expectCapture(events);
  });

  it("copies only packets that span chunks, into buffers of exactly their size", () => {
    const chunks = randomChunks(file, rng(7), 1024, 32 * 1024);
    const decoder = new LiveviewDecoder();
    let copied = 0;
    let inPlace = 0;
    for (const c of chunks) {
      for (const e of decoder.push(c)) {
        if (e.type !== "jpeg") continue;
        if (e.data.buffer === c.buffer) {
          inPlace++;
        } else {
          copied++;
          expect(e.data.byteOffset).toBe(0);
          expect(e.data.buffer.byteLength).toBe(e.data.length);
        }
      }
    }
    expect(inPlace + copied).toBe(138);
    expect(inPlace).toBeGreaterThan(0);
    expect(copied).toBeGreaterThan(0);
  });

  it("keeps emitted data valid after later pushes", () => {
    const chunks = randomChunks(Buffer.from(file), rng(9), 100, 20_000).map((c) => Buffer.from(c));
    const decoder = new LiveviewDecoder();
    const kept: LiveviewJpegEvent[] = [];
    for (const c of chunks) for (const e of decoder.push(c)) if (e.type === "jpeg") kept.push(e);
    expect(kept).toHaveLength(138);
    kept.forEach((e, i) => {
      const p = ref.packets[i];
      expect(p).toBeDefined();
      if (p === undefined) return;
      expect(Buffer.compare(e.data, file.subarray(p.offset + 136, p.offset + 136 + p.size))).toBe(
        0,
      );
    });
  });

  it("trims every frame at its structural EOI and reads 640×480 from SOF0", () => {
    const events = new LiveviewDecoder().push(file);
    for (const e of events) {
      if (e.type !== "jpeg") continue;
      const jpeg = trimJpeg(e.data);
      expect(jpeg).not.toBeNull();
      if (jpeg === null) continue;
      expect(jpeg.length).toBe(e.jpegEnd);
      expect([jpeg[0], jpeg[1]]).toEqual([0xff, 0xd8]);
      expect([jpeg.at(-2), jpeg.at(-1)]).toEqual([0xff, 0xd9]);
      // QX junk after the EOI: 1–127 bytes (§5.3).
      const junk = e.data.length - jpeg.length;
      expect(junk).toBeGreaterThanOrEqual(1);
      expect(junk).toBeLessThanOrEqual(127);
      expect(jpegSize(e.data)).toEqual({ width: 640, height: 480 });
    }
  });
});
