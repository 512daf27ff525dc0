/**
 * LiveviewPublisher with scripted in-test streams. Most tests run on vitest's fake timers (the
 * publisher's throttle and linger timers and the scripted sources all use the global timers, and
 * the publisher's clock is injected as Date.now), so times and counts are exact. The reconnect
 * tests use real timers because the backoff sleeps through node:timers/promises.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  LiveviewPublisher,
  type LiveviewPublisherOptions,
  type LiveviewStreamStatus,
} from "../../src/bridge/liveview-publisher.js";
import { BridgeError, isBridgeError } from "../../src/errors.js";
import { type FocusFrame } from "../../src/liveview/types.js";
import {
  JPEG_LENGTH,
  ScriptedCamera,
  frameNumber,
  hang,
  jpegEvent,
  makeJpeg,
  wait,
  type StreamScript,
} from "./liveview-publisher-helpers.js";

interface Published {
  t: number;
  n: number;
  /** The frame was the publisher's newest when it was published. */
  newest: boolean;
  length: number;
}

interface Rig {
  pub: LiveviewPublisher;
  cam: ScriptedCamera;
  published: Published[];
  focus: { t: number; frames: readonly FocusFrame[] }[];
  statuses: LiveviewStreamStatus[];
  stopCalls: number;
  ac: AbortController;
  t0: number;
}

let rigs: Rig[] = [];

/** Builds a publisher over a scripted camera; publishFrame resolves true at once unless overridden. */
function rig(
  scripts: StreamScript[],
  options: Partial<LiveviewPublisherOptions> = {},
  clock: () => number = () => Date.now(),
): Rig {
  const t0 = clock();
  const cam = new ScriptedCamera(scripts, () => clock() - t0);
  const r: Rig = {
    pub: undefined as unknown as LiveviewPublisher,
    cam,
    published: [],
    focus: [],
    statuses: [],
    stopCalls: 0,
    ac: new AbortController(),
    t0,
  };
  r.pub = new LiveviewPublisher({
    fps: 5,
    lingerMs: 1000,
    openStream: cam.openStream,
    stopCamera: () => {
      r.stopCalls++;
      return Promise.resolve();
    },
    publishFrame: (jpeg) => {
      r.published.push({
        t: clock() - t0,
        n: frameNumber(jpeg),
        newest: jpeg === r.pub.latestFrame(),
        length: jpeg.length,
      });
      return Promise.resolve(true);
    },
    publishFocusFrames: (frames) => {
      r.focus.push({ t: clock() - t0, frames });
    },
    onStatus: (s) => {
      r.statuses.push(s);
    },
    now: clock,
    ...options,
  });
  rigs.push(r);
  return r;
}

async function advance(ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
}

afterEach(async () => {
  const open = rigs;
  rigs = [];
  await Promise.all(open.map((r) => r.pub.stop()));
  vi.useRealTimers();
});

