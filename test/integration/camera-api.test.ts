import { createHash } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import {
  CameraApi,
  ENABLE_METHODS_LIST,
  enableMethodsSignature,
  formatCameraDateTime,
} from "../../src/camera/api.js";
import { CameraClient } from "../../src/camera/client.js";
import { descriptionFromCameraUrl } from "../../src/camera/description.js";
import { BridgeError } from "../../src/errors.js";
import { haveFixtures, readFixture, readFixtureJson } from "../helpers/fixtures.js";
import {
  ok,
  rpcError,
  startRpcServer,
  type Handler,
  type RecordedRequest,
  type Reply,
  type RpcTestServer,
} from "../helpers/rpc-server.js";

let server: RpcTestServer | undefined;
let client: CameraClient | undefined;

async function apiFor(handler: Handler): Promise<{ api: CameraApi; server: RpcTestServer }> {
  server = await startRpcServer(handler);
  client = new CameraClient({ endpoints: descriptionFromCameraUrl(server.baseUrl).endpoints });
  return { api: new CameraApi(client), server };
}

afterEach(async () => {
  await client?.close();
  await server?.close();
  client = undefined;
  server = undefined;
});

async function failure(p: Promise<unknown>): Promise<BridgeError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof BridgeError) return e;
    throw new Error(`expected a BridgeError, got ${String(e)}`, { cause: e });
  }
  throw new Error("expected a rejection");
}

interface CapabilityFixture {
  calls: Record<string, unknown[]>;
  errors: Record<string, string>;
}

/** Replays a capabilities fixture: each call's recorded result, 403 `[403, method]` for its errors. */
function replay(fixture: CapabilityFixture, extra: Record<string, unknown[]> = {}): Handler {
  return (r) => {
    const method = r.method ?? "";
    const result = extra[method] ?? fixture.calls[method];
    if (result !== undefined) return ok(r, result);
    if (method in fixture.errors) {
      // QX10 private method before actEnableMethods (camera-api.md §2.2, ERIK).
      return { kind: "json", status: 403, body: { id: 1, error: [403, method] } };
    }
    return rpcError(r, 12, "No Such Method");
  };
}

const program = (): CapabilityFixture =>
  readFixtureJson("capabilities/DSC-QX10-still-program-auto.json") as CapabilityFixture;

