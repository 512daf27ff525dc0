/**
 * CommandRunner driving the real client (CameraClient + CameraApi) against the simulator over
 * loopback: shoot (exactly one actTakePicture; the 40403 path), every setting command changing the
 * camera, absolute zoom, movie in movie and still mode, half-press, touch AF, refresh, rpc
 * allow/deny, offline, queue serialization and its limit, stop().
 */
import { afterEach, describe, expect, it } from "vitest";
import { type CommandResult } from "../../src/bridge/commands.js";
import { cameraCall, waitFor } from "../helpers/sim.js";
import { startRig, type Rig } from "./command-runner-host.js";

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

async function start(...args: Parameters<typeof startRig>): Promise<Rig> {
  rig = await startRig(...args);
  return rig;
}

function okData(result: CommandResult): Record<string, unknown> {
  if (result.status !== "ok") throw new Error(`expected ok, got ${JSON.stringify(result)}`);
  return result.data as Record<string, unknown>;
}

async function recordable(r: Rig): Promise<number> {
  const [list] = (await cameraCall(r.sim, "getStorageInformation")) as [
    { numberOfRecordableImages: number }[],
  ];
  return list[0]?.numberOfRecordableImages ?? -1;
}

describe("shoot", () => {
  it("takes exactly one picture, hands the URL to the host and echoes the transaction", async () => {
    const r = await start();
    const before = await recordable(r);
    const result = await r.send("shoot", '{"download":false,"transaction":"t-1"}');
    const data = okData(result);
    expect(result.transaction).toBe("t-1");
    const urls = data["urls"] as string[];
    expect(urls).toHaveLength(1);
    expect(urls[0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    expect(data["recorded"]).toBe(1);
    expect(r.host.pictures).toEqual([urls]);
    expect(r.caller.count("actTakePicture")).toBe(1);
    expect(r.caller.count("awaitTakePicture")).toBe(0);
    expect(await recordable(r)).toBe(before - 1);
  });

  it("follows 40403 with awaitTakePicture and never repeats actTakePicture", async () => {
    // The camera gives up blocking after 30 ms while the capture takes 250 ms (camera-api.md §6.3).
    const r = await start({ timings: { takePictureTimeoutMs: 30, captureMs: 250 } });
    const before = await recordable(r);
    const data = okData(await r.send("shoot", "PRESS"));
    expect(data["urls"]).toHaveLength(1);
    expect(r.caller.count("actTakePicture")).toBe(1);
    expect(r.caller.count("awaitTakePicture")).toBeGreaterThanOrEqual(1);
    expect(await recordable(r)).toBe(before - 1);
  });

  it("passes a camera error through with the camera's code", async () => {
    const r = await start({ faults: ["method=actTakePicture:error=40400:once"] });
    const result = await r.send("shoot", "", undefined);
    expect(result).toMatchObject({ status: "error", code: 40400 });
    if (result.status === "error") expect(result.error).toMatch(/^shoot: /);
    expect(r.host.pictures).toEqual([]);
  });

  it("refuses a shot in movie mode before calling the camera", async () => {
    const r = await start();
    okData(await r.send("shoot_mode", "movie"));
    await waitFor(() => r.host.state().shoot_mode === "movie");
    const result = await r.send("shoot");
    expect(result).toEqual({
      status: "error",
      error: "shoot: the camera is in movie mode; set shoot_mode to still first",
      code: "NOT_AVAILABLE",
    });
    expect(r.caller.count("actTakePicture")).toBe(0);
  });
});

describe("settings", () => {
  it("every setting command changes the camera (checked with get*/getAvailable*)", async () => {
    const r = await start();
    expect(okData(await r.send("self_timer", "2"))).toEqual({ value: 2, confirmed: true });
    expect(await cameraCall(r.sim, "getSelfTimer")).toEqual([2]);
    expect(r.host.state().self_timer).toBe(2);

    okData(await r.send("postview_size", "Original"));
    expect(await cameraCall(r.sim, "getPostviewImageSize")).toEqual(["Original"]);
    okData(await r.send("beep_mode", "Shutter Only"));
    expect(await cameraCall(r.sim, "getBeepMode")).toEqual(["Shutter Only"]);
    expect(okData(await r.send("still_size", "16:9 13M"))).toEqual({
      value: "16:9 13M",
      confirmed: true,
    });
    expect(await cameraCall(r.sim, "getStillSize")).toEqual([{ aspect: "16:9", size: "13M" }]);
    expect(r.host.state().still_size).toBe("16:9 13M");

    // ISO, white balance and EV exist only in Program Auto (camera-api.md §3.4).
    const iso = await r.send("iso", '{"value":"400","transaction":9}');
    expect(iso).toMatchObject({ status: "error", code: "NOT_AVAILABLE", transaction: 9 });
    okData(await r.send("exposure_mode", "Program Auto"));
    expect(await cameraCall(r.sim, "getExposureMode")).toEqual(["Program Auto"]);
    await waitFor(() => r.host.state().available_apis?.includes("setIsoSpeedRate") === true);
    await r.host.loadAvailable();

    expect(okData(await r.send("iso", "400"))).toEqual({ value: "400", confirmed: true });
    expect(await cameraCall(r.sim, "getIsoSpeedRate")).toEqual(["400"]);
    expect(r.host.state().iso).toBe("400");
    okData(await r.send("white_balance", "Daylight"));
    expect(await cameraCall(r.sim, "getWhiteBalance")).toEqual([
      { colorTemperature: -1, whiteBalanceMode: "Daylight" },
    ]);
    expect(okData(await r.send("exposure_compensation", "-3"))).toEqual({
      value: -3,
      confirmed: true,
    });
    expect(await cameraCall(r.sim, "getExposureCompensation")).toEqual([-3]);
    expect(r.host.state().exposure_compensation).toBe(-3);

    okData(await r.send("shoot_mode", "movie"));
    expect(await cameraCall(r.sim, "getShootMode")).toEqual(["movie"]);
    expect(r.host.merged).toContain("getAvailableIsoSpeedRate");
  });

  it("refuses values outside the candidates without calling the setter", async () => {
    const r = await start();
    const timer = await r.send("self_timer", "5");
    expect(timer).toEqual({
      status: "error",
      error: "self_timer: 5 is not one of the camera's current values 0, 2, 10",
      code: "COMMAND_INVALID",
    });
    const beep = await r.send("beep_mode", "Silent");
    expect(beep).toMatchObject({ status: "error", code: "COMMAND_INVALID" });
    expect(r.caller.count("setSelfTimer")).toBe(0);
    expect(r.caller.count("setBeepMode")).toBe(0);
  });
});

describe("zoom", () => {
  it("reaches an absolute position by 1shot steps, then steps and stops", async () => {
    const r = await start();
    await waitFor(() => r.host.state().zoom_position === 0);
    const to40 = okData(await r.send("zoom", "40"));
    expect(to40).toEqual({ zoom_position: 40, target: 40 });
    const [info] = (await cameraCall(r.sim, "getEvent", [false], "1.1")).slice(2, 3) as [
      { zoomPosition: number },
    ];
    expect(info.zoomPosition).toBe(40);

    // 15 lies between two 10 % steps: it stops within half a step, never oscillating.
    const to15 = okData(await r.send("zoom", "15"));
    expect(Math.abs((to15["zoom_position"] as number) - 15)).toBeLessThanOrEqual(5);
    const steps = r.caller.count("actZoom");
    expect(steps).toBeLessThanOrEqual(7);

    okData(await r.send("zoom", "in"));
    expect(r.caller.count("actZoom")).toBe(steps + 1);
    expect(okData(await r.send("zoom", "stop"))).toEqual({ stopped: true });
  });

  it("zoom stop ends an absolute zoom in progress", async () => {
    const r = await start();
    await waitFor(() => r.host.state().zoom_position === 0);
    const far = r.send("zoom", "100");
    await waitFor(() => r.caller.count("actZoom") === 2);
    expect(okData(await r.send("zoom", "STOP"))).toEqual({ stopped: true });
    const data = okData(await far);
    expect(data["stopped"]).toBe(true);
    expect(data["zoom_position"]).toBeLessThan(100);
    expect(r.caller.count("actZoom")).toBe(2);
  });

  it("starts an absolute zoom from where a previous step came to rest", async () => {
    const r = await start();
    await waitFor(() => r.host.state().zoom_position === 0);
    okData(await r.send("zoom", "in"));
    // Sent at once: the 1shot above may still be moving; the target is reached exactly anyway.
    expect(okData(await r.send("zoom", "30"))).toEqual({ zoom_position: 30, target: 30 });
    expect(r.caller.count("actZoom")).toBe(3);
  });

  it("fails with CAMERA_TIMEOUT when the camera does not move", async () => {
    // The camera accepts actZoom but its position never changes (zoom step of 0 %).
    const r = await start(
      { timings: { zoomOneShotPercent: 0 } },
      { timings: { zoomStepTimeoutMs: 200 } },
    );
    await waitFor(() => r.host.state().zoom_position === 0);
    const result = await r.send("zoom", "50");
    expect(result).toMatchObject({ status: "error", code: "CAMERA_TIMEOUT" });
    expect(r.caller.count("actZoom")).toBe(1);
  });
});

describe("movie", () => {
  it("gives a clear error in still mode and records in movie mode", async () => {
    const r = await start();
    expect(await r.send("movie", "START")).toEqual({
      status: "error",
      error: "movie: the shoot mode is still; set shoot_mode to movie first",
      code: "NOT_AVAILABLE",
    });
    expect(r.caller.count("startMovieRec")).toBe(0);

    okData(await r.send("shoot_mode", "movie"));
    await waitFor(() => r.host.state().shoot_mode === "movie");
    expect(okData(await r.send("movie", "START"))).toEqual({ recording: true });
    // STOP right away: the runner waits out MovieWaitRecStart before calling stopMovieRec.
    expect(okData(await r.send("movie", "stop"))).toEqual({ recording: false });
    expect(r.caller.count("startMovieRec")).toBe(1);
    expect(r.caller.count("stopMovieRec")).toBe(1);
    await waitFor(() => r.sim.camera.cameraStatus === "IDLE");
  });
});

describe("half-press, touch AF, refresh, liveview switches", () => {
  it("runs each and reports what happened", async () => {
    const r = await start();
    expect(okData(await r.send("half_press", "ON"))).toEqual({ half_press: true });
    await waitFor(() => r.host.state().focus_status === "Focused");
    expect(okData(await r.send("half_press", "OFF"))).toEqual({ half_press: false });
    await waitFor(() => r.host.state().focus_status === "Not Focusing");

    expect(okData(await r.send("touch_af", '{"x":50,"y":40}'))).toEqual({
      af_result: true,
      af_type: "Touch",
    });

    okData(await r.send("refresh"));
    expect(r.host.refreshes).toBe(1);

    expect(okData(await r.send("liveview", "ON"))).toEqual({ liveview: true });
    expect(r.host.liveview).toBe(true);
    expect(okData(await r.send("liveview_fps", "7.5"))).toEqual({ liveview_fps: 7.5 });
    expect(r.host.fps).toBe(7.5);
  });

  it("reports touch AF error 2 (still focusing) clearly", async () => {
    const r = await start({ faults: ["method=setTouchAFPosition:error=2:once"] });
    const result = await r.send("touch_af", '{"x":10,"y":10}');
    expect(result).toEqual({
      status: "error",
      error:
        "touch_af: the camera is still focusing (camera error 2, timeout); watch focus_status or send touch_af again",
      code: 2,
    });
  });
});

describe("rpc", () => {
  it("passes allowed methods through and refuses the others", async () => {
    const r = await start();
    r.host.rpcAllow = ["getAvailableApiList", "getVersions"];
    const list = await r.send("rpc", '{"method":"getAvailableApiList","transaction":3}');
    expect(list.status).toBe("ok");
    expect(list.transaction).toBe(3);
    if (list.status === "ok") {
      const [names] = list.data as [string[]];
      expect(names).toContain("actTakePicture");
    }
    const versions = await r.send("rpc", '{"method":"getVersions","service":"system"}');
    expect(versions).toEqual({ status: "ok", data: [["1.0"]] });

    expect(await r.send("rpc", '{"method":"setSelfTimer","params":[2]}')).toEqual({
      status: "error",
      error: "rpc: setSelfTimer is not allowed by rpc.allow",
      code: "RPC_NOT_ALLOWED",
    });
    expect(r.caller.count("setSelfTimer")).toBe(0);

    r.host.rpcAllow = ["*"];
    expect(
      await r.send("rpc", '{"method":"actFormatStorage","params":["Memory Card 1"]}'),
    ).toMatchObject({
      code: "RPC_NOT_ALLOWED",
    });
    expect(r.caller.count("actFormatStorage")).toBe(0);
    // Allowed, but the camera does not know it: the camera's code comes back.
    expect(await r.send("rpc", '{"method":"noSuchMethod"}')).toMatchObject({
      status: "error",
      code: 12,
    });
  });
});

describe("offline", () => {
  it("fails camera commands at once and never calls the camera", async () => {
    const r = await start();
    r.host.online = false;
    const calls = [...r.caller.attempts.values()].reduce((a, b) => a + b, 0);
    for (const [name, payload] of [
      ["shoot", ""],
      ["zoom", "in"],
      ["iso", "AUTO"],
      ["rpc", '{"method":"getVersions"}'],
      ["timelapse", '{"count":2,"interval_s":1}'],
    ] as const) {
      const result = await r.send(name, payload);
      expect(result).toMatchObject({ status: "error", code: "CAMERA_OFFLINE" });
      if (result.status === "error") expect(result.error).toContain("camera offline");
    }
    expect([...r.caller.attempts.values()].reduce((a, b) => a + b, 0)).toBe(calls);
    // Bridge-side switches still work.
    expect(okData(await r.send("liveview", "OFF"))).toEqual({ liveview: false });
  });
});

describe("the queue", () => {
  it("serializes two shoots sent together: both succeed, never concurrently", async () => {
    const r = await start();
    const before = await recordable(r);
    const [a, b] = await Promise.all([r.send("shoot"), r.send("shoot")]);
    const ua = okData(a)["urls"] as string[];
    const ub = okData(b)["urls"] as string[];
    expect(ua[0]).not.toBe(ub[0]);
    expect(r.caller.count("actTakePicture")).toBe(2);
    expect(r.caller.maxConcurrentShots).toBe(1);
    expect(await recordable(r)).toBe(before - 2);
  });

  it("fails commands beyond the queue limit at once with BUSY", async () => {
    const r = await start({}, { queueLimit: 2 });
    const results = await Promise.all([
      r.send("shoot"),
      r.send("self_timer", "0"),
      r.send("shoot"),
    ]);
    expect(results[0].status).toBe("ok");
    expect(results[1].status).toBe("ok");
    expect(results[2]).toEqual({
      status: "error",
      error: "busy: 2 commands are already waiting for the camera",
      code: "BUSY",
    });
    expect(r.caller.count("actTakePicture")).toBe(1);
  });

  it("stop() aborts waiting commands, lets the running one finish, and refuses new ones", async () => {
    const r = await start();
    const first = r.send("shoot");
    const second = r.send("shoot");
    await waitFor(() => r.caller.count("actTakePicture") === 1);
    await r.runner.stop();
    const [a, b] = await Promise.all([first, second]);
    expect(a.status).toBe("ok");
    expect(b).toMatchObject({ status: "error", code: "ABORTED" });
    expect(await r.send("shoot")).toMatchObject({ status: "error", code: "ABORTED" });
    expect(r.caller.count("actTakePicture")).toBe(1);
    await r.runner.stop(); // idempotent
  });
});
