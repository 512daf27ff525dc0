/**
 * A small baseline (sequential, Huffman) JPEG encoder for the camera simulator. No packages.
 *
 * Only the standard's facts are used (ITU-T T.81: zig-zag order, the DCT, Annex K example
 * quantization and Huffman tables, JFIF APP0); the code is our own.
 *
 * Speed is the design goal (the simulator streams 640×480 at up to 30 fps on a 2-core machine):
 * the scan carries a restart marker (DRI) after every MCU row, so each MCU row is an independent
 * entropy-coded unit (DC predictors reset, byte-aligned). {@link JpegEncoder.encodeRow} encodes
 * one MCU row on its own and {@link JpegEncoder.assemble} stitches rows together with their RSTn
 * markers, so a caller can cache rows whose pixels did not change and only re-encode the others
 * (see pattern.ts). The QX100's own liveview JPEGs are baseline SOF0 with the Annex K tables too
 * (camera-api.md §5.3).
 */

/** Chroma subsampling of the encoded image. */
export type JpegSubsampling = "4:2:0" | "4:4:4";

/** Options of {@link JpegEncoder}. */
export interface JpegEncoderOptions {
  /** Image width in pixels (1–65535). */
  width: number;
  /** Image height in pixels (1–65535). */
  height: number;
  /** IJG-style quality 1–100 scaling the Annex K tables (default 75). */
  quality?: number;
  /** Chroma subsampling (default "4:2:0", as cameras do). */
  subsampling?: JpegSubsampling;
}

/** Natural (row-major) index of each zig-zag position 0..63. */
export const ZIGZAG: readonly number[] = buildZigzag();

function buildZigzag(): number[] {
  // Walk the anti-diagonals u+v = s, alternating direction (T.81 Figure 5).
  const order: number[] = [];
  for (let s = 0; s < 15; s++) {
    const cells: number[] = [];
    for (let v = 0; v < 8; v++) {
      const u = s - v;
      if (u >= 0 && u < 8) cells.push(v * 8 + u);
    }
    // Even diagonals run bottom-left → top-right (v decreasing).
    if (s % 2 === 0) cells.reverse();
    order.push(...cells);
  }
  return order;
}

/** T.81 Annex K Table K.1 (luminance quantization, natural order). */
const LUMA_QUANT = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
  14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113,
  92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];

/** T.81 Annex K Table K.2 (chrominance quantization, natural order). */
const CHROMA_QUANT = [
  17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99,
  47, 66, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
  99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
];

/** A Huffman table as it appears in DHT: code counts per length 1..16, then symbols. */
interface HuffmanSpec {
  counts: readonly number[];
  symbols: Uint8Array;
}

// Annex K.3 tables (the same ones the QX100 liveview JPEGs carry, camera-api.md §5.3).
const AC_TAIL = "35363738393a434445464748494a535455565758595a636465666768696a737475767778797a";
const DC_LUMA: HuffmanSpec = {
  counts: [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0],
  symbols: Uint8Array.from({ length: 12 }, (_, i) => i),
};
const DC_CHROMA: HuffmanSpec = {
  counts: [0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0],
  symbols: Uint8Array.from({ length: 12 }, (_, i) => i),
};
const AC_LUMA: HuffmanSpec = {
  counts: [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d],
  symbols: Buffer.from(
    "01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282" +
      "090a161718191a25262728292a3435363738393a434445464748494a535455565758595a" +
      "636465666768696a737475767778797a838485868788898a92939495969798999aa2a3a4" +
      "a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3" +
      "e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9fa",
    "hex",
  ),
};
const AC_CHROMA: HuffmanSpec = {
  counts: [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77],
  symbols: Buffer.from(
    "000102031104052131061241510761711322328108144291a1b1c109233352f0156272d1" +
      "0a162434e125f11718191a262728292a" +
      AC_TAIL +
      "82838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9ba" +
      "c2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae2e3e4e5e6e7e8e9eaf2f3f4f5f6f7f8f9fa",
    "hex",
  ),
};

