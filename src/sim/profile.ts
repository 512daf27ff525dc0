/**
 * What the simulated cameras can do: the available-API lists per mode, candidates, defaults and
 * method types. Values are the facts recorded from real cameras (camera-api.md §3.3–3.4, the
 * pysony QX10 dumps and the QX100 getMethodTypes capture, TSAR); no I/O.
 */

/** Which camera the simulator imitates. */
export type SimModel = "qx10" | "smart-remote";

/** All simulator models, for option parsing. */
export const SIM_MODELS: readonly SimModel[] = ["qx10", "smart-remote"];

/** Shoot modes of the QX10 (getSupportedShootMode). */
export type ShootMode = "still" | "movie";

/**
 * QX10 getAvailableApiList, still / Intelligent Auto and Superior Auto (50 names, real order;
 * pysony doc/qx10_intellegent.txt, qx10_superior.txt).
 */
export const QX10_API_STILL_AUTO: readonly string[] = [
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
  "awaitTakePicture",
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
  "actFormatStorage",
  "getStorageInformation",
  "setTouchAFPosition",
  "cancelTouchAFPosition",
  "getTouchAFPosition",
  "getSupportedExposureCompensation",
  "getSupportedWhiteBalance",
  "getSupportedIsoSpeedRate",
  "actHalfPressShutter",
  "cancelHalfPressShutter",
  "getApplicationInfo",
  "getVersions",
  "getEvent",
];

/** QX10 getAvailableApiList, still / Program Auto (59 names, real order; qx10_program.txt). */
export const QX10_API_STILL_PROGRAM: readonly string[] = [
  ...QX10_API_STILL_AUTO.slice(0, 42),
  "setExposureCompensation",
  "getExposureCompensation",
  "getSupportedExposureCompensation",
  "getAvailableExposureCompensation",
  "setWhiteBalance",
  "getWhiteBalance",
  "getSupportedWhiteBalance",
  "getAvailableWhiteBalance",
  "setIsoSpeedRate",
  "getIsoSpeedRate",
  "getSupportedIsoSpeedRate",
  "getAvailableIsoSpeedRate",
  "actHalfPressShutter",
  "cancelHalfPressShutter",
  "getApplicationInfo",
  "getVersions",
  "getEvent",
];

/** QX10 getAvailableApiList in movie mode (33 names, real order; qx10_movie.txt). */
export const QX10_API_MOVIE: readonly string[] = [
  "getMethodTypes",
  "getAvailableApiList",
  "setShootMode",
  "getShootMode",
  "getSupportedShootMode",
  "getAvailableShootMode",
  "getSupportedSelfTimer",
  "getSupportedPostviewImageSize",
  "startLiveview",
  "stopLiveview",
  "actTakePicture",
  "startMovieRec",
  "stopMovieRec",
  "awaitTakePicture",
  "actZoom",
  "getSupportedExposureMode",
  "setBeepMode",
  "getBeepMode",
  "getSupportedBeepMode",
  "getAvailableBeepMode",
  "setCameraFunction",
  "getCameraFunction",
  "getSupportedCameraFunction",
  "getAvailableCameraFunction",
  "getSupportedStillSize",
  "actFormatStorage",
  "getStorageInformation",
  "getSupportedExposureCompensation",
  "getSupportedWhiteBalance",
  "getSupportedIsoSpeedRate",
  "getApplicationInfo",
  "getVersions",
  "getEvent",
];

/**
 * The list while the camera function is "Contents Transfer". No capture of this exists for the
 * QX10 (it switches to DLNA, ERIK); the simulator keeps only what lets a client switch back.
 */
export const QX10_API_CONTENTS_TRANSFER: readonly string[] = [
  "getMethodTypes",
  "getAvailableApiList",
  "setCameraFunction",
  "getCameraFunction",
  "getSupportedCameraFunction",
  "getAvailableCameraFunction",
  "getStorageInformation",
  "getApplicationInfo",
  "getVersions",
  "getEvent",
];

/**
 * Smart-Remote list before startRecMode (camera-api.md §6.1: shooting and liveview APIs only
 * appear after it). Order as the HX60 list begins (pysony doc/hx60_*.txt).
 */
