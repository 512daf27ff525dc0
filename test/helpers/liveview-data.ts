/**
 * Test data for the liveview decoder: a seeded RNG, structurally valid synthetic JPEGs (with the
 * traps of camera-api.md §5.4: FF D9 inside header tables and an APP1 thumbnail, stuffed FF 00
 * runs, fake start codes in the scan data, junk after the EOI that contains FF D9), packet
 * streams built with the real encoder, and chunkers.
 */
import { encodeFocusFrames, encodeLiveviewPacket } from "../../src/liveview/encode.js";
import { PayloadType, type FocusFrame, type PayloadTypeValue } from "../../src/liveview/types.js";

/** mulberry32: small deterministic PRNG, returns [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Integer in [lo, hi]. */
export function randInt(r: () => number, lo: number, hi: number): number {
  return lo + Math.floor(r() * (hi - lo + 1));
}

export function randomBytes(r: () => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(r() * 256);
  return b;
}

function segment(marker: number, body: Uint8Array): Buffer {
  const out = Buffer.alloc(4 + body.length);
  out[0] = 0xff;
  out[1] = marker;
  out.writeUInt16BE(body.length + 2, 2);
  out.set(body, 4);
  return out;
}

/** Options of {@link syntheticJpeg}. */
export interface SyntheticJpegOptions {
  width?: number;
  height?: number;
  /** Bytes of entropy-coded data (before stuffing). Default 2000. */
  scanBytes?: number;
  /** Put an APP1 segment holding a complete small JPEG (with its own EOI) before the frame. */
  thumbnail?: boolean;
  /** Plant fake packet headers (FF 00 … 24 35 68 79) and long FF 00 runs in the scan data. */
  traps?: boolean;
}

/**
 * A structurally valid baseline JPEG (not a decodable picture): SOI, [APP1 thumbnail], DQT
 * whose table contains FF D9, SOF0, DHT, SOS, stuffed scan data with restart markers, EOI.
 */
