import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CAMERA_STATE_KEYS,
  applyAvailable,
  applyEvent,
  chooseEventVersion,
  formatStillSize,
  initialCameraState,
  isEventVersion,
  lowerEventVersion,
  parseEventResult,
  parseStillSize,
  parseVersionsResult,
  type CameraState,
} from "../../src/camera/events.js";
import { haveFixtures, readFixtureJson } from "../helpers/fixtures.js";

/** The `result` array of a saved JSON-RPC body. */
function fixtureResult(rel: string): unknown[] {
  const body = readFixtureJson(rel) as { result: unknown[] };
  return body.result;
}

/** An "all unchanged" reply of `length` slots: null, with `[]` at 5, 6, 10 (camera-api.md §4.3). */
function emptyReply(length: number): unknown[] {
  const r: unknown[] = new Array<unknown>(length).fill(null);
  r[5] = [];
  r[6] = [];
  r[10] = [];
  return r;
}

const QX100_URL_1 =
  "http://10.0.0.1:60152/pict140318_1624510000.JPG?%211234%21http%2dget%3a%2a%3aimage%2fjpeg%3a%2a%21%21%21%21%21";
const QX100_URL_2 =
  "http://10.0.0.1:60152/pict140318_1624530000.JPG?%211234%21http%2dget%3a%2a%3aimage%2fjpeg%3a%2a%21%21%21%21%21";

// Written out by hand from getevent/QX100-1.json slot 0.
const QX100_APIS = [
  "getMethodTypes",
  "getAvailableApiList",
  "setShootMode",
  "getShootMode",
  "getSupportedShootMode",
  "getAvailableShootMode",
  "setSelfTimer",
  "getSelfTimer",
  "getSupportedSelfTimer",
  "getAvailableSelfTimer",
  "setPostviewImageSize",
  "getPostviewImageSize",
  "getSupportedPostviewImageSize",
  "getAvailablePostviewImageSize",
  "startLiveview",
  "stopLiveview",
  "actTakePicture",
  "startMovieRec",
  "stopMovieRec",
  "actZoom",
  "setExposureMode",
  "getExposureMode",
  "getSupportedExposureMode",
  "getAvailableExposureMode",
  "setBeepMode",
  "getBeepMode",
  "getSupportedBeepMode",
  "getAvailableBeepMode",
  "setCameraFunction",
  "getCameraFunction",
  "getSupportedCameraFunction",
  "getAvailableCameraFunction",
  "setStillSize",
  "getStillSize",
  "getSupportedStillSize",
  "getAvailableStillSize",
  "setFocusMode",
  "getFocusMode",
  "getSupportedFocusMode",
  "getAvailableFocusMode",
  "actFormatStorage",
  "getStorageInformation",
  "setTouchAFPosition",
  "cancelTouchAFPosition",
  "getTouchAFPosition",
  "getSupportedExposureCompensation",
  "getSupportedFNumber",
  "getSupportedWhiteBalance",
  "getApplicationInfo",
  "getVersions",
  "getEvent",
];

const QX100_STATE: CameraState = {
  camera_status: "IDLE",
  shoot_mode: "still",
  shoot_modes: ["still", "movie"],
  zoom_position: 3,
  liveview_status: true,
  self_timer: 0,
  self_timers: [0, 2, 10],
  exposure_mode: "Intelligent Auto",
  exposure_modes: ["Intelligent Auto", "Superior Auto", "Program Auto", "Aperture"],
  iso: null,
  isos: null,
  white_balance: null,
  white_balances: null,
  exposure_compensation: null,
  exposure_compensation_range: null,
  still_size: "4:3 18M",
  still_sizes: null,
  postview_size: "2M",
  beep_mode: "On",
  focus_status: null,
  battery: null,
  storage: { id: "No Media", recordable_images: null, recordable_time: null },
  available_apis: QX100_APIS,
  last_picture_url: QX100_URL_2,
};

