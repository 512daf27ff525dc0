/**
 * Typed wrappers over the camera's JSON-RPC methods (camera-api.md §3.2–3.5, §3.7) for the QX10's
 * method set. They work over any {@link RpcCaller} (the real client or a test double), check the
 * shape of every result and turn a surprising answer into CAMERA_PROTOCOL naming the method.
 */
import { createHash } from "node:crypto";
import { BridgeError, CameraErrorCode, isCameraCode } from "../errors.js";
import { sleep } from "../util/abort.js";
import { type CallOptions, type CameraService, type RpcCaller } from "./types.js";

/** `getAvailableFoo` result: the current value and what can be set now (camera-api.md §3.2). */
export interface Available<T> {
  current: T;
  candidates: T[];
}

/** Still image size (camera-api.md §3.3 setStillSize), e.g. `{aspect: "4:3", size: "18M"}`. */
export interface StillSize {
  aspect: string;
  size: string;
}

/**
 * `getAvailableExposureCompensation` → `[current, upper, lower, step]` as indices; step 1 = 1/3 EV,
 * 2 = 1/2 EV (QX10: `[0, 6, -6, 1]` = ±2 EV in 1/3 steps).
 */
export interface ExposureCompensationRange {
  current: number;
  upper: number;
  lower: number;
  step: number;
}

/** `getSupportedExposureCompensation` → `[[upper…],[lower…],[step…]]` (one entry per step size). */
export interface SupportedExposureCompensation {
  upper: number[];
  lower: number[];
  step: number[];
}

/** The current white balance (`getWhiteBalance`); `colorTemperature` is -1 when not used. */
export interface WhiteBalance {
  whiteBalanceMode: string;
  colorTemperature: number;
}

/**
 * A white-balance candidate; `colorTemperatureRange` is `[max, min, step]` in K for
 * "Color Temperature", else `[]` (all QX10 modes).
 */
export interface WhiteBalanceCandidate {
  whiteBalanceMode: string;
  colorTemperatureRange: number[];
}

/** `getAvailableWhiteBalance`: the current setting and the modes settable now. */
export interface AvailableWhiteBalance {
  current: WhiteBalance;
  candidates: WhiteBalanceCandidate[];
}

/** `setTouchAFPosition` outcome (the camera's `{"AFResult", "AFType"}`). */
export interface TouchAfResult {
  /** True when focus was achieved. */
  afResult: boolean;
  /** "Touch" or "Wide". */
  afType: string;
}

/** `getTouchAFPosition` result. */
export interface TouchAfPosition {
  /** Whether a touch-AF position is set. */
  set: boolean;
  /** Reserved by the API (always `[]` on real cameras). */
  touchCoordinates: number[];
}

/** One storage of `getStorageInformation` (numbers/booleans even where REF240 says strings). */
export interface StorageInformation {
  /** "Memory Card 1", or "No Media". */
  storageId: string;
  recordTarget: boolean;
  /** -1 when not applicable. */
  numberOfRecordableImages: number;
  /** Minutes; -1 when not applicable. */
  recordableTime: number;
  storageDescription: string;
}

/** `getApplicationInfo` → `[name, apiVersion]`, e.g. "Smart Remote Control", "2.0.0". */
export interface ApplicationInfo {
  name: string;
  version: string;
}

/** One `getMethodTypes` entry `[name, paramTypes, resultTypes, version]` (REF240 p.254). */
export interface MethodType {
  name: string;
  params: string[];
  results: string[];
  version: string;
}

/** Options of {@link CameraApi.takePicture}. */
export interface TakePictureOptions {
  /** Aborts the wait (code `ABORTED`); a shot already triggered is not undone. */
  signal?: AbortSignal;
  /** Overall deadline for act + await calls, ms. Default 60 000. */
  deadlineMs?: number;
  /**
   * Pause after an immediate 40403 before the next awaitTakePicture, ms (default 100). The camera
   * normally blocks up to 15 s before answering 40403; this only keeps a misbehaving one from
   * making us spin.
   */
  retryDelayMs?: number;
}

/** Options of {@link CameraApi.actEnableMethods}. */
export interface EnableMethodsOptions extends CallOptions {
  /** Colon-separated `service/method` list to unlock. Default {@link ENABLE_METHODS_LIST}. */
  methods?: string;
}

