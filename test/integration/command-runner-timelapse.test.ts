/**
 * Timelapse through CommandRunner against the simulator with the real client: N shots and their
 * events, one at a time, STOP, other commands between shots, and camera drop-outs (noticed by the
 * bridge, unnoticed with the connection refused, and mid-capture with the outcome unknown).
 */
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../helpers/sim.js";
import { startRig, type RecordedEvent, type Rig } from "./command-runner-host.js";

let rig: Rig | undefined;
const timers: NodeJS.Timeout[] = [];
afterEach(async () => {
  for (const t of timers.splice(0)) clearTimeout(t);
  await rig?.close();
  rig = undefined;
});

async function start(...args: Parameters<typeof startRig>): Promise<Rig> {
  rig = await startRig(...args);
  return rig;
}

function later(ms: number, fn: () => void): void {
  timers.push(setTimeout(fn, ms));
}

const states = (events: RecordedEvent[]): string[] => events.map((e) => String(e["state"]));

async function finished(r: Rig, timeoutMs = 6000): Promise<RecordedEvent> {
  await waitFor(
    () =>
      r.host
        .timelapseEvents()
        .some((e) => ["done", "stopped", "error"].includes(String(e["state"]))),
    timeoutMs,
  );
  const last = r.host.timelapseEvents().at(-1);
  if (last === undefined) throw new Error("no timelapse events");
  return last;
}

describe("timelapse", () => {
  it("takes count shots at the interval, with started/progress/done events", async () => {
    const r = await start();
    const result = await r.send("timelapse", '{"count":3,"interval_s":0.25,"transaction":"tl"}');
    expect(result).toEqual({
      status: "ok",
      data: { count: 3, interval_s: 0.25 },
      transaction: "tl",
    });
    expect(r.runner.timelapseRunning).toBe(true);
    // Only one at a time.
    expect(await r.send("timelapse", '{"count":2,"interval_s":1}')).toEqual({
      status: "error",
      error: "timelapse: one is already running (send STOP first)",
      code: "BUSY",
    });
    // Other commands run between shots (same queue).
    expect((await r.send("zoom", "in")).status).toBe("ok");

    const last = await finished(r);
    expect(last).toEqual({ type: "timelapse", state: "done", index: 3, count: 3, taken: 3 });
    const events = r.host.timelapseEvents();
    expect(states(events)).toEqual(["started", "progress", "progress", "progress", "done"]);
    expect(events[0]).toEqual({
      type: "timelapse",
      state: "started",
      index: 0,
      count: 3,
      interval_s: 0.25,
    });
    const progress = events.filter((e) => e["state"] === "progress");
    expect(progress.map((e) => e["index"])).toEqual([1, 2, 3]);
    const urls = progress.map((e) => e["url"]);
    expect(new Set(urls).size).toBe(3);
    expect(r.host.pictures.map((u) => u[0])).toEqual(urls);
    expect(r.caller.count("actTakePicture")).toBe(3);
    expect(r.caller.maxConcurrentShots).toBe(1);
    expect(r.runner.timelapseRunning).toBe(false);
  });

  it("STOP cancels: a stopped event, no further shots; STOP again is a no-op", async () => {
    const r = await start();
    expect((await r.send("timelapse", '{"count":10,"interval_s":0.3}')).status).toBe("ok");
    await waitFor(() => r.host.timelapseEvents().some((e) => e["state"] === "progress"));
    expect(await r.send("timelapse", "STOP")).toEqual({ status: "ok", data: { stopped: true } });
    const last = await finished(r);
    expect(last["state"]).toBe("stopped");
    const shots = r.caller.count("actTakePicture");
    expect(shots).toBeGreaterThanOrEqual(1);
    expect(shots).toBeLessThan(10);
    expect(last["taken"]).toBe(shots);
    await new Promise((res) => setTimeout(res, 700));
    expect(r.caller.count("actTakePicture")).toBe(shots);
    expect(await r.send("timelapse", "stop")).toEqual({ status: "ok", data: { stopped: false } });
  });

  it("runner.stop() ends a timelapse with a stopped event", async () => {
    const r = await start();
    expect((await r.send("timelapse", '{"count":5,"interval_s":5}')).status).toBe("ok");
    await waitFor(() => r.host.timelapseEvents().some((e) => e["state"] === "progress"));
    await r.runner.stop();
    expect(r.host.timelapseEvents().at(-1)?.["state"]).toBe("stopped");
    expect(r.caller.count("actTakePicture")).toBe(1);
  });
});