describe("LiveviewPublisher on fake timers", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });

  it("publishes at most fps frames per second, each the newest at its time", async () => {
    // 200 frames at 200 fps (one every 5 ms, 0..995 ms), fps 5.
    const r = rig([{ frames: 200, everyMs: 5 }]);
    r.pub.setPublishing(true);
    r.pub.start(r.ac.signal);
    await advance(1000);
    const times = r.published.map((p) => p.t);
    expect(times.length).toBeGreaterThanOrEqual(5);
    expect(times.length).toBeLessThanOrEqual(6);
    expect(times[0]).toBe(0);
    for (let i = 1; i < times.length; i++) {
      expect((times[i] ?? 0) - (times[i - 1] ?? 0)).toBeGreaterThanOrEqual(200);
      expect((times[i] ?? 0) - (times[i - 1] ?? 0)).toBeLessThanOrEqual(205);
    }
    expect(r.published.every((p) => p.newest)).toBe(true);
    // Frame n arrives at 5n ms: the newest at time t is within one source interval of t/5.
    for (const p of r.published) expect(Math.abs(p.n - p.t / 5)).toBeLessThanOrEqual(1);
    // Every frame ends at its EOI (junk cut off).
    expect(r.published.every((p) => p.length === JPEG_LENGTH)).toBe(true);
    const s = r.pub.stats;
    expect(s.received).toBe(200);
    expect(s.published).toBe(times.length);
    expect(s.dropped).toBe(0);
    // Every frame is accounted for (the last one went out at 1000 ms).
    expect(s.published + s.throttled + s.dropped).toBe(200);
    expect(s.streaming).toBe(true);
  });

  it("publishes a frame that arrives after the interval at once", async () => {
    const r = rig([{ frames: 3, everyMs: 500 }], { fps: 5 });
    r.pub.setPublishing(true);
    r.pub.start(r.ac.signal);
    await advance(1100);
    expect(r.published.map((p) => [p.t, p.n])).toEqual([
      [0, 0],
      [500, 1],
      [1000, 2],
    ]);
    expect(r.pub.stats.throttled).toBe(0);
  });

  it("publishes a waiting frame when its interval is over (timer), not later", async () => {
    // Frames at 0, 50 and 120 ms, fps 5: frame 0 at 0; frame 1 replaced by frame 2; frame 2 at 200.
    const r = rig([], { fps: 5 });
    r.pub = new LiveviewPublisher({
      fps: 5,
      openStream: async function* (signal) {
        yield jpegEvent(makeJpeg(0));
        await wait(50, signal);
        yield jpegEvent(makeJpeg(1));
        await wait(70, signal);
        yield jpegEvent(makeJpeg(2));
        await hang(signal);
      },
      stopCamera: () => Promise.resolve(),
      publishFrame: (jpeg) => {
        r.published.push({ t: Date.now() - r.t0, n: frameNumber(jpeg), newest: true, length: 0 });
        return Promise.resolve(true);
      },
      publishFocusFrames: () => undefined,
      now: () => Date.now(),
    });
    rigs.push(r);
    r.pub.setPublishing(true);
    r.pub.start(r.ac.signal);
    await advance(400);
    expect(r.published.map((p) => [p.t, p.n])).toEqual([
      [0, 0],
      [200, 2],
    ]);
    expect(r.pub.stats).toMatchObject({ published: 2, throttled: 1, dropped: 0 });
  });

  it("drops and counts frames while a publish is in flight, never queues them", async () => {
    // fps 30 (33 ms), 100 frames at 200 fps, each publish takes 300 ms.
    const r = rig([{ frames: 100, everyMs: 5 }], { fps: 30 });
    let calls = 0;
    const starts: number[] = [];
    r.pub = new LiveviewPublisher({
      fps: 30,
      openStream: r.cam.openStream,
      stopCamera: () => Promise.resolve(),
      publishFrame: async () => {
        calls++;
        starts.push(Date.now() - r.t0);
        await new Promise((res) => setTimeout(res, 300));
        return true;
      },
      publishFocusFrames: () => undefined,
      now: () => Date.now(),
    });
    rigs.push(r);
    r.pub.setPublishing(true);
    r.pub.start(r.ac.signal);
    await advance(700);
    // t=0 first frame; t=300 the newest waiting frame at once; at 600 the waiting frame (495 ms)
    // is stale (> 2 intervals) and dropped.
    expect(starts).toEqual([0, 300]);
    expect(calls).toBe(2);
    const s = r.pub.stats;
    expect(s.received).toBe(100);
    expect(s.published).toBe(2);
    expect(s.stale).toBe(1);
    // Every frame is accounted for: published, rate-limited, or dropped.
    expect(s.published + s.throttled + s.dropped).toBe(100);
    expect(s.dropped).toBeGreaterThanOrEqual(90);
  });

  it("counts publishFrame false and rejections as dropped", async () => {
    let n = 0;
    const r = rig([{ frames: 3, everyMs: 300 }], {
      publishFrame: () => {
        n++;
        return n === 2 ? Promise.reject(new Error("broker")) : Promise.resolve(false);
      },
    });
    r.pub.setPublishing(true);
    r.pub.start(r.ac.signal);
    await advance(700);
    expect(n).toBe(3);
    expect(r.pub.stats.published).toBe(0);
    expect(r.pub.stats.dropped).toBe(3);
  });

  it("drops a stale frame instead of publishing it late", async () => {
    // A publish takes 2 s; frames stop after 100 ms: the waiting frame is 1.9 s old by then.
    const r = rig([{ frames: 21, everyMs: 5 }], { fps: 1 });
    const starts: number[] = [];
    r.pub = new LiveviewPublisher({
      fps: 1,
      openStream: r.cam.openStream,
      stopCamera: () => Promise.resolve(),
      publishFrame: async () => {
        starts.push(Date.now() - r.t0);
        await new Promise((res) => setTimeout(res, 2000));
        return true;
      },
      publishFocusFrames: () => undefined,
      now: () => Date.now(),
    });
    rigs.push(r);
    r.pub.setPublishing(true);
    r.pub.start(r.ac.signal);
    await advance(3000);
    expect(starts).toEqual([0]);
    expect(r.pub.stats).toMatchObject({ received: 21, published: 1, stale: 1, dropped: 20 });
  });

  it("throttles focus frames to the same rate, latest wins, only while publishing", async () => {
    const r = rig([{ frames: 200, everyMs: 5, focus: true }]);
    r.pub.start(r.ac.signal);
    r.pub.subscribe(() => undefined);
    await advance(300);
    expect(r.focus).toEqual([]); // publishing off
    r.pub.setPublishing(true);
    await advance(700);
    expect(r.focus.length).toBeGreaterThanOrEqual(3);
    expect(r.focus.length).toBeLessThanOrEqual(4);
    for (let i = 1; i < r.focus.length; i++) {
      expect((r.focus[i]?.t ?? 0) - (r.focus[i - 1]?.t ?? 0)).toBeGreaterThanOrEqual(200);
    }
    // Latest wins: each set is the one sent with the newest frame at that time.
    for (const f of r.focus)
      expect(Math.abs((f.frames[0]?.topLeft.x ?? -99) - f.t / 5)).toBeLessThanOrEqual(1);
    expect(r.pub.stats.focusPublished).toBe(r.focus.length);
  });

  it("runs the camera only on demand; lingers, then stops the camera once", async () => {
    const r = rig([{ frames: 1000, everyMs: 20 }], { lingerMs: 1000 });
    r.pub.start(r.ac.signal);
    await advance(100);
    expect(r.cam.opens).toBe(0); // no demand yet
    r.pub.setPublishing(true);
    await advance(100);
    expect(r.cam.opens).toBe(1);
    expect(r.statuses).toEqual([{ state: "started" }]);
    r.pub.setPublishing(false);
    await advance(999);
    expect(r.cam.aborted).toBe(false);
    expect(r.stopCalls).toBe(0);
    await advance(2);
    expect(r.cam.aborted).toBe(true);
    expect(r.stopCalls).toBe(1);
    expect(r.statuses).toEqual([{ state: "started" }, { state: "stopped" }]);
    expect(r.pub.stats.streaming).toBe(false);
    // Demand again: a new stream.
    r.pub.setPublishing(true);
    await advance(50);
    expect(r.cam.opens).toBe(2);
    expect(r.pub.stats.streaming).toBe(true);
  });

  it("keeps the stream when demand returns during the linger", async () => {
    const r = rig([{ frames: 1000, everyMs: 20 }], { lingerMs: 1000 });
    r.pub.start(r.ac.signal);
    const unsubscribe = r.pub.subscribe(() => undefined);
    await advance(100);
    unsubscribe();
    unsubscribe(); // idempotent
    await advance(600);
    r.pub.setPublishing(true);
    await advance(2000);
    expect(r.cam.opens).toBe(1);
    expect(r.cam.aborted).toBe(false);
    expect(r.stopCalls).toBe(0);
    expect(r.pub.stats.received).toBeGreaterThan(100);
  });

  it("starts a new stream when demand returns while the camera is being stopped", async () => {
    let stops = 0;
    const r = rig([{ frames: 1000, everyMs: 20 }], {
      lingerMs: 100,
      stopCamera: async () => {
        stops++;
        await new Promise((res) => setTimeout(res, 200));
      },
    });
    r.pub.start(r.ac.signal);
    r.pub.setPublishing(true);
    await advance(50);
    r.pub.setPublishing(false);
    await advance(150); // linger over, stopCamera running
    expect(stops).toBe(1);
    expect(r.cam.aborted).toBe(true);
    r.pub.setPublishing(true);
    await advance(100);
    expect(r.cam.opens).toBe(1); // not while the stop is in progress
    await advance(150);
    expect(r.cam.opens).toBe(2);
    expect(r.statuses.map((s) => s.state)).toEqual(["started", "stopped", "started"]);
    const stopped = r.pub.stop();
    await advance(200); // the second stopCamera
    await stopped;
    expect(stops).toBe(2);
  });

  it("demand from subscribers: frames go to consumers, not to MQTT", async () => {
    const r = rig([{ frames: 50, everyMs: 10 }]);
    r.pub.start(r.ac.signal);
    const got: number[] = [];
    const unsubscribe = r.pub.subscribe((jpeg) => {
      expect(jpeg.length).toBe(JPEG_LENGTH);
      got.push(frameNumber(jpeg));
    });
    await advance(600);
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(r.published).toEqual([]);
    expect(r.cam.opens).toBe(1);
    // Publishing on and off again while the consumer stays: no linger, no camera stop.
    r.pub.setPublishing(true);
    r.pub.setPublishing(false);
    await advance(3000);
    expect(r.stopCalls).toBe(0);
    expect(r.cam.aborted).toBe(false);
    unsubscribe();
    await advance(1001);
    expect(r.stopCalls).toBe(1);
  });

  it("isolates a consumer that throws", async () => {
    const r = rig([{ frames: 20, everyMs: 10 }]);
    r.pub.start(r.ac.signal);
    const good: number[] = [];
    r.pub.subscribe(() => {
      throw new Error("broken viewer");
    });
    r.pub.subscribe((jpeg) => good.push(frameNumber(jpeg)));
    await advance(300);
    expect(good).toHaveLength(20);
    expect(r.pub.stats.consumerErrors).toBe(20);
    expect(r.pub.stats.received).toBe(20);
  });

  it("skips JPEG packets that do not trim; hands out frames ending at the EOI", async () => {
    const cut = makeJpeg(7).subarray(0, JPEG_LENGTH - 2); // no EOI
    const r = rig([]);
    const got: Uint8Array[] = [];
    r.pub = new LiveviewPublisher({
      fps: 5,
      openStream: async function* (signal) {
        yield jpegEvent(cut);
        yield { ...jpegEvent(makeJpeg(8)), jpegEnd: -1 }; // trimmed again by trimJpeg
        yield jpegEvent(makeJpeg(9));
        yield { type: "discarded", offset: 0, bytes: 10, reason: "garbage" };
        await hang(signal);
      },
      stopCamera: () => Promise.resolve(),
      publishFrame: () => Promise.resolve(true),
      publishFocusFrames: () => undefined,
    });
    rigs.push(r);
    r.pub.start(r.ac.signal);
    r.pub.subscribe((j) => got.push(j));
    await advance(10);
    expect(got.map(frameNumber)).toEqual([8, 9]);
    for (const j of got) {
      expect(j.length).toBe(JPEG_LENGTH);
      expect([j[0], j[1], j.at(-2), j.at(-1)]).toEqual([0xff, 0xd8, 0xff, 0xd9]);
    }
    expect(r.pub.stats).toMatchObject({ received: 2, skipped: 1 });
    expect(frameNumber(r.pub.latestFrame() ?? new Uint8Array(10))).toBe(9);
  });

  it("latestFrame honours maxAgeMs", async () => {
    const r = rig([{ frames: 1 }]);
    expect(r.pub.latestFrame()).toBeNull();
    r.pub.start(r.ac.signal);
    r.pub.subscribe(() => undefined);
    await advance(10);
    expect(r.pub.latestFrame(100)).not.toBeNull();
    await advance(200);
    expect(r.pub.latestFrame(100)).toBeNull();
    expect(r.pub.latestFrame()).not.toBeNull();
  });

  it("turning publishing on sends a fresh latest frame at once", async () => {
    const r = rig([{ frames: 2, everyMs: 10 }]);
    r.pub.start(r.ac.signal);
    r.pub.subscribe(() => undefined);
    await advance(50);
    r.pub.setPublishing(true);
    expect(r.published.map((p) => p.n)).toEqual([1]);
  });

  it("setFps changes the rate and validates", async () => {
    const r = rig([{ frames: 400, everyMs: 5 }], { fps: 1 });
    r.pub.setPublishing(true);
    r.pub.start(r.ac.signal);
    await advance(999);
    expect(r.published.map((p) => p.t)).toEqual([0]);
    r.pub.setFps(10); // the frame waiting since 995 ms goes out at once: its interval is over
    expect(r.published.map((p) => p.t)).toEqual([0, 999]);
    expect(r.pub.fps).toBe(10);
    await advance(1000);
    expect(r.published.length).toBeGreaterThanOrEqual(10);
    expect(r.published.length).toBeLessThanOrEqual(12);
    expect(() => {
      r.pub.setFps(0.05);
    }).toThrow(RangeError);
    expect(() => {
      r.pub.setFps(31);
    }).toThrow(RangeError);
    expect(() => {
      r.pub.setFps(Number.NaN);
    }).toThrow(RangeError);
    expect(() => rig([], { fps: 0 })).toThrow(RangeError);
    rigs.pop();
  });

  it("stop is idempotent: aborts the stream, stops the camera once, clears timers", async () => {
    const r = rig([{ frames: 1000, everyMs: 20 }]);
    r.pub.setPublishing(true);
    r.pub.start(r.ac.signal);
    await advance(100);
    const first = r.pub.stop();
    const second = r.pub.stop();
    expect(second).toBe(first);
    await first;
    await r.pub.stop();
    expect(r.cam.aborted).toBe(true);
    expect(r.stopCalls).toBe(1);
    expect(r.statuses.at(-1)).toEqual({ state: "stopped" });
    expect(vi.getTimerCount()).toBe(0);
    // Nothing restarts it.
    r.pub.setPublishing(false);
    r.pub.setPublishing(true);
    r.pub.subscribe(() => undefined);
    await advance(6000);
    expect(r.cam.opens).toBe(1);
  });

  it("stop without a stream never calls stopCamera; start after stop does nothing", async () => {
    const r = rig([{ frames: 10 }]);
    r.pub.start(r.ac.signal);
    await r.pub.stop();
    r.pub.setPublishing(true);
    r.pub.start(new AbortController().signal);
    await advance(100);
    expect(r.cam.opens).toBe(0);
    expect(r.stopCalls).toBe(0);
    expect(r.statuses).toEqual([]);
  });

  it("the start signal firing stops the stream and the camera", async () => {
    const r = rig([{ frames: 1000, everyMs: 20 }]);
    r.pub.setPublishing(true);
    r.pub.start(r.ac.signal);
    await advance(100);
    r.ac.abort(new BridgeError("ABORTED", "shutdown"));
    await advance(1);
    expect(r.cam.aborted).toBe(true);
    await r.pub.stop();
    expect(r.stopCalls).toBe(1);
  });
});