describe.skipIf(!haveFixtures)("typed wrappers against real QX10 replies", () => {
  it("reads every getAvailable* of still / Program Auto", async () => {
    const fixture = program();
    const { api } = await apiFor(replay(fixture));
    const apis = await api.getAvailableApiList();
    expect(apis).toHaveLength(59);
    expect(apis).toContain("setExposureCompensation");
    await expect(api.getAvailableShootMode()).resolves.toEqual({
      current: "still",
      candidates: ["still", "movie"],
    });
    await expect(api.getAvailableSelfTimer()).resolves.toEqual({
      current: 0,
      candidates: [0, 2, 10],
    });
    await expect(api.getAvailablePostviewImageSize()).resolves.toEqual({
      current: "2M",
      candidates: ["2M", "Original"],
    });
    await expect(api.getAvailableExposureMode()).resolves.toEqual({
      current: "Program Auto",
      candidates: ["Intelligent Auto", "Superior Auto", "Program Auto"],
    });
    await expect(api.getAvailableBeepMode()).resolves.toEqual({
      current: "On",
      candidates: ["Shutter Only", "On", "Off"],
    });
    await expect(api.getAvailableStillSize()).resolves.toEqual({
      current: { aspect: "4:3", size: "18M" },
      candidates: [
        { aspect: "4:3", size: "18M" },
        { aspect: "4:3", size: "5M" },
        { aspect: "16:9", size: "13M" },
        { aspect: "16:9", size: "2M" },
      ],
    });
    await expect(api.getAvailableExposureCompensation()).resolves.toEqual({
      current: 0,
      upper: 6,
      lower: -6,
      step: 1,
    });
    const wb = await api.getAvailableWhiteBalance();
    expect(wb.current).toEqual({ whiteBalanceMode: "Auto WB", colorTemperature: -1 });
    expect(wb.candidates.map((c) => c.whiteBalanceMode)).toEqual([
      "Auto WB",
      "Daylight",
      "Cloudy",
      "Incandescent",
      "Fluorescent: Cool White (0)",
      "Fluorescent: Day White (+1)",
      "Fluorescent: Daylight (+2)",
    ]);
    expect(wb.candidates.every((c) => c.colorTemperatureRange.length === 0)).toBe(true);
    await expect(api.getAvailableIsoSpeedRate()).resolves.toEqual({
      current: "3200",
      candidates: ["AUTO", "100", "200", "400", "800", "1600", "3200"],
    });
  });

  it("reads every getSupported* of the QX10", async () => {
    const fixture = readFixtureJson("capabilities/DSC-QX10-supported.json") as CapabilityFixture;
    const { api } = await apiFor(replay(fixture));
    await expect(api.getSupportedShootMode()).resolves.toEqual(["still", "movie"]);
    await expect(api.getSupportedSelfTimer()).resolves.toEqual([0, 2, 10]);
    await expect(api.getSupportedPostviewImageSize()).resolves.toEqual(["2M", "Original"]);
    await expect(api.getSupportedExposureMode()).resolves.toEqual([
      "Intelligent Auto",
      "Superior Auto",
      "Program Auto",
    ]);
    await expect(api.getSupportedBeepMode()).resolves.toEqual(["Off", "On", "Shutter Only"]);
    await expect(api.getSupportedStillSize()).resolves.toHaveLength(4);
    await expect(api.getSupportedExposureCompensation()).resolves.toEqual({
      upper: [6],
      lower: [-6],
      step: [0],
    });
    const wb = await api.getSupportedWhiteBalance();
    expect(wb).toHaveLength(7);
    expect(wb[0]).toEqual({ whiteBalanceMode: "Auto WB", colorTemperatureRange: [] });
    await expect(api.getSupportedIsoSpeedRate()).resolves.toEqual([
      "AUTO",
      "100",
      "200",
      "400",
      "800",
      "1600",
      "3200",
    ]);
    const e = await failure(client!.call("camera", "getSupportedCameraFunction"));
    expect([e.code, e.cameraCode]).toEqual(["CAMERA_HTTP", 403]);
    expect(e.message).toContain("getSupportedCameraFunction");
  });

  it("reads the QX100 getMethodTypes reply (results form) replayed verbatim", async () => {
    const text = readFixture("methodtypes/QX100-1.0.json").toString("utf8");
    const { api, server } = await apiFor((r) => ({
      kind: "raw",
      body: text.replace('{"id":8,', `{"id":${String(r.id)},`),
    }));
    const types = await api.getMethodTypes("1.0");
    expect(server.requests[0]?.params).toEqual(["1.0"]);
    expect(types).toHaveLength(62);
    expect(types.find((t) => t.name === "setTouchAFPosition")).toEqual({
      name: "setTouchAFPosition",
      params: ["double", "double"],
      results: ["int", '{"AFResult":"bool", "AFType":"string"}'],
      version: "1.0",
    });
    expect(types.find((t) => t.name === "actTakePicture")).toEqual({
      name: "actTakePicture",
      params: [],
      results: ["string*"],
      version: "1.0",
    });
  });

  it("unlocks private methods with the two-step actEnableMethods handshake", async () => {
    const authenticated = readFixtureJson(
      "capabilities/DSC-QX10-still-intelligent-auto-authenticated.json",
    ) as CapabilityFixture;
    const dg = "GiigWEMzm1MoEmMu"; // the QX10 nonce of camera-api.md §3.5
    let unlocked = false;
    const { api, server } = await apiFor((r) => {
      if (r.service === "accessControl") {
        const p = (r.params as Record<string, string>[])[0] ?? {};
        if (p["sg"] === "") return ok(r, [{ dg }]);
        const expected = createHash("sha256")
          .update(`90adc8515a40558968fe8318b5b023fdd48d3828a2dda8905f3b93a3cd8e58dc${dg}`)
          .digest("base64");
        if (p["sg"] !== expected) return rpcError(r, 3, "bad sg");
        unlocked = true;
        return ok(r, [{ dg: "" }]);
      }
      if (r.method === "getAvailableCameraFunction" && !unlocked) {
        return { kind: "json", status: 403, body: { id: 1, error: [403, r.method] } };
      }
      return replay(authenticated)(r);
    });
    expect((await failure(client!.call("camera", "getAvailableCameraFunction"))).cameraCode).toBe(
      403,
    );
    await api.actEnableMethods();
    await expect(client!.call("camera", "getAvailableCameraFunction")).resolves.toEqual([
      "Remote Shooting",
      ["Remote Shooting", "Contents Transfer"],
    ]);
    const [first, second] = server.requests.filter((r) => r.service === "accessControl");
    expect(first?.json).toMatchObject({
      method: "actEnableMethods",
      version: "1.0",
      params: [{ developerName: "", sg: "", methods: "", developerID: "" }],
    });
    expect(second?.params).toEqual([
      {
        developerName: "Sony Corporation",
        sg: enableMethodsSignature(dg),
        methods: ENABLE_METHODS_LIST,
        developerID: "7DED695E-75AC-4ea9-8A85-E5F8CA0AF2F3",
      },
    ]);
    // Identical to the list in ERIK's actEnableMethods.sh (71 names; sha256 of the string).
    expect(ENABLE_METHODS_LIST.split(":")).toHaveLength(71);
    expect(createHash("sha256").update(ENABLE_METHODS_LIST).digest("hex").slice(0, 16)).toBe(
      "95b6a21f8c24a8f6",
    );
    expect(ENABLE_METHODS_LIST).toMatch(/^camera\/setFlashMode:camera\/getFlashMode:/);
    expect(ENABLE_METHODS_LIST).toMatch(/:camera\/actFormatStorage:system\/setCurrentTime$/);
  });
});