/** Code and length per symbol, built from a DHT spec (T.81 Annex C). */
interface HuffmanCodes {
  code: Uint16Array;
  size: Uint8Array;
}

function buildCodes(spec: HuffmanSpec): HuffmanCodes {
  const code = new Uint16Array(256);
  const size = new Uint8Array(256);
  let next = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    const n = spec.counts[len - 1] ?? 0;
    for (let i = 0; i < n; i++) {
      const sym = spec.symbols[k++] ?? 0;
      code[sym] = next++;
      size[sym] = len;
    }
    next <<= 1;
  }
  return { code, size };
}

/** Quantization table for a quality 1..100 (IJG scaling of the Annex K table), natural order. */
export function scaleQuantTable(base: readonly number[], quality: number): Uint8Array {
  const q = Math.min(100, Math.max(1, Math.round(quality)));
  const scale = q < 50 ? Math.floor(5000 / q) : 200 - q * 2;
  return Uint8Array.from(base, (v) =>
    Math.min(255, Math.max(1, Math.floor((v * scale + 50) / 100))),
  );
}

// 1-D DCT-II basis with the orthonormal scale folded in: C[u][x] = c(u)/2 · cos((2x+1)uπ/16).
const COS = new Float64Array(64);
for (let u = 0; u < 8; u++) {
  for (let x = 0; x < 8; x++) {
    COS[u * 8 + x] =
      (u === 0 ? Math.SQRT1_2 : 1) * 0.5 * Math.cos(((2 * x + 1) * u * Math.PI) / 16);
  }
}

/** Per-component constants of one scan component. */
interface Component {
  id: number;
  h: number;
  v: number;
  quantId: number;
  /** 1/q per zig-zag position (multiplying is cheaper than dividing). */
  recip: Float64Array;
  dc: HuffmanCodes;
  ac: HuffmanCodes;
}

const DC_LUMA_CODES = buildCodes(DC_LUMA);
const DC_CHROMA_CODES = buildCodes(DC_CHROMA);
const AC_LUMA_CODES = buildCodes(AC_LUMA);
const AC_CHROMA_CODES = buildCodes(AC_CHROMA);

/**
 * Encodes images of one fixed size and quality. Holds its scratch buffers, so one instance must
 * not be used re-entrantly (it is synchronous, so plain use is safe).
 */
export class JpegEncoder {
  /** Image width in pixels. */
  readonly width: number;
  /** Image height in pixels. */
  readonly height: number;
  /** Quality 1..100. */
  readonly quality: number;
  /** Chroma subsampling. */
  readonly subsampling: JpegSubsampling;
  /** MCU width in pixels (16 for 4:2:0, 8 for 4:4:4). */
  readonly mcuWidth: number;
  /** MCU height in pixels (16 for 4:2:0, 8 for 4:4:4); the height of a strip. */
  readonly mcuHeight: number;
  /** MCUs per MCU row (= the restart interval, DRI). */
  readonly mcusPerRow: number;
  /** MCU rows per image (= rows passed to {@link assemble}). */
  readonly mcuRows: number;

  readonly #lumaQuant: Uint8Array;
  readonly #chromaQuant: Uint8Array;
  /** Y, Cb, Cr in scan order. */
  readonly #yComp: Component;
  readonly #cbComp: Component;
  readonly #crComp: Component;
  readonly #paddedWidth: number;
  // Planes of one MCU row, level-shifted (−128..127).
  readonly #y: Float32Array;
  readonly #cb: Float32Array;
  readonly #cr: Float32Array;
  readonly #chromaWidth: number;
  readonly #block = new Float64Array(64);
  readonly #tmp = new Float64Array(64);
  readonly #coef = new Int32Array(64);
  #out: Uint8Array;
  #pos = 0;
  #acc = 0;
  #bits = 0;
  #header: Buffer | undefined;