describe.skipIf(!haveFixtures)("getEvent fixtures", () => {
  it("normalizes the real QX100 getEvent(false) v1.0 snapshot to the exact state", () => {
    const result = fixtureResult("getevent/QX100-1.json");
    expect(result).toHaveLength(35);
    const prev = initialCameraState();
    const out = applyEvent(prev, parseEventResult(result));
    expect(out.state).toEqual(QX100_STATE);
    expect(out.pictures).toEqual([QX100_URL_1, QX100_URL_2]);
    expect(out.statusChange).toEqual({ from: null, to: "IDLE" });
    expect(out.changed).toEqual([
      "camera_status",
      "shoot_mode",
      "shoot_modes",
      "zoom_position",
      "liveview_status",
      "self_timer",
      "self_timers",
      "exposure_mode",
      "exposure_modes",
      "still_size",
      "postview_size",
      "beep_mode",
      "storage",
      "available_apis",
      "last_picture_url",
    ]);
    expect(prev).toEqual(initialCameraState()); // not mutated
  });

  it("parses the QX100 objects that are not state keys, with camera field names", () => {
    const o = parseEventResult(fixtureResult("getevent/QX100-1.json"));
    expect(o.zoomInformation).toEqual({
      zoomPosition: 3,
      zoomNumberBox: 1,
      zoomIndexCurrentBox: 0,
      zoomPositionCurrentBox: 3,
    });
    expect(o.liveviewOrientation).toEqual({ liveviewOrientation: "0" });
    expect(o.focusMode).toEqual({ current: "AF-S", candidates: ["AF-S", "MF"] });
    expect(o.cameraFunction).toEqual({
      current: "Remote Shooting",
      candidates: ["Remote Shooting", "Contents Transfer"],
    });
    expect(o.sceneRecognition).toEqual({
      sceneRecognition: "Backlight",
      steadyRecognition: "Tripod",
      motionRecognition: "None",
    });
    // "" and [] inside present objects are "invalid now" → null (REF240, camera-api.md §4.3).
    expect(o.formatStatus).toEqual({ formatResult: null });
    expect(o.cameraFunctionResult).toEqual({ cameraFunctionResult: null });
    expect(o.triggeredError).toEqual({ triggeredError: null });
    expect(o.touchAFPosition).toEqual({ currentSet: false, currentTouchCoordinates: null });
    expect(o.stillSize).toEqual({
      checkAvailability: true,
      currentAspect: "4:3",
      currentSize: "18M",
    });
    expect(o.storageInformation).toEqual([
      {
        storageID: "No Media",
        recordTarget: true,
        numberOfRecordableImages: -1,
        recordableTime: -1,
        storageDescription: "Storage Media",
      },
    ]);
    expect(o.takePicture).toEqual({ urls: [QX100_URL_1, QX100_URL_2] });
    expect(o.continuousError).toBeUndefined(); // slot 6 is []
    expect(o.batteryInfo).toBeUndefined();
  });

  it("applies the Smart-Remote v1.2 delta: only what it carries changes", () => {
    const result = fixtureResult("getevent/SmartRemote-unknown-1.json");
    expect(result).toHaveLength(60);
    const prev: CameraState = {
      ...QX100_STATE,
      iso: "400",
      isos: ["AUTO", "100", "400"],
      focus_status: "Focused",
      battery: 80,
    };
    const objects = parseEventResult(result);
    expect(objects.shutterSpeed).toEqual({ current: "1/40", candidates: null });
    expect(objects.isoSpeedRate).toEqual({ current: "AUTO", candidates: null });
    expect(objects.sceneRecognition).toEqual({
      sceneRecognition: "None",
      steadyRecognition: "Tripod",
      motionRecognition: "None",
    });
    const out = applyEvent(prev, objects);
    expect(out.changed).toEqual(["iso", "isos", "focus_status"]);
    expect(out.state).toEqual({
      ...prev,
      iso: "AUTO",
      isos: null,
      focus_status: "Not Focusing",
    });
    expect(out.pictures).toEqual([]);
    expect(out.statusChange).toBeUndefined();
  });

  it("fills candidates and QX10 values from getAvailable* replies (DSC-QX10 program auto)", () => {
    const fixture = readFixtureJson("capabilities/DSC-QX10-still-program-auto.json") as {
      calls: Record<string, unknown[]>;
    };
    let state = initialCameraState();
    for (const [method, result] of Object.entries(fixture.calls)) {
      state = applyAvailable(state, method, result).state;
    }
    const apis = fixture.calls["getAvailableApiList"]?.[0];
    expect(apis).toHaveLength(59);
    expect(state).toEqual({
      ...initialCameraState(),
      shoot_mode: "still",
      shoot_modes: ["still", "movie"],
      self_timer: 0,
      self_timers: [0, 2, 10],
      postview_size: "2M",
      exposure_mode: "Program Auto",
      exposure_modes: ["Intelligent Auto", "Superior Auto", "Program Auto"],
      beep_mode: "On",
      still_size: "4:3 18M",
      still_sizes: ["4:3 18M", "4:3 5M", "16:9 13M", "16:9 2M"],
      exposure_compensation: 0,
      exposure_compensation_range: { min: -6, max: 6, step: 1 },
      white_balance: "Auto WB",
      white_balances: [
        "Auto WB",
        "Daylight",
        "Cloudy",
        "Incandescent",
        "Fluorescent: Cool White (0)",
        "Fluorescent: Day White (+1)",
        "Fluorescent: Daylight (+2)",
      ],
      iso: "3200",
      isos: ["AUTO", "100", "200", "400", "800", "1600", "3200"],
      available_apis: apis,
    });
  });

  it("keeps applyAvailable candidates across a later QX100 snapshot", () => {
    const prev = applyAvailable(initialCameraState(), "getAvailableStillSize", [
      { aspect: "4:3", size: "18M" },
      [
        { aspect: "4:3", size: "18M" },
        { aspect: "16:9", size: "13M" },
      ],
    ]).state;
    const out = applyEvent(prev, parseEventResult(fixtureResult("getevent/QX100-1.json")));
    expect(out.state.still_sizes).toEqual(["4:3 18M", "16:9 13M"]);
    expect(out.state.still_size).toBe("4:3 18M");
    expect(out.changed).not.toContain("still_size");
  });
});

