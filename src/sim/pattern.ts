/**
 * The simulator's test pattern: colour bars and a grey ramp, a block moving left and right, and a
 * frame counter drawn with a small bitmap font, encoded as baseline JPEG by our own encoder.
 * Every frame also carries `qx10-sim frame <n>` in a COM segment so tests can identify frames
 * without decoding pixels (postviews: `qx10-sim postview <n>`).
 *
 * Cheap by design (budget ≈ 3 ms of CPU per 640×480 frame, see jpeg-encoder.ts): the encoder
 * puts a restart marker after every MCU row, and each MCU row's entropy-coded bytes are cached
 * under a key describing exactly what is drawn in it. Only the row holding the counter and the
 * rows of the moving block change from frame to frame; the block's rows repeat with the motion
 * period, so after one period only the counter row is encoded per frame.
 */
import { JpegEncoder } from "./jpeg-encoder.js";

/** Options of {@link renderFrame}. */
export interface FrameOptions {
  /** Pixels (default 640×480, the QX liveview size, camera-api.md §5.3). */
  width?: number;
  height?: number;
  /** JPEG quality 1–100 (default 60: ≈ 15–25 KB per VGA frame). */
  quality?: number;
}

/** Options of {@link renderPostview}. */
export interface PostviewOptions {
  /** Pixels (default 1632×1224, the QX10 "2M" postview size). */
  width?: number;
  height?: number;
  /** JPEG quality 1–100 (default 85). */
  quality?: number;
}

/** What a simulator JPEG's COM segment says. */
export interface SimComment {
  kind: "frame" | "postview";
  /** Frame number or shot number. */
  n: number;
}

/** COM text of liveview frame `n`. */
export function frameComment(n: number): string {
  return `qx10-sim frame ${n}`;
}

/** COM text of postview/shot `n`. */
export function postviewComment(n: number): string {
  return `qx10-sim postview ${n}`;
}

/**
 * Renders liveview frame `n` (a non-negative integer; the counter shows it modulo 10^6) as a
 * baseline JPEG. Deterministic: the same `n` and options give the same bytes.
 * @throws RangeError on a negative/non-integer `n` or bad size/quality.
 */
export function renderFrame(n: number, options: FrameOptions = {}): Buffer {
  checkIndex(n);
  const r = renderer(options.width ?? 640, options.height ?? 480, options.quality ?? 60);
  return r.render(frameScene(r, n), frameComment(n));
}

/**
 * Renders the still image of shot `index` (the shot number is drawn large and put in COM).
 * @throws RangeError on a negative/non-integer `index` or bad size/quality.
 */
export function renderPostview(index: number, options: PostviewOptions = {}): Buffer {
  checkIndex(index);
  const r = renderer(options.width ?? 1632, options.height ?? 1224, options.quality ?? 85);
  const scale = Math.max(1, Math.floor(Math.min(r.width / 60, r.height / 12)));
  const scene: Scene = {
    overlays: [
      textOverlay(String(index).padStart(4, "0"), r.enc.mcuHeight, r.enc.mcuHeight, scale),
    ],
  };
  return r.render(scene, postviewComment(index));
}

/**
 * Reads the simulator COM segment of a JPEG (walking marker segments up to SOS); undefined when
 * there is none. Pure helper for tests and the simulator core.
 */
export function readSimComment(jpeg: Uint8Array): SimComment | undefined {
  let p = 2;
  while (p + 4 <= jpeg.length && jpeg[p] === 0xff) {
    const marker = jpeg[p + 1] ?? 0;
    if (marker === 0xda || marker === 0xd9) break;
    const len = ((jpeg[p + 2] ?? 0) << 8) | (jpeg[p + 3] ?? 0);
    if (marker === 0xfe) {
      const text = Buffer.from(jpeg.subarray(p + 4, p + 2 + len)).toString("latin1");
      const m = /^qx10-sim (frame|postview) (\d+)$/.exec(text);
      if (m?.[1] !== undefined && m[2] !== undefined) {
        return { kind: m[1] === "frame" ? "frame" : "postview", n: Number(m[2]) };
      }
    }
    p += 2 + len;
  }
  return undefined;
}

function checkIndex(n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`bad frame index ${n}`);
}

// ---------------------------------------------------------------------------------------------
// Scene: a static background plus overlays; each overlay knows its vertical extent and a key.