/** Default `takePicture` deadline, ms. */
export const DEFAULT_TAKE_PICTURE_DEADLINE_MS = 60_000;

/**
 * Key of the actEnableMethods signature: `sg = base64(sha256(KEY + dg))` (camera-api.md §3.5,
 * ERIK/TRIDGE; tested on a QX10).
 */
export const ENABLE_METHODS_KEY =
  "90adc8515a40558968fe8318b5b023fdd48d3828a2dda8905f3b93a3cd8e58dc";

/** developerName sent with the signed actEnableMethods call (camera-api.md §3.5). */
export const ENABLE_METHODS_DEVELOPER_NAME = "Sony Corporation";

/** developerID sent with the signed actEnableMethods call (camera-api.md §3.5). */
export const ENABLE_METHODS_DEVELOPER_ID = "7DED695E-75AC-4ea9-8A85-E5F8CA0AF2F3";

/** The method list ERIK's QX10 transcript unlocks (camera-api.md §3.5), colon-separated. */
export const ENABLE_METHODS_LIST = [
  ...["FlashMode", "ExposureCompensation", "SteadyMode", "ViewAngle", "MovieQuality"].flatMap(
    family4,
  ),
  ...["FocusMode", "StillSize", "BeepMode", "CameraFunction", "LiveviewSize"].flatMap(family4),
  "camera/setTouchAFPosition",
  "camera/getTouchAFPosition",
  "camera/cancelTouchAFPosition",
  ...["FNumber", "ShutterSpeed", "IsoSpeedRate", "ExposureMode", "WhiteBalance"].flatMap(family4),
  "camera/setProgramShift",
  "camera/getSupportedProgramShift",
  "camera/getStorageInformation",
  "camera/startLiveviewWithSize",
  "camera/startIntervalStillRec",
  "camera/stopIntervalStillRec",
  "camera/actFormatStorage",
  "system/setCurrentTime",
].join(":");

function family4(name: string): string[] {
  return [
    `camera/set${name}`,
    `camera/get${name}`,
    `camera/getSupported${name}`,
    `camera/getAvailable${name}`,
  ];
}

/** `sg` of the second actEnableMethods call: base64(sha256(KEY + dg)) (camera-api.md §3.5). */
export function enableMethodsSignature(dg: string, key: string = ENABLE_METHODS_KEY): string {
  return createHash("sha256")
    .update(key + dg, "utf8")
    .digest("base64");
}