describe("typed wrappers: params sent and results checked", () => {
  it("sends the documented params for setters and actions", async () => {
    const { api, server } = await apiFor((r) => {
      switch (r.method ?? "") {
        case "setTouchAFPosition":
          return ok(r, [0, { AFResult: true, AFType: "Touch" }]);
        case "stopMovieRec":
          return ok(r, [""]);
        case "setCurrentTime":
        case "actHalfPressShutter":
        case "cancelTouchAFPosition":
          return ok(r, []);
        default:
          return ok(r, [0]);
      }
    });
    await api.setShootMode("still");
    await api.setSelfTimer(2);
    await api.setPostviewImageSize("Original");
    await api.setExposureMode("Program Auto");
    await api.setBeepMode("Shutter Only");
    await api.setStillSize({ aspect: "16:9", size: "13M" });
    await api.setExposureCompensation(-3);
    await api.setIsoSpeedRate("AUTO");
    await api.setWhiteBalance("Auto WB");
    await api.setWhiteBalance("Color Temperature", 2500);
    await api.actZoom("in", "1shot");
    await api.actHalfPressShutter();
    await expect(api.setTouchAFPosition(33.5, 50)).resolves.toEqual({
      afResult: true,
      afType: "Touch",
    });
    await api.cancelTouchAFPosition();
    await api.startMovieRec();
    await api.stopMovieRec();
    await api.setCurrentTime(new Date(Date.UTC(2014, 3, 1, 21, 35, 43, 789)), 540, 0);
    expect(server.requests.map((r) => [r.service, r.method, r.params])).toEqual([
      ["camera", "setShootMode", ["still"]],
      ["camera", "setSelfTimer", [2]],
      ["camera", "setPostviewImageSize", ["Original"]],
      ["camera", "setExposureMode", ["Program Auto"]],
      ["camera", "setBeepMode", ["Shutter Only"]],
      ["camera", "setStillSize", ["16:9", "13M"]],
      ["camera", "setExposureCompensation", [-3]],
      ["camera", "setIsoSpeedRate", ["AUTO"]],
      ["camera", "setWhiteBalance", ["Auto WB", false, -1]],
      ["camera", "setWhiteBalance", ["Color Temperature", true, 2500]],
      ["camera", "actZoom", ["in", "1shot"]],
      ["camera", "actHalfPressShutter", []],
      ["camera", "setTouchAFPosition", [33.5, 50]],
      ["camera", "cancelTouchAFPosition", []],
      ["camera", "startMovieRec", []],
      ["camera", "stopMovieRec", []],
      [
        "system",
        "setCurrentTime",
        [{ dateTime: "2014-04-01T21:35:43Z", timeZoneOffsetMinute: 540, dstOffsetMinute: 0 }],
      ],
    ]);
    expect(server.requests.every((r) => (r.json as { version: string }).version === "1.0")).toBe(
      true,
    );
  });

  it("reads liveview, storage, application info, versions and getEvent", async () => {
    const { api, server } = await apiFor((r) => {
      switch (r.method ?? "") {
        case "startLiveview":
          return ok(r, ["http://10.0.0.1:60152/liveview.JPG?%211234%21http%2dget%3a%2a%3aimage"]);
        case "getStorageInformation":
          return ok(r, [
            [
              {
                storageID: "Memory Card 1",
                recordTarget: true,
                numberOfRecordableImages: 100,
                recordableTime: -1,
                storageDescription: "",
              },
            ],
          ]);
        case "getApplicationInfo":
          return ok(r, ["Smart Remote Control", "2.0.0"]);
        case "getVersions":
          return ok(r, [["1.0", "1.1"]]);
        case "getEvent":
          return ok(r, [null, { type: "cameraStatus", cameraStatus: "IDLE" }]);
        default:
          return rpcError(r, 12);
      }
    });
    await expect(api.startLiveview()).resolves.toBe(
      "http://10.0.0.1:60152/liveview.JPG?%211234%21http%2dget%3a%2a%3aimage",
    );
    await expect(api.getStorageInformation()).resolves.toEqual([
      {
        storageId: "Memory Card 1",
        recordTarget: true,
        numberOfRecordableImages: 100,
        recordableTime: -1,
        storageDescription: "",
      },
    ]);
    await expect(api.getApplicationInfo()).resolves.toEqual({
      name: "Smart Remote Control",
      version: "2.0.0",
    });
    await expect(api.getVersions("system")).resolves.toEqual(["1.0", "1.1"]);
    await expect(api.getEvent(false, "1.1")).resolves.toEqual([
      null,
      { type: "cameraStatus", cameraStatus: "IDLE" },
    ]);
    expect(server.requests.at(-2)?.service).toBe("system");
    expect(server.requests.at(-1)?.json).toMatchObject({ params: [false], version: "1.1" });
  });

  it.each<[string, (api: CameraApi) => Promise<unknown>, unknown[]]>([
    ["getAvailableStillSize", (api) => api.getAvailableStillSize(), ["4:3", ["4:3"]]],
    ["getAvailableSelfTimer", (api) => api.getAvailableSelfTimer(), ["0", ["0", "2"]]],
    ["getAvailableShootMode", (api) => api.getAvailableShootMode(), ["still"]],
    ["getAvailableExposureCompensation", (api) => api.getAvailableExposureCompensation(), [0, 6]],
    ["getAvailableWhiteBalance", (api) => api.getAvailableWhiteBalance(), [{ mode: "x" }, []]],
    ["getSupportedIsoSpeedRate", (api) => api.getSupportedIsoSpeedRate(), ["AUTO", "100"]],
    ["getAvailableApiList", (api) => api.getAvailableApiList(), []],
    ["actTakePicture", (api) => api.actTakePicture(), ["http://x/pict.JPG"]],
    ["actTakePicture", (api) => api.actTakePicture(), [[]]],
    ["setTouchAFPosition", (api) => api.setTouchAFPosition(1, 2), [0]],
    ["setShootMode", (api) => api.setShootMode("still"), [1]],
    ["startLiveview", (api) => api.startLiveview(), [""]],
    ["getStorageInformation", (api) => api.getStorageInformation(), [{ storageID: "x" }]],
    ["getMethodTypes", (api) => api.getMethodTypes(), [["getEvent", "bool", [], "1.0"]]],
    ["actEnableMethods", (api) => api.actEnableMethods(), [{ nonce: "x" }]],
  ])(
    "%s: an unexpected result shape is CAMERA_PROTOCOL naming the method",
    async (method, run, result) => {
      const { api } = await apiFor((r) => ok(r, result));
      const e = await failure(run(api));
      expect(e.code).toBe("CAMERA_PROTOCOL");
      expect(e.message).toContain(`${method}:`);
    },
  );

  it("formats setCurrentTime's dateTime without fractions", () => {
    expect(formatCameraDateTime(new Date(Date.UTC(2026, 10, 24, 1, 2, 3, 456)))).toBe(
      "2026-11-24T01:02:03Z",
    );
  });
});

