/**
 * The simulated camera's behaviour over the wire: getEvent layout and long-poll semantics,
 * still capture (cameraStatus, shrinking API list, 40403/40402, accumulated URLs, postview
 * download), movie, zoom, focus, touch AF, storage, liveview on/off, camera function
 * (camera-api.md §3–4, §6).
 */
import { createHash } from "node:crypto";
import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { readSimComment } from "../../src/sim/pattern.js";
import { ACT_ENABLE_METHODS_KEY } from "../../src/sim/profile.js";
import { type Simulator, type SimulatorOptions } from "../../src/sim/simulator.js";
import { haveFixtures, readFixtureJson } from "../helpers/fixtures.js";
import { cameraCall, rpcRaw, startTestSim, waitFor } from "../helpers/sim.js";

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(options: SimulatorOptions = {}): Promise<Simulator> {
  sim = await startTestSim(options);
  return sim;
}

const camera = (s: Simulator): string => s.urls.endpoints["camera"] ?? "";

async function getEvent(s: Simulator, polling: boolean, version = "1.0"): Promise<unknown[]> {
  return cameraCall(s, "getEvent", [polling], version);
}

function slot(event: unknown[], i: number): unknown {
  return event[i];
}

const QX_POSTVIEW =
  /^http:\/\/127\.0\.0\.1:\d+\/pict\d{6}_\d{10}\.JPG\?%211234%21http%2dget%3a%2a%3aimage%2fjpeg%3a%2a%21%21%21%21%21$/;

/** Long-polls until `done` says stop; returns the cameraStatus values the polls reported. */
async function statusTrace(s: Simulator, done: (status: string) => boolean): Promise<string[]> {
  const seen: string[] = [];
  for (let i = 0; i < 50; i++) {
    const event = await getEvent(s, true);
    const status = (slot(event, 1) as { cameraStatus: string } | null)?.cameraStatus;
    if (status === undefined) continue;
    seen.push(status);
    if (done(status)) break;
  }
  return seen;
}

async function enableMethods(s: Simulator): Promise<void> {
  const url = s.urls.endpoints["accessControl"] ?? "";
  const first = (
    await rpcRaw(url, "actEnableMethods", [
      { developerName: "", sg: "", methods: "", developerID: "" },
    ])
  ).json as { result: [{ dg: string }] };
  const sg = createHash("sha256")
    .update(ACT_ENABLE_METHODS_KEY + first.result[0].dg)
    .digest("base64");
  await rpcRaw(url, "actEnableMethods", [
    {
      developerName: "Sony Corporation",
      sg,
      methods: "camera/getCameraFunction",
      developerID: "x",
    },
  ]);
}

describe("getEvent snapshot (§4.2)", () => {
  it("v1.0 has 35 slots, v1.1 36, with the QX100 reply's nulls and arrays", async () => {
    const s = await start();
    const v10 = await getEvent(s, false, "1.0");
    const v11 = await getEvent(s, false, "1.1");
    expect(v10).toHaveLength(35);
    expect(v11).toHaveLength(36);
    expect(v11.slice(0, 35)).toEqual(v10);
    expect(v11[35]).toEqual({ focusStatus: "Not Focusing", type: "focusStatus" });
    expect(v10[5]).toEqual([]);
    expect(v10[6]).toEqual([]);
    expect(Array.isArray(v10[10])).toBe(true);
    // IA mode: unsupported or not applicable slots are null (QX100 capture: 13, 16, 17, 22–33).
    for (const i of [13, 16, 17, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33]) {
      expect(v10[i], `slot ${i}`).toBeNull();
    }
    expect(slot(v10, 0)).toEqual({
      names: await cameraCall(s, "getAvailableApiList").then((r) => r[0]),
      type: "availableApiList",
    });
    expect(slot(v10, 1)).toEqual({ cameraStatus: "IDLE", type: "cameraStatus" });
    expect(slot(v10, 21)).toEqual({
      currentShootMode: "still",
      shootModeCandidates: ["still", "movie"],
      type: "shootMode",
    });
  });

  it.skipIf(!haveFixtures)(
    "uses the real QX100 reply's keys and key order for every shared slot",
    async () => {
      const s = await start();
      const real = (readFixtureJson("getevent/QX100-1.json") as { result: unknown[] }).result;
      const ours = await getEvent(s, false);
      expect(ours).toHaveLength(real.length);
      real.forEach((value, i) => {
        const mine = ours[i];
        if (value === null || mine === null) return;
        const keys = (v: unknown): string[] =>
          Array.isArray(v) ? v.flatMap((e) => Object.keys(e as object)) : Object.keys(v as object);
        if ([value, mine].some((v) => Array.isArray(v) && v.length === 0)) return;
        expect({ i, keys: keys(mine) }).toEqual({ i, keys: keys(value) });
      });
    },
  );

  it("shows EV, ISO and white balance only in Program Auto", async () => {
    const s = await start();
    await cameraCall(s, "setExposureMode", ["Program Auto"]);
    await waitFor(async () => (await getEvent(s, false))[25] !== null);
    const event = await getEvent(s, false);
    expect(event[25]).toEqual({
      currentExposureCompensation: 0,
      maxExposureCompensation: 6,
      minExposureCompensation: -6,
      stepIndexOfExposureCompensation: 1,
      type: "exposureCompensation",
    });
    expect(event[29]).toEqual({
      currentIsoSpeedRate: "3200",
      isoSpeedRateCandidates: ["AUTO", "100", "200", "400", "800", "1600", "3200"],
      type: "isoSpeedRate",
    });
    expect(event[33]).toEqual({
      checkAvailability: true,
      currentColorTemperature: -1,
      currentWhiteBalanceMode: "Auto WB",
      type: "whiteBalance",
    });
  });
});