/** `dateTime` for system/setCurrentTime: UTC, `YYYY-MM-DDTHH:mm:SSZ`, no fraction (REF240 p.227). */
export function formatCameraDateTime(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

// ---- result shape checks ----------------------------------------------------------------------

type Guard<T> = (value: unknown) => value is T;

const isString: Guard<string> = (v): v is string => typeof v === "string";
const isInt: Guard<number> = (v): v is number => typeof v === "number" && Number.isInteger(v);
const isBool: Guard<boolean> = (v): v is boolean => typeof v === "boolean";

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isArrayOf<T>(guard: Guard<T>): Guard<T[]> {
  return (v): v is T[] => Array.isArray(v) && v.every(guard);
}

const isStillSize: Guard<StillSize> = (v): v is StillSize =>
  isRecord(v) && isString(v["aspect"]) && isString(v["size"]);

function protocolError(method: string, expected: string, result: unknown): BridgeError {
  let preview: string;
  try {
    preview = JSON.stringify(result).slice(0, 300);
  } catch {
    preview = String(result);
  }
  return new BridgeError("CAMERA_PROTOCOL", `${method}: expected ${expected}, got ${preview}`, {
    context: { method },
  });
}

/** A number the camera may send as a number or a numeric string (REF240 vs real data). */
function toNumber(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

function toBool(v: unknown): boolean | undefined {
  if (typeof v === "boolean") return v;
  if (v === "true") return true;
  if (v === "false") return false;
  return undefined;
}

function whiteBalanceOf(method: string, v: unknown): WhiteBalance {
  if (!isRecord(v) || !isString(v["whiteBalanceMode"])) {
    throw protocolError(method, "{whiteBalanceMode, colorTemperature}", v);
  }
  const t = v["colorTemperature"];
  if (t !== undefined && !isInt(t)) throw protocolError(method, "an int colorTemperature", v);
  return { whiteBalanceMode: v["whiteBalanceMode"], colorTemperature: t ?? -1 };
}

function whiteBalanceCandidateOf(method: string, v: unknown): WhiteBalanceCandidate {
  if (!isRecord(v) || !isString(v["whiteBalanceMode"])) {
    throw protocolError(method, "{whiteBalanceMode, colorTemperatureRange}", v);
  }
  const range = v["colorTemperatureRange"] ?? [];
  if (!isArrayOf(isInt)(range)) throw protocolError(method, "an int[] colorTemperatureRange", v);
  return { whiteBalanceMode: v["whiteBalanceMode"], colorTemperatureRange: range };
}

function storageOf(method: string, v: unknown): StorageInformation {
  if (!isRecord(v)) throw protocolError(method, "a storage object", v);
  const storageId = v["storageID"];
  const recordTarget = toBool(v["recordTarget"]);
  const images = toNumber(v["numberOfRecordableImages"]);
  const time = toNumber(v["recordableTime"]);
  const description = v["storageDescription"] ?? "";
  if (
    !isString(storageId) ||
    recordTarget === undefined ||
    images === undefined ||
    time === undefined ||
    !isString(description)
  ) {
    throw protocolError(method, "a storage object", v);
  }
  return {
    storageId,
    recordTarget,
    numberOfRecordableImages: images,
    recordableTime: time,
    storageDescription: description,
  };
}

/**
 * The typed camera API. Every method takes the usual {@link CallOptions} last (signal, timeoutMs)
 * and throws what {@link RpcCaller.call} throws, plus CAMERA_PROTOCOL when the result has an
 * unexpected shape.
 */
export class CameraApi {
  constructor(private readonly rpc: RpcCaller) {}

  // ---- generic helpers ----

  /** Calls a method and returns its raw result array. */
  private call(
    method: string,
    params: readonly unknown[] = [],
    options: CallOptions = {},
    service: CameraService = "camera",
    version = "1.0",
  ): Promise<unknown[]> {
    return this.rpc.call(service, method, params, version, options);
  }

  /** A setter/action answering `[0]` or `[]` (camera-api.md §3.2: `[0]`; object setters `[]`). */
  private async callVoid(
    method: string,
    params: readonly unknown[] = [],
    options: CallOptions = {},
    service: CameraService = "camera",
  ): Promise<void> {
    const result = await this.call(method, params, options, service);
    if (result.length === 0 || (result.length === 1 && result[0] === 0)) return;
    throw protocolError(method, "[0] or []", result);
  }

  private async getOne<T>(
    method: string,
    guard: Guard<T>,
    expected: string,
    options: CallOptions,
  ): Promise<T> {
    const result = await this.call(method, [], options);
    const value = result[0];
    if (result.length < 1 || !guard(value)) throw protocolError(method, `[${expected}]`, result);
    return value;
  }

  private async getAvailable<T>(
    method: string,
    guard: Guard<T>,
    expected: string,
    options: CallOptions,
  ): Promise<Available<T>> {
    const result = await this.call(method, [], options);
    const [current, candidates] = result;
    if (!guard(current) || !isArrayOf(guard)(candidates)) {
      throw protocolError(method, `[${expected}, ${expected}[]]`, result);
    }
    return { current, candidates };
  }

  private async getSupported<T>(
    method: string,
    guard: Guard<T>,
    expected: string,
    options: CallOptions,
  ): Promise<T[]> {
    const result = await this.call(method, [], options);
    const candidates = result[0];
    if (!isArrayOf(guard)(candidates)) throw protocolError(method, `[${expected}[]]`, result);
    return candidates;
  }

  // ---- server information ----

  /** `getVersions` of a service → e.g. `["1.0", "1.1"]`. */
  async getVersions(
    service: CameraService = "camera",
    options: CallOptions = {},
  ): Promise<string[]> {
    const result = await this.call("getVersions", [], options, service);
    const versions = result[0];
    if (!isArrayOf(isString)(versions)) throw protocolError("getVersions", "[string[]]", result);
    return versions;
  }

  /**
   * `getMethodTypes(version)` (answers with `results`, which the client accepts).
   * @param version - the API version to list, or "" for all versions
   */
  async getMethodTypes(
    version = "1.0",
    service: CameraService = "camera",
    options: CallOptions = {},
  ): Promise<MethodType[]> {
    const result = await this.call("getMethodTypes", [version], options, service);
    return result.map((entry) => {
      if (
        !Array.isArray(entry) ||
        !isString(entry[0]) ||
        !isArrayOf(isString)(entry[1]) ||
        !isArrayOf(isString)(entry[2]) ||
        !isString(entry[3])
      ) {
        throw protocolError("getMethodTypes", "[name, string[], string[], version] entries", entry);
      }
      return { name: entry[0], params: entry[1], results: entry[2], version: entry[3] };
    });
  }

  /** Names of the camera-service APIs callable now (changes with the camera's state). */
  getAvailableApiList(options: CallOptions = {}): Promise<string[]> {
    return this.getOne("getAvailableApiList", isArrayOf(isString), "string[]", options);
  }

  /** `getApplicationInfo` → server name and API version. */
  async getApplicationInfo(options: CallOptions = {}): Promise<ApplicationInfo> {
    const result = await this.call("getApplicationInfo", [], options);
    const [name, version] = result;
    if (!isString(name) || !isString(version)) {
      throw protocolError("getApplicationInfo", "[name, version]", result);
    }
    return { name, version };
  }

  /**
   * `getEvent` (camera-api.md §4): `poll` false = snapshot now, true = long poll (the client gives it
   * a longer default timeout). Returns the raw slot array for the event normalizer.
   * @param version - "1.0" or "1.1" on QX10
   */
  getEvent(poll: boolean, version = "1.0", options: CallOptions = {}): Promise<unknown[]> {
    return this.rpc.call("camera", "getEvent", [poll], version, options);
  }

  /** `startRecMode` (needed only when listed in getAvailableApiList; camera-api.md §6.1). */
  startRecMode(options: CallOptions = {}): Promise<void> {
    return this.callVoid("startRecMode", [], options);
  }

  /** `stopRecMode`. */
  stopRecMode(options: CallOptions = {}): Promise<void> {
    return this.callVoid("stopRecMode", [], options);
  }

  // ---- shoot mode ----

  /** `setShootMode("still" | "movie" | …)`. */
  setShootMode(mode: string, options: CallOptions = {}): Promise<void> {
    return this.callVoid("setShootMode", [mode], options);
  }
  /** `getShootMode` → e.g. "still". */
  getShootMode(options: CallOptions = {}): Promise<string> {
    return this.getOne("getShootMode", isString, "string", options);
  }
  /** `getAvailableShootMode` → QX10 `{current: "still", candidates: ["still","movie"]}`. */
  getAvailableShootMode(options: CallOptions = {}): Promise<Available<string>> {
    return this.getAvailable("getAvailableShootMode", isString, "string", options);
  }
  /** `getSupportedShootMode`. */
  getSupportedShootMode(options: CallOptions = {}): Promise<string[]> {
    return this.getSupported("getSupportedShootMode", isString, "string", options);
  }

  // ---- self-timer (int seconds: 0, 2, 10) ----

  /** `setSelfTimer(seconds)`. */
  setSelfTimer(seconds: number, options: CallOptions = {}): Promise<void> {
    return this.callVoid("setSelfTimer", [seconds], options);
  }
  /** `getSelfTimer` → seconds. */
  getSelfTimer(options: CallOptions = {}): Promise<number> {
    return this.getOne("getSelfTimer", isInt, "int", options);
  }
  /** `getAvailableSelfTimer` → QX10 `{current: 0, candidates: [0, 2, 10]}`. */
  getAvailableSelfTimer(options: CallOptions = {}): Promise<Available<number>> {
    return this.getAvailable("getAvailableSelfTimer", isInt, "int", options);
  }
  /** `getSupportedSelfTimer`. */
  getSupportedSelfTimer(options: CallOptions = {}): Promise<number[]> {
    return this.getSupported("getSupportedSelfTimer", isInt, "int", options);
  }

  // ---- postview image size ("2M" | "Original") ----

  /** `setPostviewImageSize`. */
  setPostviewImageSize(size: string, options: CallOptions = {}): Promise<void> {
    return this.callVoid("setPostviewImageSize", [size], options);
  }
  /** `getPostviewImageSize`. */
  getPostviewImageSize(options: CallOptions = {}): Promise<string> {
    return this.getOne("getPostviewImageSize", isString, "string", options);
  }
  /** `getAvailablePostviewImageSize`. */
  getAvailablePostviewImageSize(options: CallOptions = {}): Promise<Available<string>> {
    return this.getAvailable("getAvailablePostviewImageSize", isString, "string", options);
  }
  /** `getSupportedPostviewImageSize`. */
  getSupportedPostviewImageSize(options: CallOptions = {}): Promise<string[]> {
    return this.getSupported("getSupportedPostviewImageSize", isString, "string", options);
  }

  // ---- exposure mode ----

  /** `setExposureMode("Intelligent Auto" | "Superior Auto" | "Program Auto" | …)`. */
  setExposureMode(mode: string, options: CallOptions = {}): Promise<void> {
    return this.callVoid("setExposureMode", [mode], options);
  }
  /** `getExposureMode`. */
  getExposureMode(options: CallOptions = {}): Promise<string> {
    return this.getOne("getExposureMode", isString, "string", options);
  }
  /** `getAvailableExposureMode` (empty candidates on mode-dial bodies). */
  getAvailableExposureMode(options: CallOptions = {}): Promise<Available<string>> {
    return this.getAvailable("getAvailableExposureMode", isString, "string", options);
  }
  /** `getSupportedExposureMode`. */
  getSupportedExposureMode(options: CallOptions = {}): Promise<string[]> {
    return this.getSupported("getSupportedExposureMode", isString, "string", options);
  }

  // ---- beep mode ----

  /** `setBeepMode("On" | "Off" | "Shutter Only" | …)`. */
  setBeepMode(mode: string, options: CallOptions = {}): Promise<void> {
    return this.callVoid("setBeepMode", [mode], options);
  }
  /** `getBeepMode`. */
  getBeepMode(options: CallOptions = {}): Promise<string> {
    return this.getOne("getBeepMode", isString, "string", options);
  }
  /** `getAvailableBeepMode`. */
  getAvailableBeepMode(options: CallOptions = {}): Promise<Available<string>> {
    return this.getAvailable("getAvailableBeepMode", isString, "string", options);
  }
  /** `getSupportedBeepMode`. */
  getSupportedBeepMode(options: CallOptions = {}): Promise<string[]> {
    return this.getSupported("getSupportedBeepMode", isString, "string", options);
  }

  // ---- still size (params `[aspect, size]`, results objects) ----

  /** `setStillSize(aspect, size)`, e.g. `{aspect: "4:3", size: "18M"}`. */
  setStillSize(size: StillSize, options: CallOptions = {}): Promise<void> {
    return this.callVoid("setStillSize", [size.aspect, size.size], options);
  }
  /** `getStillSize`. */
  getStillSize(options: CallOptions = {}): Promise<StillSize> {
    return this.getOne("getStillSize", isStillSize, "{aspect, size}", options);
  }
  /** `getAvailableStillSize`. */
  getAvailableStillSize(options: CallOptions = {}): Promise<Available<StillSize>> {
    return this.getAvailable("getAvailableStillSize", isStillSize, "{aspect, size}", options);
  }
  /** `getSupportedStillSize`. */
  getSupportedStillSize(options: CallOptions = {}): Promise<StillSize[]> {
    return this.getSupported("getSupportedStillSize", isStillSize, "{aspect, size}", options);
  }

  // ---- exposure compensation (int index; QX10 only in Program Auto) ----

  /** `setExposureCompensation(index)`; index × step = EV (step 1 = 1/3 EV). */
  setExposureCompensation(index: number, options: CallOptions = {}): Promise<void> {
    return this.callVoid("setExposureCompensation", [index], options);
  }
  /** `getExposureCompensation` → index. */
  getExposureCompensation(options: CallOptions = {}): Promise<number> {
    return this.getOne("getExposureCompensation", isInt, "int", options);
  }
  /** `getAvailableExposureCompensation` → `[current, upper, lower, step]`. */
  async getAvailableExposureCompensation(
    options: CallOptions = {},
  ): Promise<ExposureCompensationRange> {
    const method = "getAvailableExposureCompensation";
    const result = await this.call(method, [], options);
    const [current, upper, lower, step] = result;
    if (!isInt(current) || !isInt(upper) || !isInt(lower) || !isInt(step)) {
      throw protocolError(method, "[current, upper, lower, step]", result);
    }
    return { current, upper, lower, step };
  }
  /** `getSupportedExposureCompensation` → `[[upper…],[lower…],[step…]]`. */
  async getSupportedExposureCompensation(
    options: CallOptions = {},
  ): Promise<SupportedExposureCompensation> {
    const method = "getSupportedExposureCompensation";
    const result = await this.call(method, [], options);
    const [upper, lower, step] = result;
    const ints = isArrayOf(isInt);
    if (!ints(upper) || !ints(lower) || !ints(step)) {
      throw protocolError(method, "[int[], int[], int[]]", result);
    }
    return { upper, lower, step };
  }

  // ---- ISO ("AUTO", "100", …; strings) ----

  /** `setIsoSpeedRate("AUTO" | "100" | …)`. */
  setIsoSpeedRate(iso: string, options: CallOptions = {}): Promise<void> {
    return this.callVoid("setIsoSpeedRate", [iso], options);
  }
  /** `getIsoSpeedRate`. */
  getIsoSpeedRate(options: CallOptions = {}): Promise<string> {
    return this.getOne("getIsoSpeedRate", isString, "string", options);
  }
  /** `getAvailableIsoSpeedRate`. */
  getAvailableIsoSpeedRate(options: CallOptions = {}): Promise<Available<string>> {
    return this.getAvailable("getAvailableIsoSpeedRate", isString, "string", options);
  }
  /** `getSupportedIsoSpeedRate`. */
  getSupportedIsoSpeedRate(options: CallOptions = {}): Promise<string[]> {
    return this.getSupported("getSupportedIsoSpeedRate", isString, "string", options);
  }

  // ---- white balance ----

  /**
   * `setWhiteBalance([mode, colorTempEnabled, colorTemp])`. Pass `colorTemperature` (K) only for
   * "Color Temperature"; otherwise the camera gets `[mode, false, -1]`.
   */
  setWhiteBalance(
    mode: string,
    colorTemperature?: number,
    options: CallOptions = {},
  ): Promise<void> {
    const params =
      colorTemperature === undefined ? [mode, false, -1] : [mode, true, colorTemperature];
    return this.callVoid("setWhiteBalance", params, options);
  }
  /** `getWhiteBalance` → `{whiteBalanceMode, colorTemperature}`. */
  async getWhiteBalance(options: CallOptions = {}): Promise<WhiteBalance> {
    const result = await this.call("getWhiteBalance", [], options);
    return whiteBalanceOf("getWhiteBalance", result[0]);
  }
  /** `getAvailableWhiteBalance` → current + candidates with their colour-temperature ranges. */
  async getAvailableWhiteBalance(options: CallOptions = {}): Promise<AvailableWhiteBalance> {
    const method = "getAvailableWhiteBalance";
    const result = await this.call(method, [], options);
    const [current, candidates] = result;
    if (!Array.isArray(candidates))
      throw protocolError(method, "[{current}, [candidates]]", result);
    return {
      current: whiteBalanceOf(method, current),
      candidates: candidates.map((c) => whiteBalanceCandidateOf(method, c)),
    };
  }
  /**
   * `getSupportedWhiteBalance` → candidates. The real QX10 answers `[[candidates]]`; REF240 shows
   * `[{current}, [candidates]]`: both are accepted.
   */
  async getSupportedWhiteBalance(options: CallOptions = {}): Promise<WhiteBalanceCandidate[]> {
    const method = "getSupportedWhiteBalance";
    const result = await this.call(method, [], options);
    const list = result.length >= 2 ? result[1] : result[0];
    if (!Array.isArray(list)) throw protocolError(method, "[[candidates]]", result);
    return list.map((c) => whiteBalanceCandidateOf(method, c));
  }

  // ---- liveview ----

  /** `startLiveview` → the liveview stream URL (camera-api.md §5.1). */
  startLiveview(options: CallOptions = {}): Promise<string> {
    return this.getOneFrom("startLiveview", options);
  }
  /** `stopLiveview` (the old URL must not be used afterwards). */
  stopLiveview(options: CallOptions = {}): Promise<void> {
    return this.callVoid("stopLiveview", [], options);
  }

  private async getOneFrom(method: string, options: CallOptions): Promise<string> {
    const result = await this.call(method, [], options);
    const url = result[0];
    if (!isString(url) || url === "") throw protocolError(method, "[url]", result);
    return url;
  }

  // ---- capture ----

  /**
   * `actTakePicture` → postview URL(s). May fail with CAMERA_RPC 40403 (still capturing): then call
   * {@link CameraApi.awaitTakePicture}, or use {@link CameraApi.takePicture} which does it.
   */
  actTakePicture(options: CallOptions = {}): Promise<string[]> {
    return this.pictureUrls("actTakePicture", options);
  }
  /** `awaitTakePicture` → postview URL(s) of the capture in progress; may again fail 40403. */
  awaitTakePicture(options: CallOptions = {}): Promise<string[]> {
    return this.pictureUrls("awaitTakePicture", options);
  }

  private async pictureUrls(method: string, options: CallOptions): Promise<string[]> {
    const result = await this.call(method, [], options);
    const urls = result[0];
    if (!isArrayOf(isString)(urls) || urls.length === 0) {
      throw protocolError(method, "[[url, …]]", result);
    }
    return urls;
  }

  /**
   * Takes one picture and returns its postview URL(s) (camera-api.md §6.3): actTakePicture once,
   * then — only on camera error 40403 — awaitTakePicture until URLs arrive (each may again answer
   * 40403). actTakePicture is never repeated, so there is never a second shot.
   * @throws BridgeError CAMERA_TIMEOUT when `deadlineMs` (default 60 s) passes; ABORTED; any other
   *   camera error of the calls as is (e.g. CAMERA_RPC 40400 shooting failed, 40402 superseded)
   */
  async takePicture(options: TakePictureOptions = {}): Promise<string[]> {
    const deadlineMs = options.deadlineMs ?? DEFAULT_TAKE_PICTURE_DEADLINE_MS;
    const retryDelayMs = options.retryDelayMs ?? 100;
    const { signal } = options;
    const started = Date.now();
    const remaining = (): number => deadlineMs - (Date.now() - started);
    // Each call may use what is left of the deadline (long exposures block for tens of seconds).
    const callOptions = (): CallOptions => {
      const timeoutMs = Math.max(1, remaining());
      return signal === undefined ? { timeoutMs } : { signal, timeoutMs };
    };
    const deadlineError = (cause?: unknown): BridgeError =>
      new BridgeError("CAMERA_TIMEOUT", `takePicture: no picture within ${deadlineMs} ms`, {
        cause,
      });

    try {
      return await this.actTakePicture(callOptions());
    } catch (e) {
      if (!isCameraCode(e, CameraErrorCode.STILL_CAPTURING_NOT_FINISHED)) throw e;
    }
    for (;;) {
      if (remaining() <= 0) throw deadlineError();
      try {
        return await this.awaitTakePicture(callOptions());
      } catch (e) {
        if (!isCameraCode(e, CameraErrorCode.STILL_CAPTURING_NOT_FINISHED)) throw e;
      }
      const pause = Math.min(retryDelayMs, remaining());
      if (pause > 0) await sleep(pause, signal);
    }
  }

  // ---- movie ----

  /** `startMovieRec` (shoot mode must be "movie"). */
  startMovieRec(options: CallOptions = {}): Promise<void> {
    return this.callVoid("startMovieRec", [], options);
  }
  /** `stopMovieRec` (result `[""]`, reserved; ignored). */
  async stopMovieRec(options: CallOptions = {}): Promise<void> {
    await this.call("stopMovieRec", [], options);
  }

  // ---- zoom, focus ----

  /**
   * `actZoom(direction, movement)`. A "stop" must name the direction of the last "start"
   * (camera-api.md §6.14); "1shot" is one step.
   */
  actZoom(
    direction: "in" | "out",
    movement: "start" | "stop" | "1shot",
    options: CallOptions = {},
  ): Promise<void> {
    return this.callVoid("actZoom", [direction, movement], options);
  }
  /** `actHalfPressShutter` (AF/AE; the outcome arrives as getEvent focusStatus). */
  actHalfPressShutter(options: CallOptions = {}): Promise<void> {
    return this.callVoid("actHalfPressShutter", [], options);
  }
  /** `cancelHalfPressShutter`. */
  cancelHalfPressShutter(options: CallOptions = {}): Promise<void> {
    return this.callVoid("cancelHalfPressShutter", [], options);
  }

  /**
   * `setTouchAFPosition(x, y)`: percentages (doubles) of the liveview, origin top-left. May fail
   * with CAMERA_RPC 2 (timeout) while the camera keeps focusing (camera-api.md §3.3).
   */
  async setTouchAFPosition(
    x: number,
    y: number,
    options: CallOptions = {},
  ): Promise<TouchAfResult> {
    const method = "setTouchAFPosition";
    const result = await this.call(method, [x, y], options);
    const outcome = result[1];
    if (!isRecord(outcome) || !isBool(outcome["AFResult"]) || !isString(outcome["AFType"])) {
      throw protocolError(method, '[0, {"AFResult": bool, "AFType": string}]', result);
    }
    return { afResult: outcome["AFResult"], afType: outcome["AFType"] };
  }
  /** `getTouchAFPosition`. */
  async getTouchAFPosition(options: CallOptions = {}): Promise<TouchAfPosition> {
    const method = "getTouchAFPosition";
    const result = await this.call(method, [], options);
    const value = result[0];
    if (!isRecord(value) || !isBool(value["set"])) {
      throw protocolError(method, '[{"set": bool, "touchCoordinates": []}]', result);
    }
    const coordinates = value["touchCoordinates"] ?? [];
    if (!isArrayOf((v): v is number => typeof v === "number")(coordinates)) {
      throw protocolError(method, "number[] touchCoordinates", result);
    }
    return { set: value["set"], touchCoordinates: coordinates };
  }
  /** `cancelTouchAFPosition`. */
  cancelTouchAFPosition(options: CallOptions = {}): Promise<void> {
    return this.callVoid("cancelTouchAFPosition", [], options);
  }

  // ---- storage, time ----

  /** `getStorageInformation` → one entry per storage. */
  async getStorageInformation(options: CallOptions = {}): Promise<StorageInformation[]> {
    const method = "getStorageInformation";
    const result = await this.call(method, [], options);
    const list = result[0];
    if (!Array.isArray(list)) throw protocolError(method, "[[storage, …]]", result);
    return list.map((s) => storageOf(method, s));
  }

  /**
   * `system/setCurrentTime` (camera-api.md §3.7): UTC `dateTime` plus offsets in minutes.
   * @param date - default now
   */
  setCurrentTime(
    date: Date = new Date(),
    timeZoneOffsetMinute = 0,
    dstOffsetMinute = 0,
    options: CallOptions = {},
  ): Promise<void> {
    const params = [
      { dateTime: formatCameraDateTime(date), timeZoneOffsetMinute, dstOffsetMinute },
    ];
    return this.callVoid("setCurrentTime", params, options, "system");
  }

  // ---- private-method unlock ----

  /**
   * Unlocks the private methods (QX10: getAvailableCameraFunction etc. answer HTTP 403 before) with
   * the two-step accessControl/actEnableMethods handshake (camera-api.md §3.5): an empty call
   * returns a nonce `dg`; the second call sends `sg = base64(sha256(KEY + dg))`.
   * @throws BridgeError as {@link RpcCaller.call}; CAMERA_PROTOCOL when no `dg` comes back
   */
  async actEnableMethods(options: EnableMethodsOptions = {}): Promise<void> {
    const { methods = ENABLE_METHODS_LIST, ...callOptions } = options;
    const method = "actEnableMethods";
    const first = await this.call(
      method,
      [{ developerName: "", sg: "", methods: "", developerID: "" }],
      callOptions,
      "accessControl",
    );
    const nonce = first[0];
    if (!isRecord(nonce) || !isString(nonce["dg"])) {
      throw protocolError(method, '[{"dg": string}]', first);
    }
    const second = await this.call(
      method,
      [
        {
          developerName: ENABLE_METHODS_DEVELOPER_NAME,
          sg: enableMethodsSignature(nonce["dg"]),
          methods,
          developerID: ENABLE_METHODS_DEVELOPER_ID,
        },
      ],
      callOptions,
      "accessControl",
    );
    if (second.length > 0 && !isRecord(second[0])) {
      throw protocolError(method, '[{"dg": ""}]', second);
    }
  }
}