export const SMART_REMOTE_API_BEFORE_REC_MODE: readonly string[] = [
  "getVersions",
  "getMethodTypes",
  "getApplicationInfo",
  "getAvailableApiList",
  "getEvent",
  "startRecMode",
];

/**
 * Methods of the QX10 that answer HTTP 403 until accessControl/actEnableMethods (camera-api.md
 * §3.4, §6.8; pysony dumps: getAvailableCameraFunction and getSupportedCameraFunction → 403).
 */
export const QX10_PRIVATE_METHODS: ReadonlySet<string> = new Set([
  "setCameraFunction",
  "getCameraFunction",
  "getSupportedCameraFunction",
  "getAvailableCameraFunction",
]);

/** A still size as the camera spells it. */
export interface StillSize {
  aspect: string;
  size: string;
}

/** A white-balance candidate as getAvailableWhiteBalance spells it. */
export interface WhiteBalanceCandidate {
  whiteBalanceMode: string;
  colorTemperatureRange: number[];
}

/** Candidates of the QX10 (pysony qx10_*.txt; getAvailable* order unless named Supported). */
export const QX10_CANDIDATES = {
  shootMode: ["still", "movie"],
  selfTimer: [0, 2, 10],
  postviewImageSize: ["2M", "Original"],
  exposureMode: ["Intelligent Auto", "Superior Auto", "Program Auto"],
  beepMode: ["Shutter Only", "On", "Off"],
  /** getSupportedBeepMode answers in another order than getAvailableBeepMode (qx10.txt). */
  supportedBeepMode: ["Off", "On", "Shutter Only"],
  cameraFunction: ["Remote Shooting", "Contents Transfer"],
  stillSize: [
    { aspect: "4:3", size: "18M" },
    { aspect: "4:3", size: "5M" },
    { aspect: "16:9", size: "13M" },
    { aspect: "16:9", size: "2M" },
  ] as StillSize[],
  supportedStillSize: [
    { aspect: "16:9", size: "13M" },
    { aspect: "16:9", size: "2M" },
    { aspect: "4:3", size: "18M" },
    { aspect: "4:3", size: "5M" },
  ] as StillSize[],
  /** getAvailableExposureCompensation → [current, max, min, step] (index units of 1/3 EV). */
  exposureCompensation: { max: 6, min: -6, step: 1 },
  /** getSupportedExposureCompensation, verbatim (qx10.txt): note the step list `[0]`. */
  supportedExposureCompensation: [[6], [-6], [0]],
  whiteBalance: [
    "Auto WB",
    "Daylight",
    "Cloudy",
    "Incandescent",
    "Fluorescent: Cool White (0)",
    "Fluorescent: Day White (+1)",
    "Fluorescent: Daylight (+2)",
  ].map((m): WhiteBalanceCandidate => ({ whiteBalanceMode: m, colorTemperatureRange: [] })),
  isoSpeedRate: ["AUTO", "100", "200", "400", "800", "1600", "3200"],
} as const;

/** The settings a freshly powered-on QX10 reports (the values in the pysony dumps). */
export interface CameraSettings {
  shootMode: ShootMode;
  selfTimer: number;
  postviewImageSize: string;
  exposureMode: string;
  beepMode: string;
  cameraFunction: string;
  stillSize: StillSize;
  exposureCompensation: number;
  whiteBalanceMode: string;
  colorTemperature: number;
  /** The program-auto dump reports "3200" as the current ISO; kept as the default. */
  isoSpeedRate: string;
}

/** Defaults of {@link CameraSettings}. */
export function defaultSettings(): CameraSettings {
  return {
    shootMode: "still",
    selfTimer: 0,
    postviewImageSize: "2M",
    exposureMode: "Intelligent Auto",
    beepMode: "On",
    cameraFunction: "Remote Shooting",
    stillSize: { aspect: "4:3", size: "18M" },
    exposureCompensation: 0,
    whiteBalanceMode: "Auto WB",
    colorTemperature: -1,
    isoSpeedRate: "3200",
  };
}

