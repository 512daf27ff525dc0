/**
 * The simulator's liveview through the project's stream edge (liveviewEvents, liveviewSession):
 * with and without focus frames, and each liveview fault (drop, cut, corrupt, hang), stop and
 * power off, as the client sees them (camera-api.md §5.4).
 */
import { afterEach, describe, expect, it } from "vitest";
import { CameraApi } from "../../src/camera/api.js";
import { CameraClient } from "../../src/camera/client.js";
import { isBridgeError, type BridgeError } from "../../src/errors.js";
import { type LiveviewEvent } from "../../src/liveview/codec.js";
import {
  liveviewEvents,
  liveviewSession,
  type LiveviewSessionEvent,
} from "../../src/liveview/stream.js";
import { readSimComment } from "../../src/sim/pattern.js";
import { type Simulator, type SimulatorOptions } from "../../src/sim/simulator.js";
import { startTestSim } from "../helpers/sim.js";

let sim: Simulator | undefined;
let client: CameraClient | undefined;
const controllers: AbortController[] = [];
afterEach(async () => {
  for (const c of controllers.splice(0)) c.abort();
  await client?.close();
  client = undefined;
  await sim?.close();
  sim = undefined;
});

const SMALL = { fps: 60, width: 160, height: 120 };

async function start(options: SimulatorOptions = {}): Promise<{ s: Simulator; api: CameraApi }> {
  sim = await startTestSim({ ...options, liveview: { ...SMALL, ...options.liveview } });
  client = new CameraClient({ endpoints: sim.urls.endpoints });
  return { s: sim, api: new CameraApi(client) };
}

function signal(): AbortSignal {
  const c = new AbortController();
  controllers.push(c);
  return c.signal;
}

/** Collects events until `stop` says so or the stream throws; returns both. */
async function collect<E>(
  events: AsyncIterable<E>,
  stop: (seen: E[]) => boolean,
  onEvent?: (e: E, seen: E[]) => void | Promise<void>,
): Promise<{ seen: E[]; error: BridgeError | undefined }> {
  const seen: E[] = [];
  try {
    for await (const e of events) {
      seen.push(e);
      await onEvent?.(e, seen);
      if (stop(seen)) return { seen, error: undefined };
    }
  } catch (e) {
    if (isBridgeError(e)) return { seen, error: e };
    throw e;
  }
  return { seen, error: undefined };
}

const jpegs = (seen: readonly (LiveviewEvent | LiveviewSessionEvent)[]): number =>
  seen.filter((e) => e.type === "jpeg").length;

describe("liveviewEvents against the simulator", () => {
  it.each([false, true])(
    "yields pattern frames in order (focus frames %s)",
    async (focusFrames) => {
      const { api } = await start({ liveview: { focusFrames } });
      const url = await api.startLiveview();
      const { seen, error } = await collect(
        liveviewEvents(url, { signal: signal() }),
        (s) => jpegs(s) >= 6,
      );
      expect(error).toBeUndefined();
      const frames = seen.flatMap((e) =>
        e.type === "jpeg" ? [readSimComment(e.data.subarray(0, e.jpegEnd))?.n] : [],
      );
      expect(frames[0]).toBe(0);
      expect(frames.every((n, i) => n !== undefined && (i === 0 || n > (frames[i - 1] ?? 0)))).toBe(
        true,
      );
      expect(seen.some((e) => e.type === "frame_info")).toBe(focusFrames);
      expect(seen.some((e) => e.type === "discarded")).toBe(false);
    },
  );

  it("stopLiveview ends the stream; a GET while stopped is HTTP 404", async () => {
    const { s, api } = await start();
    const url = await api.startLiveview();
    const { error } = await collect(
      liveviewEvents(url, { signal: signal() }),
      () => false,
      async (_e, seen) => {
        if (seen.length === 2) await api.stopLiveview();
      },
    );
    expect(error?.code).toBe("LIVEVIEW_STREAM");
    expect(s.liveview.stats.readerConnected).toBe(false);
    const refused = await collect(liveviewEvents(url, { signal: signal() }), () => false);
    expect([refused.error?.code, refused.error?.cameraCode]).toEqual(["LIVEVIEW_STREAM", 404]);
  });

  it("corrupt: the decoder discards the damage and frames continue", async () => {
    const { s, api } = await start();
    const url = await api.startLiveview();
    const { seen, error } = await collect(
      liveviewEvents(url, { signal: signal() }),
      (all) => all.some((e) => e.type === "discarded") && jpegs(all) >= 8,
      (_e, all) => {
        if (all.length === 2) s.faults.add("liveview=corrupt");
      },
    );
    expect(error).toBeUndefined();
    expect(seen.filter((e) => e.type === "discarded").length).toBeGreaterThan(0);
    expect(seen.at(-1)?.type).toBe("jpeg");
  });

  it.each([
    ["cut", "truncated"],
    ["drop", "truncated"],
  ])("%s: the stream fails with LIVEVIEW_STREAM after a truncated tail", async (fault, reason) => {
    const { s, api } = await start();
    const url = await api.startLiveview();
    const { seen, error } = await collect(
      liveviewEvents(url, { signal: signal() }),
      () => false,
      (_e, all) => {
        if (all.length === 2) s.faults.add(`liveview=${fault}`);
      },
    );
    expect(error?.code).toBe("LIVEVIEW_STREAM");
    const last = seen.at(-1);
    expect(last?.type === "discarded" ? last.reason : last?.type).toBe(reason);
  });

  it("hang: the idle timeout ends the stream", async () => {
    const { s, api } = await start();
    const url = await api.startLiveview();
    s.faults.add("liveview=hang");
    const { error } = await collect(
      liveviewEvents(url, { signal: signal(), idleTimeoutMs: 200 }),
      () => false,
    );
    expect(error?.code).toBe("LIVEVIEW_STREAM");
  });
});

describe("liveviewSession against the simulator", () => {
  it("reconnects with a new startLiveview after a drop and after a power cycle", async () => {
    const { s, api } = await start();
    let opened = 0;
    const events = liveviewSession({
      signal: signal(),
      openUrl: async (sig) => {
        opened += 1;
        return api.startLiveview({ signal: sig });
      },
      backoff: { baseMs: 20, maxMs: 50, minMs: 10 },
    });
    let phase = 0;
    const { seen, error } = await collect(
      events,
      () => phase === 3,
      async (e) => {
        if (phase === 0 && e.type === "jpeg" && e.sequence === 3) {
          phase = 1;
          s.faults.add("liveview=drop");
        } else if (phase === 1 && e.type === "jpeg" && e.sequence === 3) {
          phase = 2;
          await s.powerOff();
          setTimeout(() => void s.powerOn(), 100);
        } else if (phase === 2 && e.type === "jpeg" && e.sequence === 3) {
          phase = 3;
        }
      },
    );
    expect(error).toBeUndefined();
    expect(seen.filter((e) => e.type === "reconnect").length).toBeGreaterThanOrEqual(2);
    expect(opened).toBeGreaterThanOrEqual(3);
  });
});
