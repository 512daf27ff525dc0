/**
 * Liveview decoder throughput (issue 7): `LiveviewDecoder` on the real QX100 capture (its
 * complete packets, repeated) and on simulator streams (640×480 and 1024×768 test-pattern
 * frames, QX-padded as src/sim/liveview.ts pads them), fed in whole packets and in seeded random
 * 1–64 KiB chunks (`random`), plus seeded random 1–4 KiB chunks (`small`, closer to what a
 * socket yields for a 30 fps stream, and where naive buffering hurts). Side by side with the same bytes in the same chunks:
 * - `copy-ring`: copying each chunk into a preallocated 1 MiB buffer (the ceiling: every byte
 *   touched once, no allocation);
 * - `Buffer.from`: one new buffer per chunk (allocation + copy, what a copying reader pays);
 * - `naive`: `Buffer.concat([acc, chunk])` on every chunk, then frames sliced out by their
 *   header lengths and their JPEG end found (same per-frame work, naive buffering).
 * Also verifies zero-copy: a frame whose packet lies inside one chunk must be a view of it.
 *
 * Usage: node dist-bench/bench/decoder.js [--mb 100] [--runs 9] [--warmup 2] [--seed 7]
 *   [--sim-frames 300] [--stream qx100,sim640,sim1024] [--mode packets,random,small]
 *   [--method decoder,copy-ring,Buffer.from,naive] [--skip-zero-copy]
 * (npm run bench:decoder builds and runs it). MB = 10^6 bytes.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { LiveviewDecoder } from "../src/liveview/codec.js";
import { encodeLiveviewPacket } from "../src/liveview/encode.js";
import { findJpegEnd } from "../src/liveview/jpeg.js";
import { COMMON_HEADER_SIZE, HEADERS_SIZE, PayloadType } from "../src/liveview/types.js";
import { splitRecordedStream } from "../src/sim/liveview.js";
import { renderFrame } from "../src/sim/pattern.js";
import {
  emitJson,
  fixturePath,
  fmtSpread,
  formatMachine,
  gcIfExposed,
  machineInfo,
  markdownTable,
  randomChunks,
  repeat,
  round,
  seededRandom,
  summarize,
  timeMs,
  type Summary,
} from "./lib.js";

const STREAMS = ["qx100", "sim640", "sim1024"] as const;
type StreamName = (typeof STREAMS)[number];
const MODES = ["packets", "random", "small"] as const;
type Mode = (typeof MODES)[number];
const METHODS = ["decoder", "copy-ring", "Buffer.from", "naive"] as const;
type Method = (typeof METHODS)[number];

/** A test stream: the bytes and where each packet starts. */
interface Stream {
  name: StreamName;
  description: string;
  bytes: Buffer;
  /** Views of `bytes`, one per packet. */
  packets: Buffer[];
  /** Image packets in the stream (what the decoder must emit). */
  frames: number;
}

function parseList<T extends string>(value: string | undefined, all: readonly T[]): T[] {
  if (value === undefined) return [...all];
  const picked = value.split(",").map((s) => s.trim());
  for (const p of picked) {
    if (!(all as readonly string[]).includes(p)) throw new Error(`unknown value ${p}`);
  }
  return picked as T[];
}

/** Repeats `packets` until at least `targetBytes` and returns one contiguous stream. */
function repeatPackets(
  name: StreamName,
  description: string,
  unit: readonly Buffer[],
  targetBytes: number,
): Stream {
  const unitBytes = unit.reduce((a, p) => a + p.length, 0);
  const reps = Math.max(1, Math.ceil(targetBytes / unitBytes));
  const bytes = Buffer.allocUnsafe(unitBytes * reps);
  const packets: Buffer[] = [];
  let o = 0;
  let frames = 0;
  for (let r = 0; r < reps; r++) {
    for (const p of unit) {
      p.copy(bytes, o);
      packets.push(bytes.subarray(o, o + p.length));
      o += p.length;
      if (p[1] === PayloadType.LIVEVIEW_IMAGE || p[1] === PayloadType.STREAMING_IMAGE) frames++;
    }
  }
  return { name, description, bytes, packets, frames };
}

