/**
 * The simulator's JPEG encoder and test pattern: marker structure, FF stuffing, a round trip
 * through a minimal baseline decoder written here, a real decoder (libjpeg's djpeg) when the
 * machine has one, and frame identification through the COM segment.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { JpegEncoder, ZIGZAG, encodeJpeg } from "../../src/sim/jpeg-encoder.js";
import {
  frameComment,
  readSimComment,
  renderFrame,
  renderPostview,
} from "../../src/sim/pattern.js";

// ---------------------------------------------------------------------------------------------
// A minimal baseline JPEG decoder (sequential Huffman, 8-bit, DRI), enough for our encoder.

interface Segment {
  marker: number;
  body: Buffer;
}

interface Parsed {
  segments: Segment[];
  /** Entropy-coded intervals between RST markers, unstuffed. */
  intervals: Buffer[];
  /** RST marker numbers in order of appearance. */
  restarts: number[];
  /** Offset of the EOI marker. */
  eoi: number;
}

function parse(jpeg: Buffer): Parsed {
  expect(jpeg.readUInt16BE(0)).toBe(0xffd8);
  const segments: Segment[] = [];
  let p = 2;
  for (;;) {
    expect(jpeg[p]).toBe(0xff);
    const marker = jpeg[p + 1]!;
    const len = jpeg.readUInt16BE(p + 2);
    segments.push({ marker, body: jpeg.subarray(p + 4, p + 2 + len) });
    p += 2 + len;
    if (marker === 0xda) break;
  }
  const intervals: Buffer[] = [];
  const restarts: number[] = [];
  let cur: number[] = [];
  for (;;) {
    const b = jpeg[p]!;
    if (b !== 0xff) {
      cur.push(b);
      p++;
      continue;
    }
    const next = jpeg[p + 1]!;
    if (next === 0x00) {
      cur.push(0xff);
      p += 2;
    } else if (next >= 0xd0 && next <= 0xd7) {
      restarts.push(next - 0xd0);
      intervals.push(Buffer.from(cur));
      cur = [];
      p += 2;
    } else if (next === 0xd9) {
      intervals.push(Buffer.from(cur));
      break;
    } else {
      throw new Error(`unstuffed FF ${next.toString(16)} at ${p} inside the scan`);
    }
  }
  return { segments, intervals, restarts, eoi: p };
}

interface Huff {
  lookup: Map<string, number>;
}