export function syntheticJpeg(r: () => number, options: SyntheticJpegOptions = {}): Buffer {
  const { width = 640, height = 480, scanBytes = 2000, thumbnail = false, traps = false } = options;
  const parts: Buffer[] = [Buffer.from([0xff, 0xd8])];
  if (thumbnail) {
    const thumb = syntheticJpeg(r, { width: 160, height: 120, scanBytes: 200 });
    parts.push(segment(0xe1, Buffer.concat([Buffer.from("Exif\0\0"), thumb])));
  }
  const dqt = randomBytes(r, 65);
  dqt[0] = 0;
  dqt[10] = 0xff; // a table holding FF D9: only a length walk gets past it
  dqt[11] = 0xd9;
  parts.push(segment(0xdb, dqt));
  const sof = Buffer.from([8, 0, 0, 0, 0, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
  sof.writeUInt16BE(height, 1);
  sof.writeUInt16BE(width, 3);
  parts.push(segment(0xc0, sof));
  parts.push(segment(0xc4, randomBytes(r, 40)));
  parts.push(segment(0xda, Buffer.from([3, 1, 0, 2, 0x11, 3, 0x11, 0, 0x3f, 0])));
  const scan: number[] = [];
  let rst = 0;
  for (let i = 0; i < scanBytes; i++) {
    if (traps && i % 500 === 100) {
      // A fake packet header inside the scan (FF stuffed, as a real encoder must write it).
      scan.push(0xff, 0x00, 0x01, 0, 7, 0, 0, 0, 0x24, 0x35, 0x68, 0x79, 0, 0, 0x10, 0);
    }
    if (traps && i % 700 === 300) for (let k = 0; k < 40; k++) scan.push(0xff, 0x00);
    if (i > 0 && i % 600 === 0) scan.push(0xff, 0xd0 + (rst++ % 8)); // restart marker
    const b = Math.floor(r() * 256);
    scan.push(b);
    if (b === 0xff) scan.push(0x00);
  }
  parts.push(Buffer.from(scan), Buffer.from([0xff, 0xd9]));
  return Buffer.concat(parts);
}

/** Junk after the EOI like QX cameras send (§5.3): random bytes that include FF D9. */
export function qxJunk(r: () => number, n: number): Buffer {
  const junk = randomBytes(r, n);
  if (n >= 4) {
    junk[1] = 0xff;
    junk[2] = 0xd9;
  }
  // Stale buffers hold no packet headers, and a 0xFF right before a header-like byte pattern is
  // what the decoder checks; keep the junk free of 24 35 68 79.
  for (let i = 0; i + 3 < n; i++) if (junk[i] === 0x24 && junk[i + 1] === 0x35) junk[i] = 0x25;
  return junk;
}

/** What a synthetic packet was built from, to compare decoder output against. */
export type PacketSpec =
  | {
      kind: "jpeg";
      payloadType: typeof PayloadType.LIVEVIEW_IMAGE | typeof PayloadType.STREAMING_IMAGE;
      sequence: number;
      timestamp: number;
      /** The whole payload region (JPEG + junk). */
      data: Buffer;
      /** Length of the JPEG inside `data`. */
      jpegLength: number;
      width?: number;
      height?: number;
      padding: number;
    }
  | {
      kind: "frame_info";
      sequence: number;
      timestamp: number;
      frames: FocusFrame[];
      padding: number;
    }
  | {
      kind: "playback_info";
      sequence: number;
      timestamp: number;
      durationMs: number;
      positionMs: number;
      padding: number;
    };

/** Encodes one spec with the project's encoder. */
export function encodeSpec(spec: PacketSpec, r: () => number): Buffer {
  const padding = randomBytes(r, spec.padding);
  switch (spec.kind) {
    case "jpeg":
      return encodeLiveviewPacket({
        payloadType: spec.payloadType,
        sequence: spec.sequence,
        timestamp: spec.timestamp,
        data: spec.data,
        padding,
        ...(spec.width === undefined ? {} : { width: spec.width }),
        ...(spec.height === undefined ? {} : { height: spec.height }),
      });
    case "frame_info":
      return encodeLiveviewPacket({
        payloadType: PayloadType.FRAME_INFO,
        sequence: spec.sequence,
        timestamp: spec.timestamp,
        data: encodeFocusFrames(spec.frames),
        padding,
      });
    case "playback_info": {
      const data = Buffer.alloc(32);
      data.writeUInt32BE(spec.durationMs, 0);
      data.writeUInt32BE(spec.positionMs, 4);
      return encodeLiveviewPacket({
        payloadType: PayloadType.PLAYBACK_INFO,
        sequence: spec.sequence,
        timestamp: spec.timestamp,
        data,
        padding,
      });
    }
  }
}

export function randomFocusFrames(r: () => number): FocusFrame[] {
  const n = randInt(r, 0, 5);
  return Array.from({ length: n }, () => ({
    topLeft: { x: randInt(r, 0, 5000), y: randInt(r, 0, 5000) },
    bottomRight: { x: randInt(r, 5000, 10000), y: randInt(r, 5000, 10000) },
    category: randInt(r, 0, 5),
    status: randInt(r, 0, 4),
    additional: randInt(r, 0, 2),
  }));
}

/** A random mixed stream: mostly 0x01 JPEGs with QX junk, plus 0x02, 0x11 and 0x12 packets. */
export function randomSpecs(r: () => number, count: number, traps = false): PacketSpec[] {
  const specs: PacketSpec[] = [];
  let ts = randInt(r, 0, 0xffffffff);
  for (let i = 0; i < count; i++) {
    const sequence = (1000 + i) & 0xffff;
    ts = (ts + randInt(r, 20, 200)) >>> 0;
    const pick = r();
    const padding = r() < 0.5 ? 0 : randInt(r, 1, 3);
    if (pick < 0.6 || pick >= 0.9) {
      const streaming = pick >= 0.9;
      const width = streaming ? randInt(r, 1, 1920) : 640;
      const height = streaming ? randInt(r, 1, 1080) : 480;
      const jpeg = syntheticJpeg(r, {
        width,
        height,
        scanBytes: randInt(r, 200, 3000),
        thumbnail: r() < 0.2,
        traps,
      });
      const junk = qxJunk(r, r() < 0.3 ? 0 : randInt(r, 1, 127));
      specs.push({
        kind: "jpeg",
        payloadType: streaming ? PayloadType.STREAMING_IMAGE : PayloadType.LIVEVIEW_IMAGE,
        sequence,
        timestamp: ts,
        data: Buffer.concat([jpeg, junk]),
        jpegLength: jpeg.length,
        ...(streaming ? { width, height } : {}),
        padding,
      });
    } else if (pick < 0.8) {
      specs.push({
        kind: "frame_info",
        sequence,
        timestamp: ts,
        frames: randomFocusFrames(r),
        padding,
      });
    } else {
      specs.push({
        kind: "playback_info",
        sequence,
        timestamp: ts,
        durationMs: randInt(r, 0, 1e6),
        positionMs: randInt(r, 0, 1e6),
        padding,
      });
    }
  }
  return specs;
}

/** Splits `data` into chunks of random sizes in [min, max] (subarrays, no copies). */
export function randomChunks(
  data: Uint8Array,
  r: () => number,
  min: number,
  max: number,
): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let o = 0; o < data.length;) {
    const n = randInt(r, min, max);
    out.push(data.subarray(o, o + n));
    o += n;
  }
  return out;
}

/** The payload type byte of a spec. */
export function specType(spec: PacketSpec): PayloadTypeValue {
  switch (spec.kind) {
    case "jpeg":
      return spec.payloadType;
    case "frame_info":
      return PayloadType.FRAME_INFO;
    case "playback_info":
      return PayloadType.PLAYBACK_INFO;
  }
}