describe("takePicture", () => {
  const url =
    "http://127.0.0.1:60152/pict140318_1624510000.JPG?%211234%21http%2dget%3a%2a%3aimage%2fjpeg%3a%2a%21%21%21%21%21";

  /** A camera whose actTakePicture / awaitTakePicture answer from a script, then succeed. */
  function camera(script: ("40403" | "hang" | "40400")[]): Handler {
    let step = 0;
    return (r: RecordedRequest): Reply => {
      if (r.method !== "actTakePicture" && r.method !== "awaitTakePicture") return rpcError(r, 12);
      const next = script[step++];
      if (next === undefined) return ok(r, [[url]]);
      if (next === "hang") return { kind: "hang" };
      return rpcError(
        r,
        Number(next),
        next === "40403" ? "Still Capturing Not Finished" : "Shooting fail",
      );
    };
  }

  it("returns the URL of a direct success after one actTakePicture", async () => {
    const { api, server } = await apiFor(camera([]));
    await expect(api.takePicture()).resolves.toEqual([url]);
    expect(server.requests.map((r) => r.method)).toEqual(["actTakePicture"]);
  });

  it("on 40403 waits with awaitTakePicture", async () => {
    const { api, server } = await apiFor(camera(["40403"]));
    await expect(api.takePicture()).resolves.toEqual([url]);
    expect(server.requests.map((r) => r.method)).toEqual(["actTakePicture", "awaitTakePicture"]);
  });

  it("keeps awaiting while awaitTakePicture also answers 40403", async () => {
    const { api, server } = await apiFor(camera(["40403", "40403", "40403"]));
    await expect(api.takePicture({ retryDelayMs: 1 })).resolves.toEqual([url]);
    expect(server.requests.map((r) => r.method)).toEqual([
      "actTakePicture",
      "awaitTakePicture",
      "awaitTakePicture",
      "awaitTakePicture",
    ]);
  });

  it("gives up with CAMERA_TIMEOUT when the deadline passes, never shooting twice", async () => {
    const { api, server } = await apiFor(camera(Array.from({ length: 10_000 }, () => "40403")));
    const e = await failure(api.takePicture({ deadlineMs: 300, retryDelayMs: 20 }));
    expect(e.code).toBe("CAMERA_TIMEOUT");
    expect(server.callsTo("actTakePicture")).toHaveLength(1);
    expect(server.callsTo("awaitTakePicture").length).toBeGreaterThanOrEqual(1);
  });

  it("gives up with CAMERA_TIMEOUT when awaitTakePicture hangs past the deadline", async () => {
    const { api, server } = await apiFor(camera(["40403", "hang"]));
    const e = await failure(api.takePicture({ deadlineMs: 300 }));
    expect(e.code).toBe("CAMERA_TIMEOUT");
    expect(server.callsTo("actTakePicture")).toHaveLength(1);
  });

  it("passes other camera errors through without awaiting", async () => {
    const { api, server } = await apiFor(camera(["40400"]));
    const e = await failure(api.takePicture());
    expect([e.code, e.cameraCode]).toEqual(["CAMERA_RPC", 40400]);
    expect(server.requests.map((r) => r.method)).toEqual(["actTakePicture"]);
  });

  it("stops with ABORTED when the signal fires while waiting", async () => {
    const { api, server } = await apiFor(camera(["40403", "hang"]));
    const controller = new AbortController();
    const pending = failure(api.takePicture({ signal: controller.signal }));
    while (server.callsTo("awaitTakePicture").length === 0) {
      await new Promise((r) => setTimeout(r, 5));
    }
    controller.abort();
    expect((await pending).code).toBe("ABORTED");
    expect(server.callsTo("actTakePicture")).toHaveLength(1);
  });
});
