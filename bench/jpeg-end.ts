/**
 * The JPEG end search in isolation (`findJpegEnd`, src/liveview/jpeg.ts), per frame, on the real
 * QX100 frames and on simulator frames, with the number of 0xFF bytes per frame (the search visits
 * each one), plus alternatives tried for the decoder profile in BENCHMARKS.md (single-scan
 * baseline frames only; each checked to give the same end on every frame):
 * - `u8-indexOf`: the same walk with `Uint8Array.prototype.indexOf` (no C++ call, no SIMD);
 * - `js-loop`: the same walk as a plain JS byte loop;
 * - `memmem-ffd9`: `Buffer.indexOf([FF D9])` from the scan start, then a start-code search before
 *   it (rejects a spliced packet header).
 *
 * Usage: node dist-bench/bench/jpeg-end.js [--runs 15] [--reps 50]
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { findJpegEnd } from "../src/liveview/jpeg.js";
import { HEADERS_SIZE } from "../src/liveview/types.js";
import { splitRecordedStream } from "../src/sim/liveview.js";
import { renderFrame } from "../src/sim/pattern.js";
import {
  emitJson,
  fixturePath,
  formatMachine,
  machineInfo,
  markdownTable,
  repeat,
  round,
  summarize,
  timeMs,
} from "./lib.js";

/** Uint8Array's own indexOf (a V8 builtin), not Buffer's (a call into C++ memchr). */
function u8IndexOf(a: Uint8Array, value: number, from: number): number {
  return Uint8Array.prototype.indexOf.call(a, value, from);
}
const FF_D9 = Buffer.from([0xff, 0xd9]);
const START_CODE = Buffer.from([0x24, 0x35, 0x68, 0x79]);

/** Index just after the SOS segment (start of the scan data) of a well-formed baseline JPEG. */
function scanStart(b: Buffer): number {
  let i = 2;
  for (;;) {
    while (b[i] === 0xff) i++;
    const marker = b[i] ?? 0;
    i++;
    i += ((b[i] ?? 0) << 8) | (b[i + 1] ?? 0);
    if (marker === 0xda) return i;
  }
}

function walkU8(buf: Buffer, from: number): number {
  const len = buf.length;
  let i = from;
  for (;;) {
    const ff = u8IndexOf(buf, 0xff, i);
    if (ff < 0 || ff + 1 >= len) return -1;
    const next = buf[ff + 1] ?? 0;
    if (next === 0xd9) return ff + 2;
    if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) i = ff + 2;
    else if (next === 0xff) i = ff + 1;
    else return -2;
  }
}

function walkLoop(buf: Buffer, from: number): number {
  const len = buf.length;
  for (let i = from; i + 1 < len; i++) {
    if (buf[i] !== 0xff) continue;
    const next = buf[i + 1] ?? 0;
    if (next === 0xd9) return i + 2;
    if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) i++;
    else if (next !== 0xff) return -2;
  }
  return -1;
}

function memmem(buf: Buffer, from: number): number {
  const e = buf.indexOf(FF_D9, from);
  if (e < 0) return -1;
  return buf.subarray(from, e).indexOf(START_CODE) >= 0 ? -3 : e + 2;
}

function countFF(b: Buffer): number {
  let n = 0;
  for (let i = b.indexOf(0xff); i >= 0; i = b.indexOf(0xff, i + 1)) n++;
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: "string", default: "15" },
      reps: { type: "string", default: "50" },
    },
  });
  const reps = Number(values.reps);
  const machine = machineInfo();
  console.log(`# JPEG end search per frame\n\nMachine: ${formatMachine(machine)}\n`);
  const sets: Record<string, Buffer[]> = {
    qx100: splitRecordedStream(
      readFileSync(fixturePath("liveview/QX100-liveview-640x480.bin")),
    ).map((p) => p.subarray(HEADERS_SIZE)),
    sim640: Array.from({ length: 120 }, (_, n) => renderFrame(n)),
    sim1024: Array.from({ length: 60 }, (_, n) => renderFrame(n, { width: 1024, height: 768 })),
  };
  const methods: Record<string, (f: Buffer, start: number) => number> = {
    findJpegEnd: (f) => findJpegEnd(f),
    "u8-indexOf": walkU8,
    "js-loop": walkLoop,
    "memmem-ffd9": memmem,
  };
  const rows: string[][] = [];
  const out: Record<string, unknown>[] = [];
  for (const [name, frames] of Object.entries(sets)) {
    const starts = frames.map(scanStart);
    const ff = frames.reduce((a, f) => a + countFF(f), 0) / frames.length;
    const bytes = frames.reduce((a, f) => a + f.length, 0) / frames.length;
    for (const [label, fn] of Object.entries(methods)) {
      frames.forEach((f, k) => {
        const want = findJpegEnd(f);
        const got = fn(f, starts[k] ?? 0);
        if (got !== want)
          throw new Error(`${label} on ${name} frame ${k}: ${got}, expected ${want}`);
      });
      const times = await repeat(
        () =>
          timeMs(() => {
            for (let r = 0; r < reps; r++) {
              frames.forEach((f, k) => fn(f, starts[k] ?? 0));
            }
          }),
        { runs: Number(values.runs), warmup: 3 },
      );
      const nsPerFrame = summarize(times.map((t) => (t * 1e6) / (reps * frames.length)));
      out.push({ stream: name, method: label, ffPerFrame: ff, bytesPerFrame: bytes, nsPerFrame });
      rows.push([
        name,
        String(Math.round(bytes)),
        String(round(ff, 1)),
        label,
        `${Math.round(nsPerFrame.median)} (${Math.round(nsPerFrame.min)}–${Math.round(nsPerFrame.max)})`,
        String(Math.round((bytes / nsPerFrame.median) * 1000)),
      ]);
    }
  }
  console.log(
    markdownTable(
      ["frames", "bytes/frame", "0xFF/frame", "method", "ns/frame median (min–max)", "MB/s"],
      rows,
    ),
  );
  emitJson("jpeg-end", machine, out);
}

await main();