/**
 * QX padding as the simulator applies it (camera-api.md §5.3): the JPEG region padded to the
 * next multiple of 128 with junk, every 4th frame's junk holding an FF D9.
 */
function qxPad(jpeg: Buffer, frame: number, rnd: () => number): Buffer {
  const junkLen = 128 - (jpeg.length % 128);
  const out = Buffer.allocUnsafe(jpeg.length + junkLen);
  jpeg.copy(out);
  for (let i = jpeg.length; i < out.length; i++) out[i] = Math.floor(rnd() * 256);
  if (frame % 4 === 1 && junkLen >= 2) {
    const at = jpeg.length + Math.floor(rnd() * (junkLen - 1));
    out[at] = 0xff;
    out[at + 1] = 0xd9;
  }
  return out;
}

function simPackets(width: number, height: number, count: number): Buffer[] {
  const rnd = seededRandom(1);
  const out: Buffer[] = [];
  for (let n = 0; n < count; n++) {
    const data = qxPad(renderFrame(n, { width, height }), n, rnd);
    out.push(
      encodeLiveviewPacket({
        payloadType: PayloadType.LIVEVIEW_IMAGE,
        sequence: n,
        timestamp: 4 + Math.round((n * 1000) / 30),
        data,
      }),
    );
  }
  return out;
}

function buildStream(name: StreamName, targetBytes: number, simFrames: number): Stream {
  switch (name) {
    case "qx100": {
      const unit = splitRecordedStream(
        readFileSync(fixturePath("liveview/QX100-liveview-640x480.bin")),
      );
      return repeatPackets(
        name,
        `real QX100 capture, ${unit.length} complete packets repeated`,
        unit,
        targetBytes,
      );
    }
    case "sim640":
      return repeatPackets(
        name,
        `simulator 640×480 q60, ${simFrames} frames repeated`,
        simPackets(640, 480, simFrames),
        targetBytes,
      );
    case "sim1024":
      return repeatPackets(
        name,
        `simulator 1024×768 q60, ${simFrames} frames repeated`,
        simPackets(1024, 768, simFrames),
        targetBytes,
      );
  }
}

/** Result of one pass: frames emitted (checked against the stream) and a sink value. */
type Pass = (chunks: readonly Buffer[]) => number;

function decoderPass(chunks: readonly Buffer[]): number {
  const dec = new LiveviewDecoder();
  let frames = 0;
  for (const c of chunks) {
    for (const ev of dec.push(c)) if (ev.type === "jpeg") frames++;
  }
  for (const ev of dec.end()) if (ev.type === "jpeg") frames++;
  return frames;
}

const RING = Buffer.allocUnsafe(1024 * 1024);
function copyRingPass(chunks: readonly Buffer[]): number {
  let pos = 0;
  for (const c of chunks) {
    if (pos + c.length > RING.length) pos = 0;
    c.copy(RING, pos);
    pos += c.length;
  }
  return RING[pos % RING.length] ?? 0;
}

let sink: Buffer = Buffer.alloc(0);
function bufferFromPass(chunks: readonly Buffer[]): number {
  let x = 0;
  for (const c of chunks) {
    sink = Buffer.from(c);
    x ^= sink.length;
  }
  return x;
}

/** The naive reader: concatenate every chunk to the leftover, then slice whole packets out. */
function naivePass(chunks: readonly Buffer[]): number {
  let acc = Buffer.alloc(0);
  let frames = 0;
  for (const c of chunks) {
    acc = Buffer.concat([acc, c]);
    while (acc.length >= HEADERS_SIZE) {
      const size = acc.readUIntBE(COMMON_HEADER_SIZE + 4, 3);
      const total = HEADERS_SIZE + size + (acc[COMMON_HEADER_SIZE + 7] ?? 0);
      if (acc.length < total) break;
      const data = acc.subarray(HEADERS_SIZE, HEADERS_SIZE + size);
      if (findJpegEnd(data) > 0) frames++;
      acc = acc.subarray(total);
    }
  }
  return frames;
}