/** One getMethodTypes entry: `[name, paramTypes, resultTypes, version]` (REF240 p.254). */
export type MethodType = readonly [string, readonly string[], readonly string[], string];

const STILL_SIZE_T = '{"aspect":"string", "size":"string"}';
const STORAGE_T =
  '{"storageID":"string", "recordTarget":"bool", "numberOfRecordableImages":"int", "recordableTime":"int", "storageDescription":"string"}';

/** getEvent v1.0 result types, verbatim from the QX100 getMethodTypes capture (TSAR). */
const GET_EVENT_1_0_RESULT: readonly string[] = [
  '{"type":"string", "names":"string*"}',
  '{"type":"string", "cameraStatus":"string"}',
  '{"type":"string", "zoomPosition":"int", "zoomNumberBox":"int", "zoomIndexCurrentBox":"int", "zoomPositionCurrentBox":"int"}',
  '{"type":"string", "liveviewStatus":"bool"}',
  '{"type":"string", "liveviewOrientation":"string"}',
  '{"type":"string", "takePictureUrl":"string*"}*',
  '{"type":"string", "continuousError":"string", "isContinued":"bool"}*',
  '{"type":"string", "triggeredError":"string*"}',
  '{"type":"string", "sceneRecognition":"string", "steadyRecognition":"string", "motionRecognition":"string"}',
  '{"type":"string", "formatResult":"string"}',
  '{"type":"string", "storageID":"string", "recordTarget":"bool", "numberOfRecordableImages":"int", "recordableTime":"int", "storageDescription":"string"}*',
  '{"type":"string", "currentBeepMode":"string", "beepModeCandidates":"string*"}',
  '{"type":"string", "currentCameraFunction":"string", "cameraFunctionCandidates":"string*"}',
  '{"type":"string", "currentMovieQuality":"string", "movieQualityCandidates":"string*"}',
  '{"type":"string", "checkAvailability":"bool", "currentAspect":"string", "currentSize":"string"}',
  '{"type":"string", "cameraFunctionResult":"string"}',
  '{"type":"string", "currentSteadyMode":"string", "steadyModeCandidates":"string*"}',
  '{"type":"string", "currentViewAngle":"int", "viewAngleCandidates":"int*"}',
  '{"type":"string", "currentExposureMode":"string", "exposureModeCandidates":"string*"}',
  '{"type":"string", "currentPostviewImageSize":"string", "postviewImageSizeCandidates":"string*"}',
  '{"type":"string", "currentSelfTimer":"int", "selfTimerCandidates":"int*"}',
  '{"type":"string", "currentShootMode":"string", "shootModeCandidates":"string*"}',
  '{"type":"string", "currentAELock":"bool", "aeLockCandidates":"bool*"}',
  '{"type":"string", "checkAvailability":"bool", "currentBracketShootMode":"string", "currentBracketShootModeOption":"string"}',
  '{"type":"string", "checkAvailability":"bool", "currentCreativeStyle":"string", "currentCreativeStyleContrast":"int", "currentCreativeStyleSaturation":"int", "currentCreativeStyleSharpness":"int"}',
  '{"type":"string", "currentExposureCompensation":"int", "maxExposureCompensation":"int", "minExposureCompensation":"int", "stepIndexOfExposureCompensation":"int"}',
  '{"type":"string", "currentFlashMode":"string", "flashModeCandidates":"string*"}',
  '{"type":"string", "currentFNumber":"string", "fNumberCandidates":"string*"}',
  '{"type":"string", "currentFocusMode":"string", "focusModeCandidates":"string*"}',
  '{"type":"string", "currentIsoSpeedRate":"string", "isoSpeedRateCandidates":"string*"}',
  '{"type":"string", "checkAvailability":"bool", "currentPictureEffect":"string", "currentPictureEffectOption":"string"}',
  '{"type":"string", "isShifted":"bool"}',
  '{"type":"string", "currentShutterSpeed":"string", "shutterSpeedCandidates":"string*"}',
  '{"type":"string", "checkAvailability":"bool", "currentWhiteBalanceMode":"string", "currentColorTemperature":"int"}',
  '{"type":"string", "currentSet":"bool", "currentTouchCoordinates":"double*"}',
];