  /** @throws RangeError on a size outside 1..65535 or a quality outside 1..100. */
  constructor(options: JpegEncoderOptions) {
    const { width, height } = options;
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
      throw new RangeError(`bad JPEG size ${width}x${height}`);
    }
    if (width > 0xffff || height > 0xffff) throw new RangeError("JPEG size above 65535");
    const quality = options.quality ?? 75;
    if (!(quality >= 1 && quality <= 100)) throw new RangeError(`bad JPEG quality ${quality}`);
    this.width = width;
    this.height = height;
    this.quality = quality;
    this.subsampling = options.subsampling ?? "4:2:0";
    const sub = this.subsampling === "4:2:0" ? 2 : 1;
    this.mcuWidth = 8 * sub;
    this.mcuHeight = 8 * sub;
    this.mcusPerRow = Math.ceil(width / this.mcuWidth);
    this.mcuRows = Math.ceil(height / this.mcuHeight);
    this.#paddedWidth = this.mcusPerRow * this.mcuWidth;
    this.#chromaWidth = this.#paddedWidth / sub;
    this.#lumaQuant = scaleQuantTable(LUMA_QUANT, quality);
    this.#chromaQuant = scaleQuantTable(CHROMA_QUANT, quality);
    const recip = (table: Uint8Array): Float64Array =>
      Float64Array.from(ZIGZAG, (natural) => 1 / (table[natural] ?? 1));
    [this.#yComp, this.#cbComp, this.#crComp] = [
      {
        id: 1,
        h: sub,
        v: sub,
        quantId: 0,
        recip: recip(this.#lumaQuant),
        dc: DC_LUMA_CODES,
        ac: AC_LUMA_CODES,
      },
      {
        id: 2,
        h: 1,
        v: 1,
        quantId: 1,
        recip: recip(this.#chromaQuant),
        dc: DC_CHROMA_CODES,
        ac: AC_CHROMA_CODES,
      },
      {
        id: 3,
        h: 1,
        v: 1,
        quantId: 1,
        recip: recip(this.#chromaQuant),
        dc: DC_CHROMA_CODES,
        ac: AC_CHROMA_CODES,
      },
    ];
    this.#y = new Float32Array(this.#paddedWidth * this.mcuHeight);
    this.#cb = new Float32Array(this.#chromaWidth * 8);
    this.#cr = new Float32Array(this.#chromaWidth * 8);
    // Worst case per block: 64 codes of ≤ 16+11 bits, every byte stuffed → < 440 bytes.
    const blocksPerRow = this.mcusPerRow * (sub * sub + 2);
    this.#out = new Uint8Array(blocksPerRow * 440 + 16);
  }

  /** Number of bytes an RGB strip for one MCU row must have: mcuHeight × width × 3. */
  get stripBytes(): number {
    return this.mcuHeight * this.width * 3;
  }

  /**
   * Entropy-codes one MCU row from an RGB strip (`mcuHeight` rows of `width` pixels, 3 bytes each,
   * row-major; rows below the image bottom are encoded too and cropped by decoders). Columns are
   * padded to the MCU width by repeating the last pixel. The result is byte-aligned (1-bit
   * padded), FF-stuffed, starts with DC predictors at 0 and has no RST marker: rows are
   * independent and can be cached and reused at any row position of the same encoder.
   * @throws RangeError when the strip is shorter than {@link stripBytes}.
   */
  encodeRow(rgb: Uint8Array): Buffer {
    if (rgb.length < this.stripBytes) {
      throw new RangeError(`strip has ${rgb.length} bytes, need ${this.stripBytes}`);
    }
    this.#convert(rgb);
    this.#pos = 0;
    this.#acc = 0;
    this.#bits = 0;
    const yc = this.#yComp;
    const cbc = this.#cbComp;
    const crc = this.#crComp;
    let predY = 0;
    let predCb = 0;
    let predCr = 0;
    const pw = this.#paddedWidth;
    const cw = this.#chromaWidth;
    for (let m = 0; m < this.mcusPerRow; m++) {
      const x0 = m * this.mcuWidth;
      for (let by = 0; by < yc.v; by++) {
        for (let bx = 0; bx < yc.h; bx++) {
          this.#load(this.#y, pw, x0 + bx * 8, by * 8);
          predY = this.#encodeBlock(yc, predY);
        }
      }
      this.#load(this.#cb, cw, m * 8, 0);
      predCb = this.#encodeBlock(cbc, predCb);
      this.#load(this.#cr, cw, m * 8, 0);
      predCr = this.#encodeBlock(crc, predCr);
    }
    // Pad the last byte with 1-bits (T.81 F.1.2.3).
    if (this.#bits > 0) this.#put((1 << (8 - this.#bits)) - 1, 8 - this.#bits);
    return Buffer.from(this.#out.subarray(0, this.#pos));
  }

  /**
   * Builds a complete JFIF file from `mcuRows` encoded rows (from {@link encodeRow} of this
   * encoder), inserting RST0..RST7 between them. `comment` (Latin-1, ≤ 65533 bytes) becomes a COM
   * segment.
   * @throws RangeError on a wrong row count or an oversize comment.
   */
  assemble(rows: readonly Uint8Array[], comment?: string): Buffer {
    if (rows.length !== this.mcuRows) {
      throw new RangeError(`need ${this.mcuRows} MCU rows, got ${rows.length}`);
    }
    const header = this.#headerBytes();
    const com = comment === undefined ? undefined : Buffer.from(comment, "latin1");
    if (com !== undefined && com.length > 0xfffd) throw new RangeError("comment too long");
    let total = header.length + 2 + (com === undefined ? 0 : com.length + 4);
    for (const r of rows) total += r.length + 2;
    const out = Buffer.allocUnsafe(total);
    // SOI + APP0 come first, then COM, then the tables, SOF0, DRI and SOS.
    let p = header.copy(out, 0, 0, APP0_END);
    if (com !== undefined) {
      out[p++] = 0xff;
      out[p++] = 0xfe;
      out.writeUInt16BE(com.length + 2, p);
      p += 2;
      p += com.copy(out, p);
    }
    p += header.copy(out, p, APP0_END);
    rows.forEach((r, i) => {
      out.set(r, p);
      p += r.length;
      if (i < rows.length - 1) {
        out[p++] = 0xff;
        out[p++] = 0xd0 + (i % 8);
      }
    });
    out[p++] = 0xff;
    out[p++] = 0xd9;
    return out.subarray(0, p);
  }

  /**
   * Encodes a whole RGB image (`width × height × 3` bytes, row-major).
   * @throws RangeError when `rgb` is too short.
   */
  encode(rgb: Uint8Array, comment?: string): Buffer {
    const rowBytes = this.width * 3;
    if (rgb.length < rowBytes * this.height) throw new RangeError("RGB buffer too short");
    const strip = new Uint8Array(this.stripBytes);
    const rows: Buffer[] = [];
    for (let r = 0; r < this.mcuRows; r++) {
      for (let y = 0; y < this.mcuHeight; y++) {
        // Rows below the bottom repeat the last image row.
        const src = Math.min(this.height - 1, r * this.mcuHeight + y);
        strip.set(rgb.subarray(src * rowBytes, (src + 1) * rowBytes), y * rowBytes);
      }
      rows.push(this.encodeRow(strip));
    }
    return this.assemble(rows, comment);
  }

  /** RGB strip → level-shifted Y (full) and Cb/Cr (box-filtered when subsampled) planes. */
  #convert(rgb: Uint8Array): void {
    const w = this.width;
    const pw = this.#paddedWidth;
    const yPlane = this.#y;
    const sub = this.subsampling === "4:2:0";
    const cb = this.#cb;
    const cr = this.#cr;
    cb.fill(0);
    cr.fill(0);
    const cw = this.#chromaWidth;
    const cScale = sub ? 0.25 : 1;
    for (let y = 0; y < this.mcuHeight; y++) {
      const rowBase = y * w * 3;
      const cRow = (sub ? y >> 1 : y) * cw;
      for (let x = 0; x < pw; x++) {
        const sx = x < w ? x : w - 1;
        const i = rowBase + sx * 3;
        const r = rgb[i] ?? 0;
        const g = rgb[i + 1] ?? 0;
        const b = rgb[i + 2] ?? 0;
        // JFIF colour conversion, Y level-shifted by −128 for the DCT (Cb/Cr are centred on 0).
        yPlane[y * pw + x] = 0.299 * r + 0.587 * g + 0.114 * b - 128;
        const ci = cRow + (sub ? x >> 1 : x);
        cb[ci] = (cb[ci] ?? 0) + cScale * (-0.168736 * r - 0.331264 * g + 0.5 * b);
        cr[ci] = (cr[ci] ?? 0) + cScale * (0.5 * r - 0.418688 * g - 0.081312 * b);
      }
    }
  }

  /** Copies the 8×8 block at (x0, y0) of a plane into the block scratch. */
  #load(plane: Float32Array, stride: number, x0: number, y0: number): void {
    const blk = this.#block;
    for (let y = 0; y < 8; y++) {
      const s = (y0 + y) * stride + x0;
      for (let x = 0; x < 8; x++) blk[y * 8 + x] = plane[s + x] ?? 0;
    }
  }

  /** Forward DCT + quantization + Huffman coding of the block scratch; returns the new DC. */
  #encodeBlock(c: Component, pred: number): number {
    const blk = this.#block;
    const tmp = this.#tmp;
    fdct8x8(blk, tmp);
    const coef = this.#coef;
    const recip = c.recip;
    for (let k = 0; k < 64; k++) {
      coef[k] = Math.round((tmp[ZIGZAG[k] ?? 0] ?? 0) * (recip[k] ?? 0));
    }
    const dc = coef[0] ?? 0;
    const diff = dc - pred;
    const dcCat = bitLength(diff);
    this.#put(c.dc.code[dcCat] ?? 0, c.dc.size[dcCat] ?? 0);
    if (dcCat > 0) this.#put(diff < 0 ? diff + (1 << dcCat) - 1 : diff, dcCat);
    let run = 0;
    const acCode = c.ac.code;
    const acSize = c.ac.size;
    for (let k = 1; k < 64; k++) {
      const v = coef[k] ?? 0;
      if (v === 0) {
        run++;
        continue;
      }
      while (run >= 16) {
        this.#put(acCode[0xf0] ?? 0, acSize[0xf0] ?? 0); // ZRL: 16 zeros
        run -= 16;
      }
      const cat = bitLength(v);
      const sym = (run << 4) | cat;
      this.#put(acCode[sym] ?? 0, acSize[sym] ?? 0);
      this.#put(v < 0 ? v + (1 << cat) - 1 : v, cat);
      run = 0;
    }
    if (run > 0) this.#put(acCode[0] ?? 0, acSize[0] ?? 0); // EOB
    return dc;
  }

  /** Appends `len` (≤ 16) bits, stuffing a 0x00 after every 0xFF byte (T.81 F.1.2.3). */
  #put(value: number, len: number): void {
    let acc = (this.#acc << len) | (value & ((1 << len) - 1));
    let bits = this.#bits + len;
    const out = this.#out;
    while (bits >= 8) {
      bits -= 8;
      const byte = (acc >>> bits) & 0xff;
      out[this.#pos++] = byte;
      if (byte === 0xff) out[this.#pos++] = 0;
    }
    acc &= (1 << bits) - 1;
    this.#acc = acc;
    this.#bits = bits;
  }

  /** SOI, APP0, DQT, SOF0, DHT, DRI, SOS — the same bytes for every image of this encoder. */
  #headerBytes(): Buffer {
    if (this.#header !== undefined) return this.#header;
    const parts: number[] = [0xff, 0xd8];
    const segment = (marker: number, body: readonly number[]): void => {
      const len = body.length + 2;
      parts.push(0xff, marker, len >> 8, len & 0xff, ...body);
    };
    // JFIF APP0: "JFIF\0", version 1.01, no units, 1:1 density, no thumbnail.
    segment(0xe0, [0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]);
    if (parts.length !== APP0_END) throw new Error("APP0 layout changed");
    const dqt: number[] = [];
    [this.#lumaQuant, this.#chromaQuant].forEach((t, id) => {
      dqt.push(id); // 8-bit precision, table id
      for (const natural of ZIGZAG) dqt.push(t[natural] ?? 1);
    });
    segment(0xdb, dqt);
    const sof = [8, this.height >> 8, this.height & 0xff, this.width >> 8, this.width & 0xff, 3];
    for (const c of [this.#yComp, this.#cbComp, this.#crComp]) {
      sof.push(c.id, (c.h << 4) | c.v, c.quantId);
    }
    segment(0xc0, sof);
    const dht: number[] = [];
    const table = (tcTh: number, spec: HuffmanSpec): void => {
      dht.push(tcTh, ...spec.counts, ...spec.symbols);
    };
    table(0x00, DC_LUMA);
    table(0x10, AC_LUMA);
    table(0x01, DC_CHROMA);
    table(0x11, AC_CHROMA);
    segment(0xc4, dht);
    // One restart interval per MCU row: rows become independent, cacheable units.
    segment(0xdd, [this.mcusPerRow >> 8, this.mcusPerRow & 0xff]);
    segment(0xda, [3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0]);
    this.#header = Buffer.from(parts);
    return this.#header;
  }
}

/** Offset just past SOI + APP0 in the header (where the COM segment goes). */
const APP0_END = 2 + 18;

/** Bit length of |v| (the JPEG magnitude category). */
function bitLength(v: number): number {
  return v === 0 ? 0 : 32 - Math.clz32(v < 0 ? -v : v);
}

/**
 * 2-D DCT-II of an 8×8 block (orthonormal scaling), rows then columns. Each 1-D pass uses the
 * even/odd symmetry of the basis: 32 multiplies instead of 64.
 */
function fdct8x8(src: Float64Array, dst: Float64Array): void {
  const t = ROWPASS;
  for (let y = 0; y < 8; y++) dct1d(src, y * 8, 1, t, y * 8, 1);
  for (let u = 0; u < 8; u++) dct1d(t, u, 8, dst, u, 8);
}

const ROWPASS = new Float64Array(64);

function dct1d(
  src: Float64Array,
  so: number,
  ss: number,
  dst: Float64Array,
  d0: number,
  ds: number,
): void {
  const x0 = src[so] ?? 0;
  const x1 = src[so + ss] ?? 0;
  const x2 = src[so + 2 * ss] ?? 0;
  const x3 = src[so + 3 * ss] ?? 0;
  const x4 = src[so + 4 * ss] ?? 0;
  const x5 = src[so + 5 * ss] ?? 0;
  const x6 = src[so + 6 * ss] ?? 0;
  const x7 = src[so + 7 * ss] ?? 0;
  const s0 = x0 + x7;
  const s1 = x1 + x6;
  const s2 = x2 + x5;
  const s3 = x3 + x4;
  const e0 = x0 - x7;
  const e1 = x1 - x6;
  const e2 = x2 - x5;
  const e3 = x3 - x4;
  const c = COS;
  for (let u = 0; u < 8; u += 2) {
    const b = u * 8;
    dst[d0 + u * ds] =
      (c[b] ?? 0) * s0 + (c[b + 1] ?? 0) * s1 + (c[b + 2] ?? 0) * s2 + (c[b + 3] ?? 0) * s3;
  }
  for (let u = 1; u < 8; u += 2) {
    const b = u * 8;
    dst[d0 + u * ds] =
      (c[b] ?? 0) * e0 + (c[b + 1] ?? 0) * e1 + (c[b + 2] ?? 0) * e2 + (c[b + 3] ?? 0) * e3;
  }
}

/**
 * One-shot convenience: encodes an RGB image (`width × height × 3` bytes).
 * @throws RangeError on bad sizes or quality (see {@link JpegEncoder}).
 */
export function encodeJpeg(
  rgb: Uint8Array,
  options: JpegEncoderOptions & { comment?: string },
): Buffer {
  return new JpegEncoder(options).encode(rgb, options.comment);
}
