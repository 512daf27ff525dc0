/**
 * In-test liveview sources for the LiveviewPublisher unit tests: structurally valid tiny JPEGs
 * (numbered through a COM segment, QX-style junk after the EOI, camera-api.md §5.3) and scripted
 * `openStream` generators paced by the global timers (so vitest fake timers drive them).
 */
import { type LiveviewEvent, type LiveviewJpegEvent } from "../../src/liveview/codec.js";
import { findJpegEnd } from "../../src/liveview/jpeg.js";
import { PayloadType, type FocusFrame } from "../../src/liveview/types.js";

/** QX junk after the EOI, itself containing FF D9 (§5.4: do not trim at the last FF D9). */
const JUNK = [0xff, 0xd9, 0xaa, 0xff, 0xd9, 0x00];

/** A minimal structurally complete JPEG carrying `n` in a COM segment (+ junk when `junk`). */
export function makeJpeg(n: number, junk = true): Uint8Array {
  const bytes = [
    0xff,
    0xd8,
    // COM, length 6: the frame number (u32 BE)
    0xff,
    0xfe,
    0x00,
    0x06,
    (n >>> 24) & 255,
    (n >>> 16) & 255,
    (n >>> 8) & 255,
    n & 255,
    // SOS, length 8
    0xff,
    0xda,
    0x00,
    0x08,
    0x01,
    0x01,
    0x00,
    0x00,
    0x3f,
    0x00,
    // scan data with a stuffed FF and a restart marker
    0x12,
    0x34,
    0xff,
    0x00,
    0x56,
    0xff,
    0xd0,
    0x78,
    0xff,
    0xd9,
  ];
  return Uint8Array.from(junk ? [...bytes, ...JUNK] : bytes);
}

/** Length of {@link makeJpeg}'s JPEG up to and including its EOI. */
export const JPEG_LENGTH = makeJpeg(0, false).length;

/** The frame number of a {@link makeJpeg} frame. */
export function frameNumber(jpeg: Uint8Array): number {
  return Buffer.from(jpeg.buffer, jpeg.byteOffset, jpeg.byteLength).readUInt32BE(6);
}

/** A decoder-like jpeg event for `data`. */
export function jpegEvent(data: Uint8Array, sequence = 0): LiveviewJpegEvent {
  return {
    type: "jpeg",
    payloadType: PayloadType.LIVEVIEW_IMAGE,
    sequence,
    timestamp: sequence * 33,
    offset: 0,
    data,
    jpegEnd: findJpegEnd(data),
  };
}

/** Focus frames whose first x coordinate carries `n`. */
export function focusFrames(n: number): FocusFrame[] {
  return [
    {
      topLeft: { x: n, y: 0 },
      bottomRight: { x: n + 100, y: 100 },
      category: 1,
      status: 4,
      additional: 1,
    },
  ];
}

/** Resolves after `ms` (global setTimeout, so fake timers apply); rejects when `signal` fires. */
export function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Never resolves; rejects when `signal` fires (a camera that stopped sending). */
export function hang(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason as Error);
      return;
    }
    signal.addEventListener(
      "abort",
      () => {
        reject(signal.reason as Error);
      },
      { once: true },
    );
  });
}

/** What one opening of the scripted stream does. */
export interface StreamScript {
  /** Throw this before yielding anything (opening failed). */
  failOpen?: Error;
  /** Number of frames (default 0). */
  frames?: number;
  /** Gap between frames, ms (default 5). The first frame comes at once. */
  everyMs?: number;
  /** Also yield a frame_info event after each JPEG. */
  focus?: boolean;
  /** Frame numbers start here (default: continues across openings). */
  firstNumber?: number;
  /** After the frames: "hang" (default) until aborted, "end" (return), or throw an error. */
  then?: "hang" | "end" | Error;
}

/** A scripted `openStream`: script `i` drives the i-th opening (the last one repeats). */
export class ScriptedCamera {
  opens = 0;
  readonly signals: AbortSignal[] = [];
  /** Time (clock()) of each opening. */
  readonly openTimes: number[] = [];
  #next = 0;

  constructor(
    private readonly scripts: StreamScript[],
    private readonly clock: () => number = () => Date.now(),
  ) {}

  /** Whether the latest opening's signal is aborted (true when never opened). */
  get aborted(): boolean {
    return this.signals.at(-1)?.aborted ?? true;
  }

  readonly openStream = (signal: AbortSignal): AsyncIterable<LiveviewEvent> => {
    const script = this.scripts[Math.min(this.opens, this.scripts.length - 1)] ?? {};
    this.opens++;
    this.signals.push(signal);
    this.openTimes.push(this.clock());
    return this.#run(script, signal);
  };

  async *#run(script: StreamScript, signal: AbortSignal): AsyncGenerator<LiveviewEvent> {
    if (script.failOpen !== undefined) {
      await wait(0, signal);
      throw script.failOpen;
    }
    if (script.firstNumber !== undefined) this.#next = script.firstNumber;
    const frames = script.frames ?? 0;
    for (let i = 0; i < frames; i++) {
      if (i > 0) await wait(script.everyMs ?? 5, signal);
      const n = this.#next++;
      yield jpegEvent(makeJpeg(n), n & 0xffff);
      if (script.focus === true) {
        yield {
          type: "frame_info",
          sequence: n & 0xffff,
          timestamp: n * 33,
          offset: 0,
          version: { major: 1, minor: 0 },
          frames: focusFrames(n),
        };
      }
    }
    const then = script.then ?? "hang";
    if (then === "end") return;
    if (then === "hang") await hang(signal);
    else throw then;
  }
}