describe("long poll (§4.1)", () => {
  it("settings are asynchronous and the poll returns only the changed slot", async () => {
    const s = await start({ timings: { settingDelayMs: 80 } });
    await getEvent(s, false);
    const poll = getEvent(s, true);
    expect(await cameraCall(s, "setSelfTimer", [2])).toEqual([0]);
    // The set answered before the value applied (REF240: confirm through getEvent).
    expect(await cameraCall(s, "getSelfTimer")).toEqual([0]);
    const delta = await poll;
    expect(delta).toHaveLength(35);
    delta.forEach((v, i) => {
      if (i === 20)
        expect(v).toEqual({
          currentSelfTimer: 2,
          selfTimerCandidates: [0, 2, 10],
          type: "selfTimer",
        });
      else expect(v, `slot ${i}`).toEqual([5, 6, 10].includes(i) ? [] : null);
    });
    expect(await cameraCall(s, "getSelfTimer")).toEqual([2]);
  });

  it("answers an empty success on the server timeout", async () => {
    const s = await start({ timings: { eventTimeoutMs: 100 } });
    await getEvent(s, false);
    const reply = await getEvent(s, true);
    expect(reply).toEqual(
      Array.from({ length: 35 }, (_, i) => ([5, 6, 10].includes(i) ? [] : null)),
    );
  });

  it("can answer error 2 on the timeout instead", async () => {
    const s = await start({ timings: { eventTimeoutMs: 100 }, eventTimeoutReply: "timeout-error" });
    await getEvent(s, false);
    expect((await rpcRaw(camera(s), "getEvent", [true])).json).toEqual({
      id: 1,
      error: [2, "Timeout"],
    });
  });

  it("a second long poll makes the first answer 40402", async () => {
    const s = await start();
    await getEvent(s, false);
    const first = rpcRaw(camera(s), "getEvent", [true], "1.0", 11);
    await new Promise((r) => setTimeout(r, 50));
    const second = rpcRaw(camera(s), "getEvent", [true], "1.0", 12);
    expect((await first).json).toEqual({ id: 11, error: [40402, "Already Running Polling Api"] });
    await cameraCall(s, "setBeepMode", ["Off"]);
    const body = (await second).json as { id: number; result: unknown[] };
    expect(body.id).toBe(12);
    expect(body.result[11]).toEqual({
      beepModeCandidates: ["Shutter Only", "On", "Off"],
      currentBeepMode: "Off",
      type: "beepMode",
    });
  });

  it("a v1.0 poll does not wake for a focusStatus change it cannot see", async () => {
    const s = await start({ timings: { eventTimeoutMs: 300 } });
    await getEvent(s, false, "1.1");
    const v10 = getEvent(s, true, "1.0");
    await new Promise((r) => setTimeout(r, 30));
    await cameraCall(s, "actHalfPressShutter");
    expect(await v10).toEqual(
      Array.from({ length: 35 }, (_, i) => ([5, 6, 10].includes(i) ? [] : null)),
    );
  });
});