interface Overlay {
  /** Pixel rows covered [top, bottom). */
  top: number;
  bottom: number;
  /** Identifies exactly what this overlay draws (part of the MCU-row cache key). */
  key: string;
  /** Whether rows showing it are worth caching (a counter never repeats, so no). */
  cacheable: boolean;
  /** Draws into an RGB strip whose first row is image row `y0`. */
  draw(strip: Uint8Array, width: number, y0: number, rows: number): void;
}

interface Scene {
  overlays: readonly Overlay[];
}

/** Moving block + counter for liveview frame n. */
function frameScene(r: Renderer, n: number): Scene {
  const mh = r.enc.mcuHeight;
  const overlays: Overlay[] = [];
  // Counter in MCU row 1 (or 0 on tiny images): black box, white digits (5×7 font scaled ×2).
  const counterTop = r.enc.mcuRows > 2 ? mh : 0;
  overlays.push(textOverlay(String(n % 1_000_000).padStart(6, "0"), counterTop, mh, 2));
  // A block 3 MCUs wide and 2 MCU rows tall at 60% height, moving 8 px per frame and bouncing:
  // a period of 2·(width − size)/8 frames, so its rows come from the cache after one period.
  const blockW = 3 * mh;
  const blockH = 2 * mh;
  const span = Math.max(0, r.width - blockW);
  const period = Math.max(1, Math.floor((2 * span) / 8));
  const phase = (n % period) * 8;
  const x = phase <= span ? phase : 2 * span - phase;
  const top = Math.min(Math.floor(r.enc.mcuRows * 0.6), Math.max(0, r.enc.mcuRows - 2)) * mh;
  overlays.push(blockOverlay(x, top, blockW, blockH));
  return { overlays };
}

function blockOverlay(x0: number, top: number, w: number, h: number): Overlay {
  return {
    top,
    bottom: top + h,
    key: `b${x0},${top},${w},${h}`,
    cacheable: true,
    draw(strip, width, y0, rows) {
      for (let y = Math.max(top, y0); y < Math.min(top + h, y0 + rows); y++) {
        for (let x = x0; x < Math.min(width, x0 + w); x++) {
          // White with a 4-px black border, so the motion is easy to see.
          const border = x - x0 < 4 || x0 + w - x <= 4 || y - top < 4 || top + h - y <= 4;
          const v = border ? 0 : 235;
          const i = ((y - y0) * width + x) * 3;
          strip[i] = v;
          strip[i + 1] = v;
          strip[i + 2] = v;
        }
      }
    },
  };
}

/** Digits in a black box at (left, top): glyphs 5×7 scaled by `scale`. */
function textOverlay(text: string, top: number, left: number, scale: number): Overlay {
  const advance = 6 * scale;
  const boxW = text.length * advance + 2 * scale;
  // One pixel of box above and below the glyphs: at scale 2 the box is exactly one 16-px MCU row.
  const boxH = 7 * scale + 2;
  return {
    top,
    bottom: top + boxH,
    key: `t${text},${top},${left},${scale}`,
    cacheable: false,
    draw(strip, width, y0, rows) {
      for (let y = Math.max(top, y0); y < Math.min(top + boxH, y0 + rows); y++) {
        const gy = Math.floor((y - top - 1) / scale);
        for (let x = left; x < Math.min(width, left + boxW); x++) {
          const cx = x - left - scale;
          const ci = Math.floor(cx / advance);
          const gx = Math.floor((cx - ci * advance) / scale);
          const glyph = FONT[text.charCodeAt(ci) - 48];
          const on =
            cx >= 0 &&
            gy >= 0 &&
            gy < 7 &&
            gx < 5 &&
            glyph !== undefined &&
            ((glyph[gy] ?? 0) & (0x10 >> gx)) !== 0;
          const v = on ? 255 : 16;
          const i = ((y - y0) * width + x) * 3;
          strip[i] = v;
          strip[i + 1] = v;
          strip[i + 2] = v;
        }
      }
    },
  };
}