/**
 * Camera-service method types of the QX10. Entries shared with the QX100 are verbatim from its
 * capture (TSAR); awaitTakePicture, the half-press pair, the ISO family and getEvent v1.1 are
 * QX10-only and typed after REF240.
 */
export const QX10_CAMERA_METHOD_TYPES: readonly MethodType[] = [
  ["actFormatStorage", ["string"], ["int"], "1.0"],
  ["actHalfPressShutter", [], [], "1.0"],
  ["actTakePicture", [], ["string*"], "1.0"],
  ["actZoom", ["string", "string"], ["int"], "1.0"],
  ["awaitTakePicture", [], ["string*"], "1.0"],
  ["cancelHalfPressShutter", [], [], "1.0"],
  ["cancelTouchAFPosition", [], [], "1.0"],
  ["getApplicationInfo", [], ["string", "string"], "1.0"],
  ["getAvailableApiList", [], ["string*"], "1.0"],
  ["getAvailableBeepMode", [], ["string", "string*"], "1.0"],
  ["getAvailableCameraFunction", [], ["string", "string*"], "1.0"],
  ["getAvailableExposureCompensation", [], ["int", "int", "int", "int"], "1.0"],
  ["getAvailableExposureMode", [], ["string", "string*"], "1.0"],
  ["getAvailableIsoSpeedRate", [], ["string", "string*"], "1.0"],
  ["getAvailablePostviewImageSize", [], ["string", "string*"], "1.0"],
  ["getAvailableSelfTimer", [], ["int", "int*"], "1.0"],
  ["getAvailableShootMode", [], ["string", "string*"], "1.0"],
  ["getAvailableStillSize", [], [STILL_SIZE_T, `${STILL_SIZE_T}*`], "1.0"],
  [
    "getAvailableWhiteBalance",
    [],
    [
      '{"whiteBalanceMode":"string", "colorTemperature":"int"}',
      '{"whiteBalanceMode":"string", "colorTemperatureRange":"int*"}*',
    ],
    "1.0",
  ],
  ["getBeepMode", [], ["string"], "1.0"],
  ["getCameraFunction", [], ["string"], "1.0"],
  ["getEvent", ["bool"], GET_EVENT_1_0_RESULT, "1.0"],
  [
    "getEvent",
    ["bool"],
    [...GET_EVENT_1_0_RESULT, '{"type":"string", "focusStatus":"string"}'],
    "1.1",
  ],
  ["getExposureCompensation", [], ["int"], "1.0"],
  ["getExposureMode", [], ["string"], "1.0"],
  ["getIsoSpeedRate", [], ["string"], "1.0"],
  ["getMethodTypes", ["string"], ["string", "string*", "string*", "string"], "1.0"],
  ["getPostviewImageSize", [], ["string"], "1.0"],
  ["getSelfTimer", [], ["int"], "1.0"],
  ["getShootMode", [], ["string"], "1.0"],
  ["getStillSize", [], [STILL_SIZE_T], "1.0"],
  ["getStorageInformation", [], [`${STORAGE_T}*`], "1.0"],
  ["getSupportedBeepMode", [], ["string*"], "1.0"],
  ["getSupportedCameraFunction", [], ["string*"], "1.0"],
  ["getSupportedExposureCompensation", [], ["int*", "int*", "int*"], "1.0"],
  ["getSupportedExposureMode", [], ["string*"], "1.0"],
  ["getSupportedIsoSpeedRate", [], ["string*"], "1.0"],
  ["getSupportedPostviewImageSize", [], ["string*"], "1.0"],
  ["getSupportedSelfTimer", [], ["int*"], "1.0"],
  ["getSupportedShootMode", [], ["string*"], "1.0"],
  ["getSupportedStillSize", [], [`${STILL_SIZE_T}*`], "1.0"],
  [
    "getSupportedWhiteBalance",
    [],
    ['{"whiteBalanceMode":"string", "colorTemperatureRange":"int*"}*'],
    "1.0",
  ],
  ["getTouchAFPosition", [], ['{"set":"bool", "touchCoordinates":"double*"}'], "1.0"],
  ["getVersions", [], ["string*"], "1.0"],
  ["getWhiteBalance", [], ['{"whiteBalanceMode":"string", "colorTemperature":"int"}'], "1.0"],
  ["setBeepMode", ["string"], ["int"], "1.0"],
  ["setCameraFunction", ["string"], ["int"], "1.0"],
  ["setExposureCompensation", ["int"], ["int"], "1.0"],
  ["setExposureMode", ["string"], ["int"], "1.0"],
  ["setIsoSpeedRate", ["string"], ["int"], "1.0"],
  ["setPostviewImageSize", ["string"], ["int"], "1.0"],
  ["setSelfTimer", ["int"], ["int"], "1.0"],
  ["setShootMode", ["string"], ["int"], "1.0"],
  ["setStillSize", ["string", "string"], ["int"], "1.0"],
  [
    "setTouchAFPosition",
    ["double", "double"],
    ["int", '{"AFResult":"bool", "AFType":"string"}'],
    "1.0",
  ],
  ["setWhiteBalance", ["string", "bool", "int"], ["int"], "1.0"],
  ["startLiveview", [], ["string"], "1.0"],
  ["startMovieRec", [], ["int"], "1.0"],
  ["stopLiveview", [], ["int"], "1.0"],
  ["stopMovieRec", [], ["string"], "1.0"],
];

