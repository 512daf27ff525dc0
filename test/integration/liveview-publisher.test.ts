/**
 * LiveviewPublisher against the real simulator over loopback, through the real client
 * (CameraClient + CameraApi.startLiveview/stopLiveview) and the real liveview edge
 * (src/liveview/stream.ts; camera-api.md §5.1: startLiveview → GET the URL → endless chunked
 * body). `openStream` is built both ways the bridge may wire it: a reconnecting
 * `liveviewSession`, and one `liveviewEvents` stream per call with the publisher's own backoff.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  LiveviewPublisher,
  type LiveviewPublisherOptions,
  type LiveviewStreamStatus,
} from "../../src/bridge/liveview-publisher.js";
import { CameraApi } from "../../src/camera/api.js";
import { CameraClient } from "../../src/camera/client.js";
import { findJpegEnd, jpegSize } from "../../src/liveview/jpeg.js";
import {
  liveviewEvents,
  liveviewSession,
  type LiveviewSessionEvent,
} from "../../src/liveview/stream.js";
import { readSimComment } from "../../src/sim/pattern.js";
import { type Simulator, type SimulatorOptions } from "../../src/sim/simulator.js";
import { cameraCall, startTestSim, waitFor } from "../helpers/sim.js";

let sim: Simulator | undefined;
let client: CameraClient | undefined;
let publisher: LiveviewPublisher | undefined;
let life: AbortController | undefined;

afterEach(async () => {
  life?.abort();
  await publisher?.stop();
  publisher = undefined;
  await client?.close();
  client = undefined;
  await sim?.close();
  sim = undefined;
});

/** How `openStream` is built. */
type StreamKind = "session" | "single";

const BACKOFF = { baseMs: 20, minMs: 10, maxMs: 100 };
/** Stall detection of the liveview edge (the camera's own is 10 s, §5.1), short for the tests. */
const IDLE_MS = 1000;

/** startLiveview + GET + decode, the way the bridge may wire it. */
function openStreamOf(
  kind: StreamKind,
  api: CameraApi,
): (signal: AbortSignal) => AsyncIterable<LiveviewSessionEvent> {
  if (kind === "session") {
    return (signal) =>
      liveviewSession({
        signal,
        openUrl: (s) => api.startLiveview({ signal: s }),
        backoff: BACKOFF,
        idleTimeoutMs: IDLE_MS,
      });
  }
  return async function* single(signal) {
    const url = await api.startLiveview({ signal });
    yield* liveviewEvents(url, { signal, idleTimeoutMs: IDLE_MS });
  };
}

interface Rig {
  s: Simulator;
  pub: LiveviewPublisher;
  published: { t: number; jpeg: Uint8Array }[];
  frames: Uint8Array[];
  statuses: LiveviewStreamStatus[];
  stopCalls: number;
}

async function setup(
  simOptions: SimulatorOptions,
  options: Partial<LiveviewPublisherOptions> = {},
  kind: StreamKind = "session",
): Promise<Rig> {
  const s = await startTestSim(simOptions);
  sim = s;
  const c = new CameraClient({ endpoints: s.urls.endpoints });
  client = c;
  const api = new CameraApi(c);
  const r: Rig = {
    s,
    pub: undefined as unknown as LiveviewPublisher,
    published: [],
    frames: [],
    statuses: [],
    stopCalls: 0,
  };
  r.pub = new LiveviewPublisher({
    fps: 5,
    lingerMs: 300,
    backoff: BACKOFF,
    openStream: openStreamOf(kind, api),
    stopCamera: async (signal) => {
      r.stopCalls++;
      await api.stopLiveview({ signal });
    },
    publishFrame: (jpeg) => {
      r.published.push({ t: performance.now(), jpeg: Uint8Array.from(jpeg) });
      return Promise.resolve(true);
    },
    publishFocusFrames: () => undefined,
    onStatus: (st) => {
      r.statuses.push(st);
    },
    ...options,
  });
  publisher = r.pub;
  life = new AbortController();
  r.pub.start(life.signal);
  return r;
}