describe("parseEventResult robustness", () => {
  it("finds objects by type wherever they sit and ignores unknown types and junk", () => {
    const r = emptyReply(36);
    // Shuffled positions, arrays where objects are expected and vice versa.
    r[0] = { type: "focusStatus", focusStatus: "Focused" };
    r[1] = [{ type: "shootMode", currentShootMode: "movie", shootModeCandidates: ["movie"] }];
    r[2] = { type: "fancyNewThing", value: 1 };
    r[3] = 42;
    r[4] = "cameraStatus";
    r[5] = [null, 7, "x", { noType: true }, { type: "cameraStatus", cameraStatus: "IDLE" }];
    r[20] = { type: "storageInformation", storageID: "Memory Card 1", recordTarget: true };
    r[35] = { type: "liveviewStatus", liveviewStatus: false };
    const o = parseEventResult(r);
    expect(o).toEqual({
      focusStatus: { focusStatus: "Focused" },
      shootMode: { current: "movie", candidates: ["movie"] },
      cameraStatus: { cameraStatus: "IDLE" },
      storageInformation: [{ storageID: "Memory Card 1", recordTarget: true }],
      liveviewStatus: { liveviewStatus: false },
    });
  });

  it("tolerates a drifted index and extra trailing slots", () => {
    const r = emptyReply(35);
    r[1] = { type: "cameraStatus", cameraStatus: "StillSaving" };
    r[21] = { type: "shootMode", currentShootMode: "still", shootModeCandidates: ["still"] };
    const drifted = [null, ...r, { type: "zoomInformation", zoomPosition: 50 }, "junk", 1, [], {}];
    expect(drifted).toHaveLength(41);
    const out = applyEvent(initialCameraState(), parseEventResult(drifted));
    expect(out.state.camera_status).toBe("StillSaving");
    expect(out.state.shoot_mode).toBe("still");
    expect(out.state.shoot_modes).toEqual(["still"]);
    expect(out.state.zoom_position).toBe(50);
  });

  it("ignores fields of the wrong type and keeps the previous value", () => {
    const prev: CameraState = { ...QX100_STATE };
    const r = emptyReply(35);
    r[0] = { type: "availableApiList", names: ["a", 1] };
    r[1] = { type: "cameraStatus", cameraStatus: 5 };
    r[2] = { type: "zoomInformation", zoomPosition: "3" };
    r[3] = { type: "liveviewStatus", liveviewStatus: "true" };
    r[5] = [{ type: "takePicture", takePictureUrl: "http://x/1.JPG" }];
    r[10] = [{ type: "storageInformation", storageID: 7, numberOfRecordableImages: "12" }];
    r[11] = { type: "beepMode", currentBeepMode: null, beepModeCandidates: "On" };
    r[14] = { type: "stillSize", currentAspect: 4, currentSize: ["18M"] };
    r[18] = { type: "exposureMode", currentExposureMode: {}, exposureModeCandidates: [1, 2] };
    r[20] = { type: "selfTimer", currentSelfTimer: 2.5, selfTimerCandidates: [0, "2"] };
    r[21] = { type: "shootMode", currentShootMode: true, shootModeCandidates: null };
    r[25] = { type: "exposureCompensation", currentExposureCompensation: "1" };
    r[29] = { type: "isoSpeedRate", currentIsoSpeedRate: 100, isoSpeedRateCandidates: {} };
    r[33] = { type: "whiteBalance", currentWhiteBalanceMode: 3 };
    r[34] = { type: "focusStatus", focusStatus: false };
    const out = applyEvent(prev, parseEventResult(r));
    // The storage object is present but carries no usable id or counts.
    expect(out.changed).toEqual(["storage"]);
    expect(out.state).toEqual({
      ...prev,
      storage: { id: null, recordable_images: null, recordable_time: null },
    });
    expect(out.pictures).toEqual([]);
  });

  it("stores null for empty strings and empty arrays inside present objects", () => {
    const r = emptyReply(36);
    r[0] = { type: "availableApiList", names: [] };
    r[1] = { type: "cameraStatus", cameraStatus: "" };
    r[14] = { type: "stillSize", checkAvailability: true, currentAspect: "", currentSize: "18M" };
    r[18] = { type: "exposureMode", currentExposureMode: "", exposureModeCandidates: [] };
    r[20] = { type: "selfTimer", currentSelfTimer: 0, selfTimerCandidates: [] };
    r[33] = { type: "whiteBalance", currentWhiteBalanceMode: "", currentColorTemperature: -1 };
    r[35] = { type: "focusStatus", focusStatus: "" };
    const out = applyEvent(QX100_STATE, parseEventResult(r));
    expect(out.state).toEqual({
      ...QX100_STATE,
      available_apis: null,
      camera_status: null,
      still_size: null,
      exposure_mode: null,
      exposure_modes: null,
      self_timers: null,
    });
    expect(out.statusChange).toEqual({ from: "IDLE", to: null });
  });

  it("treats an all-null reply as nothing changed (same state object)", () => {
    for (const length of [35, 36, 60, 63]) {
      const r = emptyReply(length);
      expect(parseEventResult(r)).toEqual({});
      const out = applyEvent(QX100_STATE, parseEventResult(r));
      expect(out.state).toBe(QX100_STATE);
      expect(out.changed).toEqual([]);
      expect(out.pictures).toEqual([]);
      expect(out.statusChange).toBeUndefined();
    }
    expect(applyEvent(QX100_STATE, parseEventResult([])).state).toBe(QX100_STATE);
  });

  it("collects every picture URL of every takePicture object, in order", () => {
    const r = emptyReply(35);
    r[5] = [
      { type: "takePicture", takePictureUrl: ["http://c/1.JPG", "http://c/2.JPG"] },
      { type: "takePicture", takePictureUrl: ["http://c/3.JPG"] },
      { type: "takePicture", takePictureUrl: [] },
    ];
    const out = applyEvent(initialCameraState(), parseEventResult(r));
    expect(out.pictures).toEqual(["http://c/1.JPG", "http://c/2.JPG", "http://c/3.JPG"]);
    expect(out.state.last_picture_url).toBe("http://c/3.JPG");
    expect(out.changed).toEqual(["last_picture_url"]);
  });

  it("reports a picture even when its URL equals the last one", () => {
    const prev = { ...initialCameraState(), last_picture_url: "http://c/1.JPG" };
    const r = emptyReply(35);
    r[5] = [{ type: "takePicture", takePictureUrl: ["http://c/1.JPG"] }];
    const out = applyEvent(prev, parseEventResult(r));
    expect(out.pictures).toEqual(["http://c/1.JPG"]);
    expect(out.changed).toEqual([]);
  });

  it("reads a v1.3 reply (63 slots) with batteryInfo, exposure compensation and white balance", () => {
    const r = emptyReply(63);
    r[1] = { type: "cameraStatus", cameraStatus: "MovieRecording" };
    r[2] = {
      type: "zoomInformation",
      zoomPosition: -1,
      zoomNumberBox: -1,
      zoomIndexCurrentBox: -1,
      zoomPositionCurrentBox: -1,
    };
    r[10] = [
      {
        type: "storageInformation",
        storageID: "Memory Card 2",
        recordTarget: false,
        numberOfRecordableImages: 10,
        recordableTime: 5,
        storageDescription: "",
      },
      {
        type: "storageInformation",
        storageID: "Memory Card 1",
        recordTarget: true,
        numberOfRecordableImages: 1234,
        recordableTime: 95,
        storageDescription: "Storage Media",
      },
    ];
    r[25] = {
      type: "exposureCompensation",
      currentExposureCompensation: -3,
      maxExposureCompensation: 15,
      minExposureCompensation: -15,
      stepIndexOfExposureCompensation: 1,
    };
    r[29] = {
      type: "isoSpeedRate",
      currentIsoSpeedRate: "AUTO",
      isoSpeedRateCandidates: ["AUTO", "100"],
    };
    r[33] = {
      type: "whiteBalance",
      checkAvailability: true,
      currentWhiteBalanceMode: "Daylight",
      currentColorTemperature: -1,
    };
    r[35] = { type: "focusStatus", focusStatus: "Focusing" };
    r[36] = { type: "zoomSetting", zoom: "Optical Zoom Only", candidate: ["Optical Zoom Only"] };
    r[56] = {
      type: "batteryInfo",
      batteryInfo: [
        {
          batteryID: "externalBattery1",
          status: "inactive",
          additionalStatus: "",
          levelNumer: 1,
          levelDenom: 4,
          description: "",
        },
        {
          batteryID: "externalBattery2",
          status: "active",
          additionalStatus: "batteryNearEnd",
          levelNumer: 2,
          levelDenom: 3,
          description: "",
        },
      ],
    };
    r[57] = { type: "recordingTime", recordingTime: 12 };
    r[59] = { type: "autoPowerOff", autoPowerOff: 60, candidate: [0, 60, 120] };
    r[62] = {
      type: "windNoiseReduction",
      windNoiseReduction: "Off",
      candidate: ["On", "Off"],
    };
    const o = parseEventResult(r);
    expect(o.batteryInfo?.batteryInfo?.[1]).toEqual({
      batteryID: "externalBattery2",
      status: "active",
      additionalStatus: "batteryNearEnd",
      levelNumer: 2,
      levelDenom: 3,
      description: null,
    });
    expect(o.autoPowerOff).toEqual({ current: 60, candidates: [0, 60, 120] });
    expect(o.windNoiseReduction).toEqual({ current: "Off", candidates: ["On", "Off"] });
    expect(o.zoomSetting).toEqual({
      current: "Optical Zoom Only",
      candidates: ["Optical Zoom Only"],
    });
    expect(o.recordingTime).toEqual({ recordingTime: 12 });
    const out = applyEvent(initialCameraState(), o);
    expect(out.state).toEqual({
      ...initialCameraState(),
      camera_status: "MovieRecording",
      zoom_position: null, // -1 = n/a
      storage: { id: "Memory Card 1", recordable_images: 1234, recordable_time: 95 },
      exposure_compensation: -3,
      exposure_compensation_range: { min: -15, max: 15, step: 1 },
      iso: "AUTO",
      isos: ["AUTO", "100"],
      white_balance: "Daylight",
      focus_status: "Focusing",
      battery: 67, // 2/3 of the active battery, rounded
    });
  });

  it("derives battery from the active battery and nulls what is unusable", () => {
    const battery = (list: unknown): number | null => {
      const r = emptyReply(60);
      r[56] = { type: "batteryInfo", batteryInfo: list };
      return applyEvent({ ...initialCameraState(), battery: 50 }, parseEventResult(r)).state
        .battery;
    };
    expect(battery([{ batteryID: "externalBattery1", levelNumer: 3, levelDenom: 4 }])).toBe(75);
    expect(
      battery([{ batteryID: "noBattery", status: "unknown", levelNumer: 0, levelDenom: 0 }]),
    ).toBeNull();
    expect(battery([{ batteryID: "externalBattery1", levelNumer: 1, levelDenom: 0 }])).toBeNull();
    expect(battery([])).toBeNull();
    expect(battery("full")).toBe(50); // wrong type: ignored, previous value kept
    expect(battery([{ levelNumer: 5, levelDenom: 4, status: "active" }])).toBe(100);
  });

  it("combines a still size delta carrying only the size with the previous aspect", () => {
    const r = emptyReply(35);
    r[14] = { type: "stillSize", currentSize: "5M" };
    const out = applyEvent(QX100_STATE, parseEventResult(r));
    expect(out.state.still_size).toBe("4:3 5M");
    expect(out.changed).toEqual(["still_size"]);
  });

  it("never throws and always yields every state key, whatever the reply holds", () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { maxLength: 70 }), (result) => {
        const out = applyEvent(QX100_STATE, parseEventResult(result));
        expect(Object.keys(out.state).sort()).toEqual([...CAMERA_STATE_KEYS].sort());
      }),
      { seed: 240, numRuns: 300 },
    );
  });

  it("never throws on arbitrary objects that carry a known type", () => {
    const types = [
      "cameraStatus",
      "shootMode",
      "selfTimer",
      "takePicture",
      "storageInformation",
      "batteryInfo",
      "stillSize",
      "exposureCompensation",
      "contShooting",
      "whiteBalance",
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...types),
        fc.dictionary(fc.string(), fc.jsonValue()),
        (type, fields) => {
          const out = applyEvent(initialCameraState(), parseEventResult([{ ...fields, type }]));
          expect(Object.keys(out.state)).toEqual([...CAMERA_STATE_KEYS]);
          for (const url of out.pictures) expect(typeof url).toBe("string");
        },
      ),
      { seed: 7, numRuns: 300 },
    );
  });
});