function decode(jpeg: Buffer): { width: number; height: number; rgb: Uint8Array } {
  const { segments, intervals } = parse(jpeg);
  const quant: number[][] = [];
  const huff = new Map<number, Huff>();
  let width = 0;
  let height = 0;
  let comps: { id: number; h: number; v: number; tq: number; td: number; ta: number }[] = [];
  for (const { marker, body } of segments) {
    if (marker === 0xdb) {
      for (let o = 0; o < body.length; o += 65) {
        quant[body[o]! & 15] = [...body.subarray(o + 1, o + 65)];
      }
    } else if (marker === 0xc0) {
      height = body.readUInt16BE(1);
      width = body.readUInt16BE(3);
      comps = [];
      for (let i = 0; i < body[5]!; i++) {
        const o = 6 + i * 3;
        comps.push({
          id: body[o]!,
          h: body[o + 1]! >> 4,
          v: body[o + 1]! & 15,
          tq: body[o + 2]!,
          td: 0,
          ta: 0,
        });
      }
    } else if (marker === 0xc4) {
      let o = 0;
      while (o < body.length) {
        const tcth = body[o]!;
        const counts = [...body.subarray(o + 1, o + 17)];
        const total = counts.reduce((a, c) => a + c, 0);
        const syms = body.subarray(o + 17, o + 17 + total);
        const lookup = new Map<string, number>();
        let code = 0;
        let k = 0;
        counts.forEach((n, i) => {
          for (let j = 0; j < n; j++) lookup.set(`${i + 1}:${code++}`, syms[k++]!);
          code <<= 1;
        });
        huff.set(tcth, { lookup });
        o += 17 + total;
      }
    } else if (marker === 0xda) {
      for (let i = 0; i < body[0]!; i++) {
        const c = comps.find((x) => x.id === body[1 + i * 2]);
        c!.td = body[2 + i * 2]! >> 4;
        c!.ta = body[2 + i * 2]! & 15;
      }
    }
  }
  const hmax = Math.max(...comps.map((c) => c.h));
  const vmax = Math.max(...comps.map((c) => c.v));
  const mcuW = 8 * hmax;
  const mcuH = 8 * vmax;
  const mcusX = Math.ceil(width / mcuW);
  const mcusY = Math.ceil(height / mcuH);
  const planes = comps.map((c) => ({
    w: mcusX * c.h * 8,
    data: new Float64Array(mcusX * c.h * 8 * mcusY * c.v * 8),
  }));
  expect(intervals).toHaveLength(mcusY); // our encoder: one restart interval per MCU row
  intervals.forEach((bytes, row) => {
    let bitPos = 0;
    const bit = (): number => {
      const byte = bytes[bitPos >> 3] ?? 0xff;
      const b = (byte >> (7 - (bitPos & 7))) & 1;
      bitPos++;
      return b;
    };
    const receive = (n: number): number => {
      let v = 0;
      for (let i = 0; i < n; i++) v = (v << 1) | bit();
      return v;
    };
    const extend = (v: number, n: number): number =>
      n === 0 ? 0 : v < 1 << (n - 1) ? v - (1 << n) + 1 : v;
    const symbol = (h: Huff): number => {
      let code = 0;
      for (let len = 1; len <= 16; len++) {
        code = (code << 1) | bit();
        const s = h.lookup.get(`${len}:${code}`);
        if (s !== undefined) return s;
      }
      throw new Error("bad Huffman code");
    };
    const preds = comps.map(() => 0);
    for (let mx = 0; mx < mcusX; mx++) {
      comps.forEach((c, ci) => {
        for (let by = 0; by < c.v; by++) {
          for (let bx = 0; bx < c.h; bx++) {
            const coef = new Array<number>(64).fill(0);
            const t = symbol(huff.get(c.td)!);
            preds[ci]! += extend(receive(t), t);
            coef[0] = preds[ci]!;
            for (let k = 1; k < 64;) {
              const rs = symbol(huff.get(0x10 | c.ta)!);
              const r = rs >> 4;
              const s = rs & 15;
              if (s === 0) {
                if (r !== 15) break;
                k += 16;
                continue;
              }
              k += r;
              coef[k] = extend(receive(s), s);
              k++;
            }
            const q = quant[c.tq]!;
            const nat = new Float64Array(64);
            for (let k = 0; k < 64; k++) nat[ZIGZAG[k]!] = coef[k]! * q[k]!;
            const px = idct(nat);
            const plane = planes[ci]!;
            const x0 = (mx * c.h + bx) * 8;
            const y0 = (row * c.v + by) * 8;
            for (let y = 0; y < 8; y++) {
              for (let x = 0; x < 8; x++)
                plane.data[(y0 + y) * plane.w + x0 + x] = px[y * 8 + x]! + 128;
            }
          }
        }
      });
    }
    // Everything left after the last block is the 1-bit padding of the final byte.
    expect(bytes.length - Math.ceil(bitPos / 8)).toBe(0);
  });
  const rgb = new Uint8Array(width * height * 3);
  const sample = (ci: number, x: number, y: number): number => {
    const c = comps[ci]!;
    const p = planes[ci]!;
    return p.data[Math.floor((y * c.v) / vmax) * p.w + Math.floor((x * c.h) / hmax)]!;
  };
  const clamp = (v: number): number => Math.max(0, Math.min(255, Math.round(v)));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const Y = sample(0, x, y);
      const cb = sample(1, x, y) - 128;
      const cr = sample(2, x, y) - 128;
      const i = (y * width + x) * 3;
      rgb[i] = clamp(Y + 1.402 * cr);
      rgb[i + 1] = clamp(Y - 0.344136 * cb - 0.714136 * cr);
      rgb[i + 2] = clamp(Y + 1.772 * cb);
    }
  }
  return { width, height, rgb };
}