/** The simulated camera's own liveviewStatus (getEvent slot 3, camera-api.md §4.5). */
async function cameraLiveviewStatus(s: Simulator): Promise<unknown> {
  const result = await cameraCall(s, "getEvent", [false]);
  return (result[3] as { liveviewStatus?: unknown } | null)?.liveviewStatus;
}

/** A complete JPEG that ends exactly at its EOI (camera-api.md §5.4). */
function expectTrimmedJpeg(jpeg: Uint8Array): void {
  expect([jpeg[0], jpeg[1]]).toEqual([0xff, 0xd8]);
  expect([jpeg.at(-2), jpeg.at(-1)]).toEqual([0xff, 0xd9]);
  expect(findJpegEnd(jpeg)).toBe(jpeg.length);
}

const SMALL = { width: 160, height: 120 };

describe("LiveviewPublisher with the simulator", () => {
  it("publishes valid, trimmed, newest frames at the configured rate", async () => {
    const r = await setup({ liveview: { fps: 30, ...SMALL } }, { fps: 8 });
    r.pub.setPublishing(true);
    await waitFor(() => r.published.length >= 6, 5000);
    const pub = r.published.slice(0, 6);
    for (const p of pub) {
      expectTrimmedJpeg(p.jpeg);
      expect(jpegSize(p.jpeg)).toEqual(SMALL);
    }
    // Frame numbers from the simulator's pattern increase: newest frames, never old ones.
    const numbers = pub.map((p) => readSimComment(p.jpeg)?.n ?? -1);
    expect(numbers.every((n, i) => n >= 0 && (i === 0 || n > (numbers[i - 1] ?? 0)))).toBe(true);
    // The rate limit: consecutive publishes at least one interval (125 ms) apart.
    for (let i = 1; i < pub.length; i++) {
      expect((pub[i]?.t ?? 0) - (pub[i - 1]?.t ?? 0)).toBeGreaterThanOrEqual(124);
    }
    const st = r.pub.stats;
    expect(st.streaming).toBe(true);
    expect(st.received).toBeGreaterThan(st.published);
    expect(r.statuses[0]).toEqual({ state: "started" });
    // At 30 fps with 8 fps publishing, most frames are rate-limited away, none lost.
    expect(st.dropped).toBe(0);
  });

  it("stops the camera liveview after the linger, and starts it again on demand", async () => {
    const r = await setup({ liveview: { fps: 30, ...SMALL } }, { lingerMs: 300 });
    const off = r.pub.subscribe((jpeg) => r.frames.push(Uint8Array.from(jpeg)));
    await waitFor(() => r.frames.length >= 3);
    expect(await cameraLiveviewStatus(r.s)).toBe(true);
    expect(r.s.liveview.stats.readerConnected).toBe(true);
    off();
    const t = performance.now();
    // Still running during the linger.
    await new Promise((res) => setTimeout(res, 100));
    expect(r.s.liveview.stats.readerConnected).toBe(true);
    await waitFor(() => r.statuses.at(-1)?.state === "stopped", 3000);
    expect(performance.now() - t).toBeGreaterThanOrEqual(290);
    expect(r.stopCalls).toBe(1);
    expect(await cameraLiveviewStatus(r.s)).toBe(false);
    expect(r.s.liveview.stats.readerConnected).toBe(false);
    expect(r.pub.stats.streaming).toBe(false);
    // Demand again: startLiveview + a new GET.
    const connections = r.s.liveview.stats.connections;
    r.pub.setPublishing(true);
    await waitFor(() => r.published.length >= 1);
    expect(r.s.liveview.stats.connections).toBe(connections + 1);
    expect(await cameraLiveviewStatus(r.s)).toBe(true);
    for (const f of r.frames) expectTrimmedJpeg(f);
  });

  it.each([
    ["drop", "session"],
    ["cut", "session"],
    ["corrupt", "session"],
    ["drop", "single"],
    ["cut", "single"],
  ] as const)("recovers from the liveview fault %s (openStream: %s)", async (fault, kind) => {
    const r = await setup({ liveview: { fps: 60, ...SMALL } }, { fps: 10 }, kind);
    r.pub.subscribe((jpeg) => r.frames.push(Uint8Array.from(jpeg)));
    r.pub.setPublishing(true);
    await waitFor(() => r.frames.length >= 5);
    const before = r.frames.length;
    const connections = r.s.liveview.stats.connections;
    r.s.faults.add(`liveview=${fault}`);
    await waitFor(() => r.frames.length >= before + 30, 5000);
    for (const f of r.frames) expectTrimmedJpeg(f);
    const numbers = r.frames.map((f) => readSimComment(f)?.n ?? -1);
    expect(numbers.every((n, i) => i === 0 || n > (numbers[i - 1] ?? 0))).toBe(true);
    const st = r.pub.stats;
    if (fault === "corrupt") {
      // The decoder resyncs inside the same connection (§5.4): no reconnect.
      expect(r.s.liveview.stats.connections).toBe(connections);
      expect(st.reconnects).toBe(0);
    } else {
      // The stream broke: startLiveview + GET again.
      expect(r.s.liveview.stats.connections).toBe(connections + 1);
      expect(st.reconnects).toBe(1);
      expect(r.statuses.map((x) => x.state)).toEqual(["started", "reconnecting", "started"]);
    }
    expect(st.streaming).toBe(true);
    expect(r.published.length).toBeGreaterThanOrEqual(2);
  });

  it("recovers from a hung stream (no data: idle timeout, reconnect)", async () => {
    const r = await setup({ liveview: { fps: 60, ...SMALL } }, { fps: 10 });
    r.pub.subscribe((jpeg) => r.frames.push(Uint8Array.from(jpeg)));
    await waitFor(() => r.frames.length >= 5);
    r.s.faults.add("liveview=hang");
    await waitFor(() => r.statuses.some((x) => x.state === "reconnecting"), 5000);
    expect(r.pub.stats.streaming).toBe(false);
    expect(r.statuses.find((x) => x.state === "reconnecting")?.error).toMatchObject({
      code: "LIVEVIEW_STREAM",
    });
    const before = r.frames.length;
    r.s.liveview.fault("none");
    await waitFor(() => r.frames.length >= before + 5, 5000);
    expect(r.pub.stats.streaming).toBe(true);
    expect(r.statuses.at(-1)).toEqual({ state: "started" });
    for (const f of r.frames) expectTrimmedJpeg(f);
  });

  it.each(["session", "single"] as const)(
    "keeps retrying while the camera refuses, then streams (openStream: %s)",
    async (kind) => {
      const r = await setup(
        { liveview: { fps: 30, ...SMALL }, faults: ["method=startLiveview:error=40401:times=3"] },
        {},
        kind,
      );
      r.pub.subscribe((jpeg) => r.frames.push(Uint8Array.from(jpeg)));
      await waitFor(() => r.frames.length >= 3, 5000);
      expect(r.pub.stats.reconnects).toBe(3);
      // One failure streak is reported once, with its first error, then the stream starts.
      expect(r.statuses.map((x) => x.state)).toEqual(["reconnecting", "started"]);
      expect(r.statuses[0]?.error).toMatchObject({ code: "CAMERA_RPC", cameraCode: 40401 });
    },
  );

  it("stop() stops the camera liveview and is idempotent", async () => {
    const r = await setup({ liveview: { fps: 30, ...SMALL } });
    r.pub.setPublishing(true);
    await waitFor(() => r.published.length >= 1);
    await Promise.all([r.pub.stop(), r.pub.stop()]);
    await r.pub.stop();
    expect(r.stopCalls).toBe(1);
    expect(await cameraLiveviewStatus(r.s)).toBe(false);
    expect(r.s.liveview.stats.readerConnected).toBe(false);
    expect(r.statuses.at(-1)).toEqual({ state: "stopped" });
  });
});