/** 5×7 digits 0–9, one number per row, bit 4 = leftmost pixel. */
const FONT: readonly (readonly number[])[] = [
  [0x0e, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0e],
  [0x04, 0x0c, 0x04, 0x04, 0x04, 0x04, 0x0e],
  [0x0e, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1f],
  [0x1f, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0e],
  [0x02, 0x06, 0x0a, 0x12, 0x1f, 0x02, 0x02],
  [0x1f, 0x10, 0x1e, 0x01, 0x01, 0x11, 0x0e],
  [0x06, 0x08, 0x10, 0x1e, 0x11, 0x11, 0x0e],
  [0x1f, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
  [0x0e, 0x11, 0x11, 0x0e, 0x11, 0x11, 0x0e],
  [0x0e, 0x11, 0x11, 0x0f, 0x01, 0x02, 0x0c],
];

/** 75% colour bars (white, yellow, cyan, green, magenta, red, blue) over the top two thirds. */
const BARS: readonly (readonly [number, number, number])[] = [
  [191, 191, 191],
  [191, 191, 0],
  [0, 191, 191],
  [0, 191, 0],
  [191, 0, 191],
  [191, 0, 0],
  [0, 0, 191],
];

function drawBackground(
  strip: Uint8Array,
  width: number,
  height: number,
  y0: number,
  rows: number,
): void {
  const barsBottom = Math.floor((height * 2) / 3);
  for (let y = y0; y < y0 + rows; y++) {
    for (let x = 0; x < width; x++) {
      const i = ((y - y0) * width + x) * 3;
      if (y < barsBottom) {
        const bar = BARS[Math.min(BARS.length - 1, Math.floor((x * BARS.length) / width))] ?? [
          0, 0, 0,
        ];
        strip[i] = bar[0];
        strip[i + 1] = bar[1];
        strip[i + 2] = bar[2];
      } else {
        // 8-step grey ramp.
        const v = Math.min(255, Math.floor((x * 8) / width) * 36);
        strip[i] = v;
        strip[i + 1] = v;
        strip[i + 2] = v;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Renderers with their MCU-row caches, one per size/quality (a few at most in practice).

/**
 * Most cached MCU rows per renderer: static rows plus two rows per position of the moving block
 * (VGA: 30 + 2 × 148; 1024 px wide: 48 + 2 × 244). A few hundred bytes each at VGA.
 */
const ROW_CACHE_LIMIT = 1024;
const RENDERER_LIMIT = 8;

class Renderer {
  readonly enc: JpegEncoder;
  readonly #rows = new Map<string, Buffer>();
  readonly #strip: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
    quality: number,
  ) {
    this.enc = new JpegEncoder({ width, height, quality });
    this.#strip = new Uint8Array(this.enc.stripBytes);
  }

  /** Encodes a scene, reusing cached MCU rows where the same things are drawn. */
  render(scene: Scene, comment: string): Buffer {
    const mh = this.enc.mcuHeight;
    const rows: Buffer[] = [];
    for (let r = 0; r < this.enc.mcuRows; r++) {
      const y0 = r * mh;
      const hits = scene.overlays.filter((o) => o.top < y0 + mh && o.bottom > y0);
      // Static rows are keyed by their index alone; others also by what is drawn on them.
      const key = hits.length === 0 ? `${r}` : `${r}|${hits.map((o) => o.key).join("|")}`;
      let row = this.#rows.get(key);
      if (row === undefined) {
        drawBackground(this.#strip, this.width, this.height, y0, mh);
        for (const o of hits) o.draw(this.#strip, this.width, y0, mh);
        row = this.enc.encodeRow(this.#strip);
        if (hits.some((o) => !o.cacheable)) {
          rows.push(row);
          continue;
        }
        if (this.#rows.size >= ROW_CACHE_LIMIT) {
          // Evict the oldest entry that is not a static row (static rows are needed every frame).
          for (const k of this.#rows.keys()) {
            if (k.includes("|")) {
              this.#rows.delete(k);
              break;
            }
          }
          if (this.#rows.size >= ROW_CACHE_LIMIT) this.#rows.clear();
        }
        this.#rows.set(key, row);
      }
      rows.push(row);
    }
    return this.enc.assemble(rows, comment);
  }
}

const renderers = new Map<string, Renderer>();

function renderer(width: number, height: number, quality: number): Renderer {
  const key = `${width}x${height}q${quality}`;
  let r = renderers.get(key);
  if (r === undefined) {
    r = new Renderer(width, height, quality);
    if (renderers.size >= RENDERER_LIMIT) {
      const first = renderers.keys().next();
      if (first.done !== true) renderers.delete(first.value);
    }
    renderers.set(key, r);
  }
  return r;
}