describe("still capture (§4.4, §6.3)", () => {
  it("goes IDLE → StillCapturing → StillSaving → IDLE, shrinking the list, and serves the postview", async () => {
    const s = await start({ timings: { captureMs: 200, saveMs: 150 } });
    await getEvent(s, false);
    const shot = cameraCall(s, "actTakePicture");
    const first = await getEvent(s, true);
    expect(slot(first, 1)).toEqual({ cameraStatus: "StillCapturing", type: "cameraStatus" });
    const names = (slot(first, 0) as { names: string[] }).names;
    expect(names.filter((n) => n.startsWith("set"))).toEqual([]);
    expect(names).not.toContain("actTakePicture");
    expect(names).toContain("awaitTakePicture");
    const rest = await statusTrace(s, (st) => st === "IDLE");
    expect(rest).toEqual(["StillSaving", "IDLE"]);
    const [urls] = (await shot) as [string[]];
    expect(urls).toHaveLength(1);
    expect(urls[0]).toMatch(QX_POSTVIEW);
    const res = await request(urls[0] ?? "");
    const jpeg = Buffer.from(await res.body.arrayBuffer());
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("image/jpeg");
    expect(jpeg.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    expect(readSimComment(jpeg)).toEqual({ kind: "postview", n: 0 });
    const [info] = (await cameraCall(s, "getStorageInformation")) as [
      [{ numberOfRecordableImages: number }],
    ];
    expect(info[0].numberOfRecordableImages).toBe(999);
  });

  it("accumulates the URLs of several shots in the takePicture slot until the next poll", async () => {
    const s = await start();
    await getEvent(s, false);
    const [a] = (await cameraCall(s, "actTakePicture")) as [string[]];
    const [b] = (await cameraCall(s, "actTakePicture")) as [string[]];
    const snapshot = await getEvent(s, false);
    expect(snapshot[5]).toEqual([{ takePictureUrl: [...a, ...b], type: "takePicture" }]);
    expect((await getEvent(s, false))[5]).toEqual([]);
  });

  it("names the picture after the camera clock set with setCurrentTime", async () => {
    const s = await start();
    await rpcRaw(s.urls.endpoints["system"] ?? "", "setCurrentTime", [
      { dateTime: "2014-03-18T16:24:51Z", timeZoneOffsetMinute: 0, dstOffsetMinute: 0 },
    ]);
    const [[url]] = (await cameraCall(s, "actTakePicture")) as [string[]];
    expect(url).toMatch(/\/pict140318_16245[1-2]0000\.JPG\?/);
  });

  it("answers 40403 after the server limit and hands the picture to awaitTakePicture", async () => {
    const s = await start({ timings: { captureMs: 250, takePictureTimeoutMs: 100 } });
    expect((await rpcRaw(camera(s), "actTakePicture")).json).toEqual({
      id: 1,
      error: [40403, "Still Capturing Not Finished"],
    });
    // A client calls awaitTakePicture until it stops answering 40403 (§6.3).
    let reply = await rpcRaw(camera(s), "awaitTakePicture");
    for (let i = 0; i < 10 && (reply.json as { error?: unknown }).error !== undefined; i++) {
      expect(reply.json).toEqual({ id: 1, error: [40403, "Still Capturing Not Finished"] });
      reply = await rpcRaw(camera(s), "awaitTakePicture");
    }
    const [urls] = (reply.json as { result: [string[]] }).result;
    expect(urls[0]).toMatch(QX_POSTVIEW);
    // Nothing left to wait for: error 1 (SRC "StillShootingNotCalled").
    expect((await rpcRaw(camera(s), "awaitTakePicture")).json).toEqual({
      id: 1,
      error: [1, "Not Available Now"],
    });
  });

  it("a second awaitTakePicture makes the pending one answer 40402", async () => {
    const s = await start({ timings: { captureMs: 300, takePictureTimeoutMs: 2000 } });
    const act = rpcRaw(camera(s), "actTakePicture", [], "1.0", 21);
    await new Promise((r) => setTimeout(r, 50));
    const wait = rpcRaw(camera(s), "awaitTakePicture", [], "1.0", 22);
    expect((await act).json).toEqual({ id: 21, error: [40402, "Already Running Polling Api"] });
    const body = (await wait).json as { id: number; result: [string[]] };
    expect(body.result[0][0]).toMatch(QX_POSTVIEW);
  });

  it("refuses a second actTakePicture while capturing (not in the list)", async () => {
    const s = await start({ timings: { captureMs: 200 } });
    const act = cameraCall(s, "actTakePicture");
    await new Promise((r) => setTimeout(r, 30));
    expect((await rpcRaw(camera(s), "actTakePicture")).json).toEqual({
      id: 1,
      error: [1, "Not Available Now"],
    });
    await act;
  });

  it("delays the capture by the self-timer", async () => {
    const s = await start({ timings: { selfTimerUnitMs: 100, captureMs: 20, saveMs: 10 } });
    await cameraCall(s, "setSelfTimer", [2]);
    await waitFor(async () => (await cameraCall(s, "getSelfTimer"))[0] === 2);
    let done = false;
    const shot = cameraCall(s, "actTakePicture").then((r) => {
      done = true;
      return r;
    });
    // Without the 2 × 100 ms countdown the picture would be ready after 30 ms.
    await new Promise((r) => setTimeout(r, 120));
    expect(done).toBe(false);
    expect(s.camera.cameraStatus).toBe("StillCapturing");
    const [urls] = (await shot) as [string[]];
    expect(urls).toHaveLength(1);
  });

  it("keeps only the most recent pictures downloadable", async () => {
    const s = await start({ postviewCapacity: 2 });
    const urls: string[] = [];
    for (let i = 0; i < 3; i++)
      urls.push(...((await cameraCall(s, "actTakePicture"))[0] as string[]));
    const status = async (u: string): Promise<number> => {
      const res = await request(u);
      await res.body.dump();
      return res.statusCode;
    };
    expect(await status(urls[0] ?? "")).toBe(404);
    expect(await status(urls[2] ?? "")).toBe(200);
  });
});

describe("movie (§4.4)", () => {
  it("goes MovieWaitRecStart → MovieRecording → MovieWaitRecStop → MovieSaving → IDLE", async () => {
    const s = await start({
      timings: { movieWaitStartMs: 100, movieWaitStopMs: 100, movieSaveMs: 100 },
    });
    await cameraCall(s, "setShootMode", ["movie"]);
    await waitFor(async () => (await cameraCall(s, "getShootMode"))[0] === "movie");
    expect((await rpcRaw(camera(s), "actTakePicture")).json).toEqual({
      id: 1,
      error: [1, "Not Available Now"],
    });
    await getEvent(s, false);
    expect(await cameraCall(s, "startMovieRec")).toEqual([0]);
    expect(await statusTrace(s, (st) => st === "MovieRecording")).toEqual([
      "MovieWaitRecStart",
      "MovieRecording",
    ]);
    expect(await cameraCall(s, "stopMovieRec")).toEqual([""]);
    expect(await statusTrace(s, (st) => st === "IDLE")).toEqual([
      "MovieWaitRecStop",
      "MovieSaving",
      "IDLE",
    ]);
  });
});

describe("zoom (§6.14)", () => {
  it("moves zoomPosition with start/stop and 1shot; stop in the other direction is an error", async () => {
    const s = await start();
    const zoom = async (): Promise<number> =>
      (slot(await getEvent(s, false), 2) as { zoomPosition: number }).zoomPosition;
    expect(await zoom()).toBe(0);
    expect(await cameraCall(s, "actZoom", ["in", "start"])).toEqual([0]);
    await waitFor(async () => (await zoom()) === 100);
    expect((await rpcRaw(camera(s), "actZoom", ["out", "stop"])).json).toEqual({
      id: 1,
      error: [3, "Illegal Argument"],
    });
    expect(await cameraCall(s, "actZoom", ["in", "stop"])).toEqual([0]);
    await cameraCall(s, "actZoom", ["out", "1shot"]);
    await waitFor(async () => (await zoom()) === 90);
    expect((await rpcRaw(camera(s), "actZoom", ["sideways", "1shot"])).json).toEqual({
      id: 1,
      error: [3, "Illegal Argument"],
    });
  });
});

describe("focus (§3.3)", () => {
  it("half-press reports Focusing then Focused in v1.1; cancel goes back to Not Focusing", async () => {
    const s = await start({ timings: { focusMs: 100 } });
    await getEvent(s, false, "1.1");
    expect(await cameraCall(s, "actHalfPressShutter")).toEqual([]);
    const seen: unknown[] = [];
    while (seen.at(-1) !== "Focused") {
      const event = await getEvent(s, true, "1.1");
      const f = slot(event, 35) as { focusStatus: string } | null;
      if (f !== null) seen.push(f.focusStatus);
    }
    expect(seen).toEqual(["Focusing", "Focused"]);
    expect(await cameraCall(s, "cancelHalfPressShutter")).toEqual([]);
    expect(slot(await getEvent(s, true, "1.1"), 35)).toEqual({
      focusStatus: "Not Focusing",
      type: "focusStatus",
    });
  });

  it("touch AF focuses, reports the AF result and sets touchAFPosition", async () => {
    const s = await start();
    expect(await cameraCall(s, "setTouchAFPosition", [25.5, 60])).toEqual([
      0,
      { AFResult: true, AFType: "Touch" },
    ]);
    expect(await cameraCall(s, "getTouchAFPosition")).toEqual([
      { set: true, touchCoordinates: [] },
    ]);
    expect(slot(await getEvent(s, false), 34)).toEqual({
      currentSet: true,
      currentTouchCoordinates: [],
      type: "touchAFPosition",
    });
    expect(await cameraCall(s, "cancelTouchAFPosition")).toEqual([]);
    expect(await cameraCall(s, "getTouchAFPosition")).toEqual([
      { set: false, touchCoordinates: [] },
    ]);
    expect((await rpcRaw(camera(s), "setTouchAFPosition", [120, 50])).json).toEqual({
      id: 1,
      error: [3, "Illegal Argument"],
    });
  });
  it("a cancel during touch AF answers AFResult false", async () => {
    const s = await start({ timings: { focusMs: 300 } });
    const touch = cameraCall(s, "setTouchAFPosition", [10, 10]);
    await new Promise((r) => setTimeout(r, 50));
    expect(await cameraCall(s, "cancelTouchAFPosition")).toEqual([]);
    expect(await touch).toEqual([0, { AFResult: false, AFType: "Touch" }]);
    expect(await cameraCall(s, "getTouchAFPosition")).toEqual([
      { set: false, touchCoordinates: [] },
    ]);
  });
});

describe("liveview on/off (§4.5, §5)", () => {
  it("startLiveview enables the stream and liveviewStatus; stopLiveview disables both", async () => {
    const s = await start();
    expect(slot(await getEvent(s, false), 3)).toEqual({
      liveviewStatus: false,
      type: "liveviewStatus",
    });
    const refused = await request(s.urls.liveview);
    await refused.body.dump();
    expect(refused.statusCode).toBe(404);
    expect(await cameraCall(s, "startLiveview")).toEqual([s.urls.liveview]);
    expect(slot(await getEvent(s, false), 3)).toEqual({
      liveviewStatus: true,
      type: "liveviewStatus",
    });
    const res = await request(s.urls.liveview);
    expect(res.statusCode).toBe(200);
    const chunks: Buffer[] = [];
    for await (const chunk of res.body) {
      chunks.push(chunk as Buffer);
      if (Buffer.concat(chunks).length >= 8) break;
    }
    expect(Buffer.concat(chunks).subarray(0, 8)).toEqual(
      Buffer.from([0xff, 0x01, 0, 0, 0, 0, 0, 4]),
    );
    expect(await cameraCall(s, "stopLiveview")).toEqual([0]);
    expect(slot(await getEvent(s, false), 3)).toEqual({
      liveviewStatus: false,
      type: "liveviewStatus",
    });
  });
});

describe("camera function (§3.3 setCameraFunction)", () => {
  it("switches to Contents Transfer after unlocking and reports the result", async () => {
    const s = await start();
    await enableMethods(s);
    await getEvent(s, false);
    expect(await cameraCall(s, "setCameraFunction", ["Contents Transfer"])).toEqual([0]);
    const delta = await getEvent(s, true);
    expect(slot(delta, 1)).toEqual({ cameraStatus: "ContentsTransfer", type: "cameraStatus" });
    expect(slot(delta, 15)).toEqual({
      cameraFunctionResult: "Success",
      type: "cameraFunctionResult",
    });
    expect((await rpcRaw(camera(s), "actTakePicture")).json).toEqual({
      id: 1,
      error: [1, "Not Available Now"],
    });
    await cameraCall(s, "setCameraFunction", ["Remote Shooting"]);
    await waitFor(() => s.camera.cameraStatus === "IDLE");
  });
});