const PASSES: Record<Method, Pass> = {
  decoder: decoderPass,
  "copy-ring": copyRingPass,
  "Buffer.from": bufferFromPass,
  naive: naivePass,
};

/** Zero-copy check: every frame inside one chunk must be a view of that chunk's memory. */
function zeroCopyCheck(stream: Stream, seed: number) {
  // Each chunk in its own ArrayBuffer, as socket reads are, so `.buffer` identity means something.
  const chunks = randomChunks(stream.bytes, seed, 1024, 65536).map((v) => {
    const c = Buffer.allocUnsafeSlow(v.length);
    v.copy(c);
    return c;
  });
  const starts: number[] = [];
  let o = 0;
  for (const c of chunks) {
    starts.push(o);
    o += c.length;
  }
  /** Index of the chunk holding stream offset `pos` (binary search). */
  const chunkAt = (pos: number): number => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] ?? 0) <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const dec = new LiveviewDecoder();
  let frames = 0;
  let insideOne = 0;
  let zeroCopy = 0;
  let copiedInsideOne = 0;
  let discarded = 0;
  const check = (events: ReturnType<LiveviewDecoder["push"]>): void => {
    for (const ev of events) {
      if (ev.type === "discarded") discarded += ev.bytes;
      if (ev.type !== "jpeg") continue;
      frames++;
      const first = ev.offset + HEADERS_SIZE;
      const last = first + ev.data.length - 1;
      const ci = chunkAt(first);
      const chunk = chunks[ci];
      if (chunk === undefined) continue;
      const inside = ci === chunkAt(last);
      const isView = ev.data.buffer === chunk.buffer;
      if (inside) {
        insideOne++;
        if (isView) zeroCopy++;
        else copiedInsideOne++;
      }
    }
  };
  for (const c of chunks) check(dec.push(c));
  check(dec.end());
  return { chunks: chunks.length, frames, insideOne, zeroCopy, copiedInsideOne, discarded };
}