describe("LiveviewPublisher on real timers", () => {
  it("reconnects with backoff on open failures and stream ends; resets after frames", async () => {
    const r = rig(
      [
        { failOpen: new BridgeError("CAMERA_UNREACHABLE", "refused") },
        { failOpen: new BridgeError("CAMERA_UNREACHABLE", "refused") },
        { frames: 2, everyMs: 1, then: "end" },
        { frames: 2, everyMs: 1, then: new BridgeError("LIVEVIEW_STREAM", "reset") },
        { frames: 1000, everyMs: 2 },
      ],
      // random 1: delays are exactly min(max, base * 2^attempt) = 20, 40, then reset to 20.
      { backoff: { baseMs: 20, maxMs: 1000, minMs: 1, random: () => 1 } },
      () => performance.now(),
    );
    r.pub.start(r.ac.signal);
    r.pub.subscribe(() => undefined);
    await vi.waitFor(
      () => {
        expect(r.cam.opens).toBe(5);
        expect(r.pub.stats.streaming).toBe(true);
      },
      { timeout: 3000, interval: 5 },
    );
    // Only changes are reported: a failure streak is one "reconnecting" with its first error.
    expect(r.statuses.map((s) => s.state)).toEqual([
      "reconnecting",
      "started",
      "reconnecting",
      "started",
      "reconnecting",
      "started",
    ]);
    const errors = r.statuses.filter((s) => s.state === "reconnecting").map((s) => s.error);
    expect(errors.map((e) => (isBridgeError(e) ? e.code : e))).toEqual([
      "CAMERA_UNREACHABLE",
      "LIVEVIEW_STREAM", // ended cleanly
      "LIVEVIEW_STREAM", // thrown
    ]);
    expect((errors[2] as Error).message).toContain("reset");
    expect(r.pub.stats.reconnects).toBe(4);
    const gaps = r.cam.openTimes.slice(1).map((t, i) => t - (r.cam.openTimes[i] ?? 0));
    // Backoff doubles while nothing works, and restarts after a stream that delivered frames.
    const expected = [20, 40, 20, 20];
    gaps.forEach((g, i) => {
      expect(g).toBeGreaterThanOrEqual((expected[i] ?? 0) - 2);
    });
    await r.pub.stop();
    expect(r.stopCalls).toBe(1); // one session, one camera stop
  });

  it("retries while demand lasts and stops retrying when demand ends", async () => {
    const r = rig(
      [{ failOpen: new BridgeError("CAMERA_UNREACHABLE", "refused") }],
      { lingerMs: 30, backoff: { baseMs: 5, maxMs: 5, minMs: 5 } },
      () => performance.now(),
    );
    r.pub.start(r.ac.signal);
    const unsubscribe = r.pub.subscribe(() => undefined);
    await vi.waitFor(() => {
      expect(r.cam.opens).toBeGreaterThanOrEqual(3);
    });
    unsubscribe();
    await vi.waitFor(() => {
      expect(r.statuses.at(-1)).toEqual({ state: "stopped" });
    });
    const opens = r.cam.opens;
    await new Promise((res) => setTimeout(res, 60));
    expect(r.cam.opens).toBe(opens);
    expect(r.stopCalls).toBe(1);
  });

  it("counts and reports the reconnect events of a reconnecting openStream", async () => {
    const fail = new BridgeError("LIVEVIEW_STREAM", "no liveview data");
    const r = rig([]);
    r.pub = new LiveviewPublisher({
      fps: 5,
      openStream: async function* (signal) {
        yield jpegEvent(makeJpeg(1));
        yield { type: "reconnect", attempt: 1, delayMs: 10, error: fail };
        yield { type: "reconnect", attempt: 2, delayMs: 20, error: fail };
        yield jpegEvent(makeJpeg(2));
        await hang(signal);
      },
      stopCamera: () => {
        r.stopCalls++;
        return Promise.resolve();
      },
      publishFrame: () => Promise.resolve(true),
      publishFocusFrames: () => undefined,
      onStatus: (st) => r.statuses.push(st),
    });
    rigs.push(r);
    r.pub.start(r.ac.signal);
    r.pub.subscribe(() => undefined);
    await vi.waitFor(() => {
      expect(r.pub.stats.received).toBe(2);
    });
    expect(r.statuses).toEqual([
      { state: "started" },
      { state: "reconnecting", error: fail },
      { state: "started" },
    ]);
    expect(r.pub.stats).toMatchObject({ reconnects: 2, streaming: true });
    await r.pub.stop();
    expect(r.stopCalls).toBe(1);
  });

  it("bounds a stopCamera that never returns", async () => {
    const r = rig([{ frames: 1 }], {
      stopTimeoutMs: 50,
      stopCamera: () => new Promise<void>(() => undefined),
    });
    r.pub.start(r.ac.signal);
    r.pub.setPublishing(true);
    await vi.waitFor(() => {
      expect(r.pub.stats.received).toBe(1);
    });
    const t = performance.now();
    await r.pub.stop();
    expect(performance.now() - t).toBeLessThan(2000);
    expect(r.statuses.at(-1)).toEqual({ state: "stopped" });
  });

  it("bounds a publish in flight at stop", async () => {
    const r = rig([{ frames: 1 }], {
      stopTimeoutMs: 50,
      publishFrame: () => new Promise<boolean>(() => undefined),
    });
    r.pub.start(r.ac.signal);
    r.pub.setPublishing(true);
    await vi.waitFor(() => {
      expect(r.pub.stats.received).toBe(1);
    });
    const t = performance.now();
    await r.pub.stop();
    expect(performance.now() - t).toBeLessThan(2000);
  });
});