describe("applyAvailable", () => {
  it("ignores unknown methods and malformed replies (same state object)", () => {
    const s = QX100_STATE;
    expect(applyAvailable(s, "getAvailableFocusMode", ["AF-S", ["AF-S"]]).state).toBe(s);
    expect(applyAvailable(s, "getAvailableStillSize", []).state).toBe(s);
    expect(applyAvailable(s, "getAvailableStillSize", ["4:3 18M", [1]]).state).toBe(s);
    expect(applyAvailable(s, "getAvailableShootMode", [1, "still"]).state).toBe(s);
    expect(applyAvailable(s, "getAvailableExposureCompensation", ["0", 6, -6]).state).toBe(s);
    expect(applyAvailable(s, "getAvailableWhiteBalance", [null, [{ mode: "x" }]]).state).toBe(s);
  });

  it("stores null for empty candidates (mode-dial bodies) and reports what changed", () => {
    const out = applyAvailable(QX100_STATE, "getAvailableExposureMode", ["Program Auto", []]);
    expect(out.changed).toEqual(["exposure_mode", "exposure_modes"]);
    expect(out.state.exposure_mode).toBe("Program Auto");
    expect(out.state.exposure_modes).toBeNull();
  });

  it("reads getStorageInformation", () => {
    const out = applyAvailable(initialCameraState(), "getStorageInformation", [
      [
        {
          storageID: "Memory Card 1",
          recordTarget: true,
          numberOfRecordableImages: 321,
          recordableTime: -1,
          storageDescription: "",
        },
      ],
    ]);
    expect(out.state.storage).toEqual({
      id: "Memory Card 1",
      recordable_images: 321,
      recordable_time: null,
    });
  });
});