/** Basis C[u][x] = c(u)/2 · cos((2x+1)uπ/16); the inverse DCT is Cᵀ·F·C. */
const BASIS = Float64Array.from({ length: 64 }, (_, i) => {
  const u = i >> 3;
  const x = i & 7;
  return (u === 0 ? Math.SQRT1_2 : 1) * 0.5 * Math.cos(((2 * x + 1) * u * Math.PI) / 16);
});

function idct(F: Float64Array): Float64Array {
  const tmp = new Float64Array(64);
  const out = new Float64Array(64);
  // Columns: tmp[y][u] = Σv C[v][y]·F[v][u]; rows: out[y][x] = Σu C[u][x]·tmp[y][u].
  for (let y = 0; y < 8; y++) {
    for (let u = 0; u < 8; u++) {
      let s = 0;
      for (let v = 0; v < 8; v++) s += BASIS[v * 8 + y]! * F[v * 8 + u]!;
      tmp[y * 8 + u] = s;
    }
  }
  for (let y = 0; y < 8; y++) {
    for (let x = 0; x < 8; x++) {
      let s = 0;
      for (let u = 0; u < 8; u++) s += BASIS[u * 8 + x]! * tmp[y * 8 + u]!;
      out[y * 8 + x] = s;
    }
  }
  return out;
}

/** A smooth gradient with a few hard edges, w×h RGB. */
function testImage(w: number, h: number): Uint8Array {
  const rgb = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      rgb[i] = Math.round((x * 255) / (w - 1));
      rgb[i + 1] = Math.round((y * 255) / (h - 1));
      rgb[i + 2] = x < w / 2 ? 40 : 200;
    }
  }
  return rgb;
}

function meanAbsError(a: Uint8Array, b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return s / a.length;
}

const haveDjpeg = spawnSync("djpeg", ["-version"], { encoding: "utf8" }).error === undefined;

/** Decodes with libjpeg's djpeg to binary PPM. */
function djpeg(jpeg: Buffer): { width: number; height: number; rgb: Uint8Array; stderr: string } {
  const r = spawnSync("djpeg", ["-pnm"], { input: jpeg, maxBuffer: 64 << 20 });
  expect(r.status).toBe(0);
  const out = r.stdout;
  // P6\n<w> <h>\n255\n<data>
  const header = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(out.subarray(0, 40).toString("latin1"))!;
  return {
    width: Number(header[1]),
    height: Number(header[2]),
    rgb: out.subarray(header[0].length),
    stderr: r.stderr.toString("utf8"),
  };
}

// ---------------------------------------------------------------------------------------------