interface Row {
  stream: StreamName;
  mode: Mode;
  method: Method;
  /** Bytes and image frames per pass. */
  bytes: number;
  frames: number;
  chunks: number;
  mbps: Summary;
  fps: Summary;
  ms: Summary;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      mb: { type: "string", default: "100" },
      runs: { type: "string", default: "9" },
      warmup: { type: "string", default: "2" },
      seed: { type: "string", default: "7" },
      "sim-frames": { type: "string", default: "300" },
      stream: { type: "string" },
      mode: { type: "string" },
      method: { type: "string" },
      "skip-zero-copy": { type: "boolean", default: false },
    },
  });
  const targetBytes = Number(values.mb) * 1e6;
  const runs = Number(values.runs);
  const warmup = Number(values.warmup);
  const seed = Number(values.seed);
  const streams = parseList(values.stream, STREAMS);
  const modes = parseList(values.mode, MODES);
  const methods = parseList(values.method, METHODS);

  const machine = machineInfo();
  console.log(`# Liveview decoder throughput\n\nMachine: ${formatMachine(machine)}\n`);
  const rows: Row[] = [];
  const zero: Record<string, ReturnType<typeof zeroCopyCheck>> = {};
  for (const name of streams) {
    const stream = buildStream(name, targetBytes, Number(values["sim-frames"]));
    const avgPacket = stream.bytes.length / stream.packets.length;
    console.log(
      `## ${name}: ${stream.description}; ${round(stream.bytes.length / 1e6)} MB, ` +
        `${stream.packets.length} packets (avg ${Math.round(avgPacket)} B), ${stream.frames} frames\n`,
    );
    for (const mode of modes) {
      const chunks =
        mode === "packets" ? stream.packets : randomChunks(stream.bytes, seed, 1024, 65536);
      for (const method of methods) {
        const pass = PASSES[method];
        const times = await repeat(
          () => {
            let result = 0;
            const ms = timeMs(() => {
              result = pass(chunks);
            });
            if ((method === "decoder" || method === "naive") && result !== stream.frames) {
              throw new Error(
                `${method} on ${name}/${mode}: ${result} frames, expected ${stream.frames}`,
              );
            }
            return ms;
          },
          { runs, warmup, between: gcIfExposed },
        );
        const row: Row = {
          stream: name,
          mode,
          method,
          bytes: stream.bytes.length,
          frames: stream.frames,
          chunks: chunks.length,
          ms: summarize(times),
          mbps: summarize(times.map((t) => stream.bytes.length / 1e6 / (t / 1000))),
          fps: summarize(times.map((t) => stream.frames / (t / 1000))),
        };
        rows.push(row);
        console.log(
          `${name.padEnd(8)} ${mode.padEnd(8)} ${method.padEnd(12)} ${fmtSpread(row.mbps, 0).padStart(22)} MB/s` +
            `  ${fmtSpread(row.fps, 0).padStart(24)} frames/s`,
        );
      }
    }
    if (values["skip-zero-copy"]) continue;
    zero[name] = zeroCopyCheck(stream, seed);
    console.log(`zero-copy (random chunks, own ArrayBuffers): ${JSON.stringify(zero[name])}\n`);
  }

  // Markdown summary: throughput per method, and the decoder against the ceiling.
  const table = rows.map((r) => [
    r.stream,
    r.mode,
    r.method,
    String(r.chunks),
    fmtSpread(r.mbps, 0),
    `${round(r.mbps.p25, 0)}–${round(r.mbps.p75, 0)}`,
    fmtSpread(r.fps, 0),
  ]);
  console.log(
    markdownTable(
      [
        "stream",
        "feed",
        "method",
        "chunks",
        "MB/s median (min–max)",
        "MB/s IQR",
        "frames/s median (min–max)",
      ],
      table,
    ),
  );
  console.log("");
  const verdicts: string[][] = [];
  for (const name of streams) {
    for (const mode of modes) {
      const get = (m: Method): Row | undefined =>
        rows.find((r) => r.stream === name && r.mode === mode && r.method === m);
      const dec = get("decoder");
      const ring = get("copy-ring");
      const from = get("Buffer.from");
      const naive = get("naive");
      if (dec === undefined) continue;
      const ratio = (x: Row | undefined): string =>
        x === undefined ? "–" : `${round(x.mbps.median / dec.mbps.median, 2)}×`;
      const ceiling = ring === undefined ? undefined : ring.mbps.median / dec.mbps.median;
      const gb = dec.mbps.median >= 1000 ? "met" : "MISSED";
      const within = ceiling === undefined ? "–" : ceiling <= 2 ? "met" : "MISSED";
      verdicts.push([
        name,
        mode,
        `${round(dec.mbps.median, 0)}`,
        ratio(ring),
        ratio(from),
        naive === undefined ? "–" : `${round(dec.mbps.median / naive.mbps.median, 2)}×`,
        gb,
        within,
      ]);
    }
  }
  console.log(
    markdownTable(
      [
        "stream",
        "feed",
        "decoder MB/s",
        "copy-ring / decoder",
        "Buffer.from / decoder",
        "decoder / naive",
        "≥ 1 GB/s",
        "≤ 2× copy-ring",
      ],
      verdicts,
    ),
  );
  console.log(`\nload at end: ${machineInfo().loadAvg.join(" / ")}`);
  emitJson("decoder", machine, { rows, zeroCopy: zero });
}

await main();