describe("still size strings", () => {
  it("round-trips aspect and size", () => {
    expect(formatStillSize("16:9", "13M")).toBe("16:9 13M");
    expect(parseStillSize("16:9 13M")).toEqual({ aspect: "16:9", size: "13M" });
    expect(parseStillSize(" 4:3 18M ")).toEqual({ aspect: "4:3", size: "18M" });
    expect(parseStillSize("18M")).toBeNull();
    expect(parseStillSize("")).toBeNull();
  });
});

describe("event versions", () => {
  it("chooses the highest understood version", () => {
    expect(chooseEventVersion(null)).toBe("1.0");
    expect(chooseEventVersion([])).toBe("1.0");
    expect(chooseEventVersion(["1.0", "1.1"])).toBe("1.1"); // QX10/QX100
    expect(chooseEventVersion(["1.0", "1.1", "1.2", "1.3", "1.4"])).toBe("1.3"); // A5000
    expect(chooseEventVersion(["1.2", "1.0"])).toBe("1.2");
    expect(chooseEventVersion(["2.0"])).toBe("1.0");
  });

  it("steps down one version at a time", () => {
    expect(lowerEventVersion("1.3")).toBe("1.2");
    expect(lowerEventVersion("1.1")).toBe("1.0");
    expect(lowerEventVersion("1.0")).toBeNull();
    expect(isEventVersion("1.2")).toBe(true);
    expect(isEventVersion("1.4")).toBe(false);
  });

  it("reads a getVersions reply", () => {
    expect(parseVersionsResult([["1.0", "1.1"]])).toEqual(["1.0", "1.1"]);
    expect(parseVersionsResult([])).toBeNull();
    expect(parseVersionsResult([["1.0", 2]])).toBeNull();
  });
});