/** Extra camera-service methods of the Smart-Remote profile (REF240 p.188, getEvent v1.2). */
export const SMART_REMOTE_EXTRA_METHOD_TYPES: readonly MethodType[] = [
  ["startRecMode", [], ["int"], "1.0"],
  ["stopRecMode", [], ["int"], "1.0"],
  [
    "getEvent",
    ["bool"],
    [
      ...GET_EVENT_1_0_RESULT,
      '{"type":"string", "focusStatus":"string"}',
      ...Array.from({ length: 20 }, () => '{"type":"string"}'),
      '{"type":"string", "batteryInfo":"{\\"batteryID\\":\\"string\\", \\"status\\":\\"string\\", \\"additionalStatus\\":\\"string\\", \\"levelNumer\\":\\"int\\", \\"levelDenom\\":\\"int\\", \\"description\\":\\"string\\"}*"}',
      ...Array.from({ length: 3 }, () => '{"type":"string"}'),
    ],
    "1.2",
  ],
];

/** Method types of the non-camera services (REF240; QX100 types for getVersions/getMethodTypes). */
export const SERVICE_METHOD_TYPES: Readonly<Record<string, readonly MethodType[]>> = {
  guide: [
    ["getMethodTypes", ["string"], ["string", "string*", "string*", "string"], "1.0"],
    ["getServiceProtocols", [], ["string", "string*"], "1.0"],
    ["getVersions", [], ["string*"], "1.0"],
  ],
  system: [
    ["getMethodTypes", ["string"], ["string", "string*", "string*", "string"], "1.0"],
    ["getVersions", [], ["string*"], "1.0"],
    [
      "setCurrentTime",
      ['{"dateTime":"string", "timeZoneOffsetMinute":"int", "dstOffsetMinute":"int"}'],
      [],
      "1.0",
    ],
  ],
  accessControl: [
    [
      "actEnableMethods",
      ['{"developerName":"string", "sg":"string", "methods":"string", "developerID":"string"}'],
      ['{"dg":"string"}'],
      "1.0",
    ],
    ["getMethodTypes", ["string"], ["string", "string*", "string*", "string"], "1.0"],
    ["getVersions", [], ["string*"], "1.0"],
  ],
};

/**
 * The key the camera checks `sg` against (camera-api.md §3.5: sg = base64(sha256(KEY + dg)),
 * ERIK/TRIDGE).
 */
export const ACT_ENABLE_METHODS_KEY =
  "90adc8515a40558968fe8318b5b023fdd48d3828a2dda8905f3b93a3cd8e58dc";