describe("JpegEncoder structure", () => {
  const jpeg = encodeJpeg(testImage(100, 70), {
    width: 100,
    height: 70,
    quality: 80,
    comment: "hi",
  });

  it("writes SOI, APP0 JFIF, COM, DQT, SOF0, DHT, DRI, SOS, the scan and EOI", () => {
    const { segments, restarts, eoi } = parse(jpeg);
    expect(segments.map((s) => s.marker)).toEqual([0xe0, 0xfe, 0xdb, 0xc0, 0xc4, 0xdd, 0xda]);
    expect(segments[0]!.body.subarray(0, 5).toString("latin1")).toBe("JFIF\0");
    expect(segments[1]!.body.toString("latin1")).toBe("hi");
    // Two 8-bit tables, 65 bytes each.
    expect(segments[2]!.body).toHaveLength(130);
    const sof = segments[3]!.body;
    expect(sof[0]).toBe(8);
    expect(sof.readUInt16BE(1)).toBe(70);
    expect(sof.readUInt16BE(3)).toBe(100);
    expect([...sof.subarray(5)]).toEqual([3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
    // DRI = MCUs per MCU row (7 × 16 px ≥ 100 px), so 5 MCU rows have 4 RSTs, numbered mod 8.
    expect(segments[5]!.body.readUInt16BE(0)).toBe(7);
    expect(restarts).toEqual([0, 1, 2, 3]);
    expect(eoi).toBe(jpeg.length - 2);
    expect(jpeg.readUInt16BE(jpeg.length - 2)).toBe(0xffd9);
  });

  it("stuffs every FF in the scan (a frame full of FF-producing detail)", () => {
    // Noise makes long codes and plenty of 0xFF bytes in the entropy data.
    const w = 64;
    const h = 48;
    const rgb = new Uint8Array(w * h * 3);
    let s = 12345;
    for (let i = 0; i < rgb.length; i++) {
      s = (s * 1103515245 + 12345) >>> 0;
      rgb[i] = s >>> 24;
    }
    // 4:4:4 at quality 100 so the noise survives and the round trip can be compared.
    const noisy = encodeJpeg(rgb, { width: w, height: h, quality: 100, subsampling: "4:4:4" });
    const scanStart =
      noisy.indexOf(Buffer.from([0xff, 0xda])) +
      2 +
      noisy.readUInt16BE(noisy.indexOf(Buffer.from([0xff, 0xda])) + 2);
    const scan = noisy.subarray(scanStart, noisy.length - 2);
    let stuffed = 0;
    for (let i = 0; i < scan.length; i++) {
      if (scan[i] !== 0xff) continue;
      const next = scan[i + 1]!;
      expect(next === 0x00 || (next >= 0xd0 && next <= 0xd7)).toBe(true);
      if (next === 0) stuffed++;
      i++;
    }
    expect(stuffed).toBeGreaterThan(0);
    expect(meanAbsError(decode(noisy).rgb, rgb)).toBeLessThan(3);
  });

  it("round-trips through a baseline decoder with small error (4:2:0 and 4:4:4, odd sizes)", () => {
    for (const [w, h, subsampling] of [
      [100, 70, "4:2:0"],
      [33, 17, "4:4:4"],
      [1, 1, "4:2:0"],
    ] as const) {
      const src = testImage(w, h);
      const out = decode(
        new JpegEncoder({ width: w, height: h, quality: 90, subsampling }).encode(src),
      );
      expect([out.width, out.height]).toEqual([w, h]);
      expect(meanAbsError(out.rgb, src)).toBeLessThan(3);
    }
  });

  it("rejects bad sizes, quality and short input", () => {
    expect(() => new JpegEncoder({ width: 0, height: 10 })).toThrow(RangeError);
    expect(() => new JpegEncoder({ width: 70000, height: 10 })).toThrow(RangeError);
    expect(() => new JpegEncoder({ width: 10, height: 10, quality: 0 })).toThrow(RangeError);
    expect(() => new JpegEncoder({ width: 10, height: 10 }).encode(new Uint8Array(10))).toThrow(
      RangeError,
    );
  });

  it("encodes a cached row identically at any position (rows are independent units)", () => {
    const enc = new JpegEncoder({ width: 48, height: 48 });
    const strip = new Uint8Array(enc.stripBytes).fill(90);
    const a = enc.encodeRow(strip);
    strip.fill(200);
    const b = enc.encodeRow(strip);
    const jpeg = enc.assemble([b, a, b]);
    const { rgb } = decode(jpeg);
    // Row 1 (y 16..31) is the grey-90 strip, rows 0 and 2 the grey-200 one.
    expect(Math.abs(rgb[(20 * 48 + 5) * 3]! - 90)).toBeLessThanOrEqual(2);
    expect(Math.abs(rgb[(40 * 48 + 5) * 3]! - 200)).toBeLessThanOrEqual(2);
    expect(() => enc.assemble([a])).toThrow(RangeError);
  });
});

describe.skipIf(!haveDjpeg)("a real decoder (libjpeg djpeg)", () => {
  it("accepts encoder output and pattern frames and postviews without warnings", () => {
    const src = testImage(100, 70);
    const d = djpeg(encodeJpeg(src, { width: 100, height: 70, quality: 90, comment: "x" }));
    expect([d.width, d.height, d.stderr]).toEqual([100, 70, ""]);
    expect(meanAbsError(d.rgb, src)).toBeLessThan(3);
    for (const jpeg of [renderFrame(3), renderPostview(2, { width: 1632, height: 1224 })]) {
      const ours = decode(jpeg);
      const theirs = djpeg(jpeg);
      expect([theirs.width, theirs.height, theirs.stderr]).toEqual([ours.width, ours.height, ""]);
      // Same pixels up to upsampling/rounding differences between the two decoders.
      expect(meanAbsError(theirs.rgb, ours.rgb)).toBeLessThan(2);
    }
  });
});

describe("test pattern", () => {
  it("renders 640×480 frames that carry their number in COM and differ frame to frame", () => {
    const f10 = renderFrame(10);
    const f11 = renderFrame(11);
    expect(readSimComment(f10)).toEqual({ kind: "frame", n: 10 });
    expect(readSimComment(f11)).toEqual({ kind: "frame", n: 11 });
    expect(frameComment(11)).toBe("qx10-sim frame 11");
    const sof = parse(f10).segments.find((s) => s.marker === 0xc0)!.body;
    expect([sof.readUInt16BE(3), sof.readUInt16BE(1)]).toEqual([640, 480]);
    // Deterministic.
    expect(renderFrame(10).equals(f10)).toBe(true);
    // The pixels differ in the counter row and the moving block's band, nowhere else.
    const a = decode(f10).rgb;
    const b = decode(f11).rgb;
    const changedRows = new Set<number>();
    for (let y = 0; y < 480; y++) {
      for (let x = 0; x < 640; x++) {
        const i = (y * 640 + x) * 3;
        if (Math.abs(a[i]! - b[i]!) > 24) changedRows.add(Math.floor(y / 16));
      }
    }
    expect([...changedRows].sort((p, q) => p - q)).toEqual([1, 18, 19]);
  });

  it("draws the counter digits: 888888 lights more pixels than 111111", () => {
    // Bright-pixel counts in the counter box: an 8 has about twice the pixels of a 1.
    const bright = (n: number): number => {
      const { rgb } = decode(renderFrame(n));
      let count = 0;
      for (let y = 16; y < 32; y++) {
        for (let x = 16; x < 16 + 6 * 12 + 4; x++) if (rgb[(y * 640 + x) * 3]! > 200) count++;
      }
      return count;
    };
    const one = bright(111111);
    const eight = bright(888888);
    expect(one).toBeGreaterThan(50);
    expect(eight).toBeGreaterThan(one * 1.5);
  });

  it("renders postviews with the shot number in COM at the requested size", () => {
    const p = renderPostview(42, { width: 320, height: 240 });
    expect(readSimComment(p)).toEqual({ kind: "postview", n: 42 });
    const out = decode(p);
    expect([out.width, out.height]).toEqual([320, 240]);
    expect(readSimComment(renderPostview(43))).toEqual({ kind: "postview", n: 43 });
    expect(() => renderFrame(-1)).toThrow(RangeError);
    expect(() => renderPostview(1.5)).toThrow(RangeError);
  });

  it("readSimComment ignores JPEGs without a simulator comment", () => {
    expect(
      readSimComment(encodeJpeg(new Uint8Array(3 * 64), { width: 8, height: 8 })),
    ).toBeUndefined();
    expect(
      readSimComment(
        encodeJpeg(new Uint8Array(3 * 64), { width: 8, height: 8, comment: "qx10-sim frame x" }),
      ),
    ).toBeUndefined();
  });
});