describe("timelapse across camera drop-outs", () => {
  it("waits while the bridge sees the camera offline, then continues: every index once", async () => {
    const r = await start();
    r.host.onEvent = (e) => {
      if (e["state"] !== "progress" || e["index"] !== 1) return;
      r.host.online = false;
      void r.sim.powerOff().then(() => {
        later(400, () => {
          void r.sim.powerOn().then(() => {
            r.host.online = true;
          });
        });
      });
    };
    expect((await r.send("timelapse", '{"count":3,"interval_s":0.2}')).status).toBe("ok");
    const last = await finished(r);
    expect(last).toMatchObject({ state: "done", taken: 3 });
    const progress = r.host.timelapseEvents().filter((e) => e["state"] === "progress");
    expect(progress.map((e) => e["index"])).toEqual([1, 2, 3]);
    expect(progress.every((e) => typeof e["url"] === "string")).toBe(true);
    expect(r.caller.count("actTakePicture")).toBe(3);
  });

  it("retries a shot whose connection was refused (certainly not taken)", async () => {
    const r = await start({}, { timings: { timelapseRetries: 8, timelapseRetryDelayMs: 100 } });
    r.host.onEvent = (e) => {
      if (e["state"] !== "progress" || e["index"] !== 1) return;
      // The bridge does not notice: host.camera() stays non-null, the calls are refused.
      void r.sim.powerOff().then(() => {
        later(450, () => void r.sim.powerOn());
      });
    };
    expect((await r.send("timelapse", '{"count":3,"interval_s":0.2}')).status).toBe("ok");
    const last = await finished(r);
    expect(last).toMatchObject({ state: "done", taken: 3 });
    expect(r.caller.ok("actTakePicture")).toBe(3);
    expect(r.caller.refused("actTakePicture")).toBeGreaterThan(0);
    expect(r.caller.count("actTakePicture") - r.caller.refused("actTakePicture")).toBe(3);
    const progress = r.host.timelapseEvents().filter((e) => e["state"] === "progress");
    expect(progress.map((e) => e["index"])).toEqual([1, 2, 3]);
  });

  it("does not retry a shot lost mid-capture (outcome unknown): skipped, then continues", async () => {
    const r = await start({ timings: { captureMs: 300 } });
    expect((await r.send("timelapse", '{"count":3,"interval_s":0.1}')).status).toBe("ok");
    // Power off while the second actTakePicture is blocked in the capture.
    await waitFor(() => r.caller.count("actTakePicture") === 2, 4000);
    await new Promise((res) => setTimeout(res, 50));
    await r.sim.powerOff();
    later(200, () => void r.sim.powerOn());
    const last = await finished(r, 8000);
    expect(last).toMatchObject({ state: "done", taken: 2 });
    const progress = r.host.timelapseEvents().filter((e) => e["state"] === "progress");
    expect(progress.map((e) => e["index"])).toEqual([1, 2, 3]);
    expect(progress[1]).toMatchObject({ skipped: true, outcome: "unknown" });
    // Shot 2 was sent once and never again; shot 3 may have been refused while the camera was
    // off (certainly not taken, so retried) before it went through.
    expect(r.caller.ok("actTakePicture")).toBe(2);
    const refused = r.caller.refused("actTakePicture");
    expect(r.caller.count("actTakePicture") - refused).toBe(3);
  });

  it("gives up with an error event when the camera stays offline", async () => {
    const r = await start({}, { timings: { timelapseOfflineWaitMs: 300 } });
    r.host.onEvent = (e) => {
      if (e["state"] === "progress" && e["index"] === 1) r.host.online = false;
    };
    expect((await r.send("timelapse", '{"count":3,"interval_s":0.1}')).status).toBe("ok");
    const last = await finished(r);
    expect(last).toMatchObject({ state: "error", index: 1, count: 3, taken: 1 });
    expect(String(last["error"])).toMatch(/camera offline for more than 300 ms/);
  });
});
