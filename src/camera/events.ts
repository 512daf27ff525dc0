/**
 * Pure getEvent normalizer (camera-api.md §4): the raw `result` array of getEvent v1.0–v1.3 in,
 * typed objects and the bridge's camera-state model out. No I/O, no timers.
 *
 * Two layers:
 * 1. {@link parseEventResult} turns the result array into {@link EventObjects}. Objects are found by
 *    their `type` string wherever they sit (§4.3: "identify objects by type, not only by index"), so
 *    a drifting index, extra trailing slots and unknown types are harmless. Every field is
 *    type-checked; a field of the wrong type is dropped as if the camera had not sent it.
 * 2. {@link applyEvent} folds those objects into a {@link CameraState} with the delta semantics of
 *    §4.3 (REF240): an absent/null object means "unchanged"; an empty string or empty array inside a
 *    present object means "the parameter is invalid now", stored as `null`.
 *
 * Field conventions of {@link EventObjects}: a property that is `undefined` (absent) means the camera
 * did not send it (or sent it with the wrong type) — keep the previous value; `null` means the camera
 * sent `""` or `[]` — the parameter is invalid now.
 */

/** getEvent versions this normalizer understands, lowest first (camera-api.md §4.1). */
export const EVENT_VERSIONS = ["1.0", "1.1", "1.2", "1.3"] as const;

/** One of {@link EVENT_VERSIONS}. */
export type EventVersion = (typeof EVENT_VERSIONS)[number];

/** A "current value + candidates" setting object (e.g. shootMode, isoSpeedRate, selfTimer). */
export interface EventSetting<T> {
  /** The current value; `null` = sent as `""` (invalid now). */
  current?: T | null;
  /** The candidates; `null` = sent as `[]` (invalid now / not selectable, e.g. mode-dial bodies). */
  candidates?: readonly T[] | null;
}

/**
 * Setting objects whose value and candidates are strings, with the camera's field names
 * (camera-api.md §4.2: `current<X>` / `<x>Candidates` up to v1.1, `<x>` / `candidate` from v1.2).
 */
const STRING_SETTINGS = {
  beepMode: ["currentBeepMode", "beepModeCandidates"],
  cameraFunction: ["currentCameraFunction", "cameraFunctionCandidates"],
  movieQuality: ["currentMovieQuality", "movieQualityCandidates"],
  steadyMode: ["currentSteadyMode", "steadyModeCandidates"],
  exposureMode: ["currentExposureMode", "exposureModeCandidates"],
  postviewImageSize: ["currentPostviewImageSize", "postviewImageSizeCandidates"],
  shootMode: ["currentShootMode", "shootModeCandidates"],
  flashMode: ["currentFlashMode", "flashModeCandidates"],
  fNumber: ["currentFNumber", "fNumberCandidates"],
  focusMode: ["currentFocusMode", "focusModeCandidates"],
  isoSpeedRate: ["currentIsoSpeedRate", "isoSpeedRateCandidates"],
  shutterSpeed: ["currentShutterSpeed", "shutterSpeedCandidates"],
  zoomSetting: ["zoom", "candidate"],
  stillQuality: ["stillQuality", "candidate"],
  contShootingMode: ["contShootingMode", "candidate"],
  contShootingSpeed: ["contShootingSpeed", "candidate"],
  flipSetting: ["flip", "candidate"],
  sceneSelection: ["scene", "candidate"],
  intervalTime: ["intervalTimeSec", "candidate"],
  colorSetting: ["colorSetting", "candidate"],
  movieFileFormat: ["movieFileFormat", "candidate"],
  infraredRemoteControl: ["infraredRemoteControl", "candidate"],
  tvColorSystem: ["tvColorSystem", "candidate"],
  trackingFocus: ["trackingFocus", "candidate"],
  loopRecTime: ["loopRecTime", "candidate"],
  audioRecording: ["audioRecording", "candidate"],
  windNoiseReduction: ["windNoiseReduction", "candidate"],
} as const satisfies Record<string, readonly [string, string]>;

/** Setting objects whose value and candidates are integers (selfTimer s, viewAngle, autoPowerOff s). */
const INT_SETTINGS = {
  selfTimer: ["currentSelfTimer", "selfTimerCandidates"],
  viewAngle: ["currentViewAngle", "viewAngleCandidates"],
  autoPowerOff: ["autoPowerOff", "candidate"],
} as const satisfies Record<string, readonly [string, string]>;

/** `type` strings of string-valued settings. */
export type StringSettingType = keyof typeof STRING_SETTINGS;
/** `type` strings of integer-valued settings. */
export type IntSettingType = keyof typeof INT_SETTINGS;

/** One storageInformation element (slot 10). Negative counts are the camera's "n/a" (-1). */
export interface StorageInformation {
  storageID?: string | null;
  recordTarget?: boolean;
  numberOfRecordableImages?: number;
  /** Minutes. */
  recordableTime?: number;
  storageDescription?: string | null;
}

/** One batteryInfo element (slot 56, v1.2+). */
export interface BatteryInformation {
  /** "externalBattery1", "noBattery", … */
  batteryID?: string | null;
  /** "active" / "inactive" / "unknown". */
  status?: string | null;
  /** "batteryNearEnd" / "charging" / null (sent as ""). */
  additionalStatus?: string | null;
  levelNumer?: number;
  levelDenom?: number;
  description?: string | null;
}

/** One contShooting URL pair (slot 40, v1.2+). */
export interface ContShootingUrl {
  postviewUrl?: string | null;
  thumbnailUrl?: string | null;
}

/**
 * Everything a getEvent result carried, keyed by object `type`. Absent key = the camera sent no such
 * object (unchanged). Setting objects are normalized to {@link EventSetting}; the others keep the
 * camera's field names (camera-api.md §4.2).
 */
export type EventObjects = Partial<Record<StringSettingType, EventSetting<string>>> &
  Partial<Record<IntSettingType, EventSetting<number>>> & {
    availableApiList?: { names?: readonly string[] | null };
    cameraStatus?: { cameraStatus?: string | null };
    /** zoomPosition 0–100 (%), -1 = n/a (camera-api.md §4.2 slot 2). */
    zoomInformation?: {
      zoomPosition?: number;
      zoomNumberBox?: number;
      zoomIndexCurrentBox?: number;
      zoomPositionCurrentBox?: number;
    };
    liveviewStatus?: { liveviewStatus?: boolean };
    liveviewOrientation?: { liveviewOrientation?: string | null };
    /**
     * Postview URLs of every takePicture object (slot 5), in order; only present when at least one
     * URL came. A poll can carry several shots (QX100 capture: 2 URLs 2 s apart).
     */
    takePicture?: { urls: readonly string[] };
    /** continuousError elements (slot 6, reserved), present when at least one came. */
    continuousError?: readonly { continuousError?: string | null; isContinued?: boolean }[];
    triggeredError?: { triggeredError?: readonly string[] | null };
    sceneRecognition?: {
      sceneRecognition?: string | null;
      steadyRecognition?: string | null;
      motionRecognition?: string | null;
    };
    formatStatus?: { formatResult?: string | null };
    /** storageInformation elements (slot 10), present when at least one came. */
    storageInformation?: readonly StorageInformation[];
    stillSize?: {
      checkAvailability?: boolean;
      currentAspect?: string | null;
      currentSize?: string | null;
    };
    cameraFunctionResult?: { cameraFunctionResult?: string | null };
    /** Exposure compensation as the camera's index (slot 25). */
    exposureCompensation?: {
      currentExposureCompensation?: number;
      maxExposureCompensation?: number;
      minExposureCompensation?: number;
      /** 1 = 1/3 EV per index step, 2 = 1/2 EV (REF240). */
      stepIndexOfExposureCompensation?: number;
    };
    programShift?: { isShifted?: boolean };
    whiteBalance?: {
      checkAvailability?: boolean;
      currentWhiteBalanceMode?: string | null;
      /** Kelvin; -1 = n/a. */
      currentColorTemperature?: number;
    };
    touchAFPosition?: { currentSet?: boolean; currentTouchCoordinates?: readonly number[] | null };
    focusStatus?: { focusStatus?: string | null };
    trackingFocusStatus?: { trackingFocusStatus?: string | null };
    contShooting?: { contShootingUrl?: readonly ContShootingUrl[] | null };
    batteryInfo?: { batteryInfo?: readonly BatteryInformation[] | null };
    /** Seconds. */
    recordingTime?: { recordingTime?: number };
    numberOfShots?: { numberOfShots?: number };
  };

// ---------------------------------------------------------------------------------------------
// Strict field readers. `undefined` = absent or wrong type (ignored); `null` = "" or [] (invalid).

type Json = Record<string, unknown>;

function isRecord(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function readString(o: Json, key: string): string | null | undefined {
  const v = o[key];
  if (typeof v !== "string") return undefined;
  return v === "" ? null : v;
}

function readInt(o: Json, key: string): number | undefined {
  const v = o[key];
  return typeof v === "number" && Number.isInteger(v) ? v : undefined;
}

function readBool(o: Json, key: string): boolean | undefined {
  const v = o[key];
  return typeof v === "boolean" ? v : undefined;
}

/** An array whose every element passes `isElement`; one bad element drops the whole field. */
function readList<T>(
  o: Json,
  key: string,
  isElement: (e: unknown) => e is T,
): readonly T[] | null | undefined {
  const v = o[key];
  if (!Array.isArray(v)) return undefined;
  if (v.length === 0) return null;
  const out: T[] = [];
  for (const e of v) {
    if (!isElement(e)) return undefined;
    out.push(e);
  }
  return out;
}

const isString = (e: unknown): e is string => typeof e === "string";
const isInt = (e: unknown): e is number => typeof e === "number" && Number.isInteger(e);
const isFiniteNumber = (e: unknown): e is number => typeof e === "number" && Number.isFinite(e);

/** Maps a list field, keeping `null` (invalid) and `undefined` (absent) as they are. */
function mapPresent<T, U>(
  list: readonly T[] | null | undefined,
  map: (e: T) => U,
): readonly U[] | null | undefined {
  return list === null || list === undefined ? list : list.map(map);
}

/** Builds an object from `fields`, leaving out the undefined ones (exactOptionalPropertyTypes). */
function compact<T extends object>(fields: { [K in keyof T]-?: T[K] | undefined }): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) out[k] = v;
  return out as T;
}

function hasOwn<K extends string>(table: Record<K, unknown>, key: string): key is K {
  return Object.hasOwn(table, key);
}

function parseSetting<T>(
  o: Json,
  [currentKey, candidatesKey]: readonly [string, string],
  isElement: (e: unknown) => e is T,
): EventSetting<T> {
  const raw = o[currentKey];
  let current: T | null | undefined;
  if (raw === "") current = null;
  else if (isElement(raw)) current = raw;
  return compact<EventSetting<T>>({ current, candidates: readList(o, candidatesKey, isElement) });
}

function parseStorage(o: Json): StorageInformation {
  return compact<StorageInformation>({
    storageID: readString(o, "storageID"),
    recordTarget: readBool(o, "recordTarget"),
    numberOfRecordableImages: readInt(o, "numberOfRecordableImages"),
    recordableTime: readInt(o, "recordableTime"),
    storageDescription: readString(o, "storageDescription"),
  });
}

function parseBattery(o: Json): BatteryInformation {
  return compact<BatteryInformation>({
    batteryID: readString(o, "batteryID"),
    status: readString(o, "status"),
    additionalStatus: readString(o, "additionalStatus"),
    levelNumer: readInt(o, "levelNumer"),
    levelDenom: readInt(o, "levelDenom"),
    description: readString(o, "description"),
  });
}

/** Adds one typed object to `out`; unknown types are ignored (REF240 "must ignore"). */
function parseObject(o: Json, out: EventObjects, urls: string[]): void {
  const type = o["type"];
  if (typeof type !== "string") return;
  if (hasOwn(STRING_SETTINGS, type)) {
    out[type] = parseSetting(o, STRING_SETTINGS[type], isString);
    return;
  }
  if (hasOwn(INT_SETTINGS, type)) {
    out[type] = parseSetting(o, INT_SETTINGS[type], isInt);
    return;
  }
  switch (type) {
    case "availableApiList":
      out.availableApiList = compact({ names: readList(o, "names", isString) });
      return;
    case "cameraStatus":
      out.cameraStatus = compact({ cameraStatus: readString(o, "cameraStatus") });
      return;
    case "zoomInformation":
      out.zoomInformation = compact({
        zoomPosition: readInt(o, "zoomPosition"),
        zoomNumberBox: readInt(o, "zoomNumberBox"),
        zoomIndexCurrentBox: readInt(o, "zoomIndexCurrentBox"),
        zoomPositionCurrentBox: readInt(o, "zoomPositionCurrentBox"),
      });
      return;
    case "liveviewStatus":
      out.liveviewStatus = compact({ liveviewStatus: readBool(o, "liveviewStatus") });
      return;
    case "liveviewOrientation":
      out.liveviewOrientation = compact({
        liveviewOrientation: readString(o, "liveviewOrientation"),
      });
      return;
    case "takePicture": {
      // Every URL of every takePicture object, in order (a poll can accumulate shots, §4.2 slot 5).
      const list = readList(o, "takePictureUrl", isString);
      if (list) for (const u of list) if (u !== "") urls.push(u);
      return;
    }
    case "continuousError":
      out.continuousError = [
        ...(out.continuousError ?? []),
        compact({
          continuousError: readString(o, "continuousError"),
          isContinued: readBool(o, "isContinued"),
        }),
      ];
      return;
    case "triggeredError":
      out.triggeredError = compact({
        triggeredError: readList(o, "triggeredError", isString),
      });
      return;
    case "sceneRecognition":
      out.sceneRecognition = compact({
        sceneRecognition: readString(o, "sceneRecognition"),
        steadyRecognition: readString(o, "steadyRecognition"),
        motionRecognition: readString(o, "motionRecognition"),
      });
      return;
    case "formatStatus":
      out.formatStatus = compact({ formatResult: readString(o, "formatResult") });
      return;
    case "storageInformation":
      out.storageInformation = [...(out.storageInformation ?? []), parseStorage(o)];
      return;
    case "stillSize":
      out.stillSize = compact({
        checkAvailability: readBool(o, "checkAvailability"),
        currentAspect: readString(o, "currentAspect"),
        currentSize: readString(o, "currentSize"),
      });
      return;
    case "cameraFunctionResult":
      out.cameraFunctionResult = compact({
        cameraFunctionResult: readString(o, "cameraFunctionResult"),
      });
      return;
    case "exposureCompensation":
      out.exposureCompensation = compact({
        currentExposureCompensation: readInt(o, "currentExposureCompensation"),
        maxExposureCompensation: readInt(o, "maxExposureCompensation"),
        minExposureCompensation: readInt(o, "minExposureCompensation"),
        stepIndexOfExposureCompensation: readInt(o, "stepIndexOfExposureCompensation"),
      });
      return;
    case "programShift":
      out.programShift = compact({ isShifted: readBool(o, "isShifted") });
      return;
    case "whiteBalance":
      out.whiteBalance = compact({
        checkAvailability: readBool(o, "checkAvailability"),
        currentWhiteBalanceMode: readString(o, "currentWhiteBalanceMode"),
        currentColorTemperature: readInt(o, "currentColorTemperature"),
      });
      return;
    case "touchAFPosition":
      out.touchAFPosition = compact({
        currentSet: readBool(o, "currentSet"),
        currentTouchCoordinates: readList(o, "currentTouchCoordinates", isFiniteNumber),
      });
      return;
    case "focusStatus":
      out.focusStatus = compact({ focusStatus: readString(o, "focusStatus") });
      return;
    case "trackingFocusStatus":
      out.trackingFocusStatus = compact({
        trackingFocusStatus: readString(o, "trackingFocusStatus"),
      });
      return;
    case "contShooting":
      out.contShooting = compact({
        contShootingUrl: mapPresent(readList(o, "contShootingUrl", isRecord), (u) =>
          compact<ContShootingUrl>({
            postviewUrl: readString(u, "postviewUrl"),
            thumbnailUrl: readString(u, "thumbnailUrl"),
          }),
        ),
      });
      return;
    case "batteryInfo":
      out.batteryInfo = compact({
        batteryInfo: mapPresent(readList(o, "batteryInfo", isRecord), parseBattery),
      });
      return;
    case "recordingTime":
      out.recordingTime = compact({ recordingTime: readInt(o, "recordingTime") });
      return;
    case "numberOfShots":
      out.numberOfShots = compact({ numberOfShots: readInt(o, "numberOfShots") });
      return;
    default:
      return;
  }
}

/**
 * Parses a getEvent `result` array of any version (v1.0: 35 slots, v1.1: 36, v1.2: 60, v1.3: 63;
 * camera-api.md §4.1–4.2). Each slot may be null, an object with a `type`, or an array of such
 * objects (slots 5, 6, 10 and any other). Objects are identified by `type` only, so position does
 * not matter; unknown types, non-object slots and extra trailing slots are ignored. When a type
 * occurs twice the later one wins, except takePicture / continuousError / storageInformation,
 * which accumulate. Never throws.
 * @param result - the `result` array of the JSON-RPC reply (not the whole body)
 */
export function parseEventResult(result: readonly unknown[]): EventObjects {
  const out: EventObjects = {};
  const urls: string[] = [];
  for (const slot of result) {
    if (Array.isArray(slot)) {
      for (const item of slot) if (isRecord(item)) parseObject(item, out, urls);
    } else if (isRecord(slot)) {
      parseObject(slot, out, urls);
    }
  }
  if (urls.length > 0) out.takePicture = { urls };
  return out;
}

// ---------------------------------------------------------------------------------------------
// The camera-state model.

/** Exposure-compensation range, in the camera's index units (see {@link CameraState}). */
export interface ExposureCompensationRange {
  /** Lowest index, e.g. -6 (QX10) or -15 (ILCE). */
  min: number;
  /** Highest index, e.g. 6. */
  max: number;
  /** The camera's stepIndexOfExposureCompensation: 1 = 1/3 EV per index, 2 = 1/2 EV. */
  step: number;
}

/** Storage summary; counts are null where the camera reports -1 (n/a, e.g. no card). */
export interface StorageState {
  /** storageID, e.g. "Memory Card 1" or "No Media". */
  id: string | null;
  /** Remaining shots, or null when unknown. */
  recordable_images: number | null;
  /** Remaining movie time in minutes, or null when unknown. */
  recordable_time: number | null;
}

/**
 * The camera-derived part of the `<base>/state` document (mqtt-api.md "State document"). Every key
 * is always present; `null` = unknown / not reported / invalid now. The bridge adds `liveview`,
 * `liveview_fps` and `updated_at`.
 *
 * Representations:
 * - `still_size`: `"<aspect> <size>"`, e.g. `"4:3 18M"` (see {@link formatStillSize} /
 *   {@link parseStillSize}); `still_sizes` only from getAvailableStillSize via {@link applyAvailable}
 *   (getEvent's stillSize object carries no candidates).
 * - `white_balance`: the mode string, e.g. `"Auto WB"` (colour temperature not kept);
 *   `white_balances` only from getAvailableWhiteBalance.
 * - `exposure_compensation`: the camera's index (int; EV = index × 1/3 for step 1, × 1/2 for step 2);
 *   `exposure_compensation_range` = `{min, max, step}` in the same units (extra key, not in the
 *   contract list) — from getEvent slot 25 or getAvailableExposureCompensation.
 * - `zoom_position`: 0–100 %; the camera's -1 (n/a) becomes null.
 * - `battery`: percent 0–100 (rounded) of the active battery from batteryInfo (v1.2+), else null.
 * - `storage`: the record-target storage (else the first one).
 * - `self_timer`: seconds. `iso`: the camera's string ("AUTO", "100").
 * - `*_s` candidate lists: `null` when the camera reports none or an empty list.
 */
export interface CameraState {
  camera_status: string | null;
  shoot_mode: string | null;
  shoot_modes: readonly string[] | null;
  zoom_position: number | null;
  liveview_status: boolean | null;
  self_timer: number | null;
  self_timers: readonly number[] | null;
  exposure_mode: string | null;
  exposure_modes: readonly string[] | null;
  iso: string | null;
  isos: readonly string[] | null;
  white_balance: string | null;
  white_balances: readonly string[] | null;
  exposure_compensation: number | null;
  exposure_compensation_range: ExposureCompensationRange | null;
  still_size: string | null;
  still_sizes: readonly string[] | null;
  postview_size: string | null;
  beep_mode: string | null;
  focus_status: string | null;
  battery: number | null;
  storage: StorageState | null;
  available_apis: readonly string[] | null;
  last_picture_url: string | null;
}

/** Keys of {@link CameraState}, in document order. */
export const CAMERA_STATE_KEYS = [
  "camera_status",
  "shoot_mode",
  "shoot_modes",
  "zoom_position",
  "liveview_status",
  "self_timer",
  "self_timers",
  "exposure_mode",
  "exposure_modes",
  "iso",
  "isos",
  "white_balance",
  "white_balances",
  "exposure_compensation",
  "exposure_compensation_range",
  "still_size",
  "still_sizes",
  "postview_size",
  "beep_mode",
  "focus_status",
  "battery",
  "storage",
  "available_apis",
  "last_picture_url",
] as const satisfies readonly (keyof CameraState)[];

/** A state with every key null (nothing known yet). */
export function initialCameraState(): CameraState {
  return {
    camera_status: null,
    shoot_mode: null,
    shoot_modes: null,
    zoom_position: null,
    liveview_status: null,
    self_timer: null,
    self_timers: null,
    exposure_mode: null,
    exposure_modes: null,
    iso: null,
    isos: null,
    white_balance: null,
    white_balances: null,
    exposure_compensation: null,
    exposure_compensation_range: null,
    still_size: null,
    still_sizes: null,
    postview_size: null,
    beep_mode: null,
    focus_status: null,
    battery: null,
    storage: null,
    available_apis: null,
    last_picture_url: null,
  };
}

/** The `still_size` string for an aspect and size: `formatStillSize("4:3", "18M")` = `"4:3 18M"`. */
export function formatStillSize(aspect: string, size: string): string {
  return `${aspect} ${size}`;
}

/**
 * Splits a `still_size` string back into the setStillSize parameters (aspect, size) at its last
 * space; null when it has no space or an empty part.
 */
export function parseStillSize(value: string): { aspect: string; size: string } | null {
  const cut = value.trim().lastIndexOf(" ");
  if (cut <= 0) return null;
  const aspect = value.trim().slice(0, cut).trim();
  const size = value.trim().slice(cut + 1);
  return aspect === "" || size === "" ? null : { aspect, size };
}

/** Result of {@link applyEvent} / {@link applyAvailable}. */
export interface ApplyResult {
  /** The new state; the very same object as `prev` when nothing changed. */
  state: CameraState;
  /** Keys whose value differs from `prev` (deep comparison), in document order. */
  changed: (keyof CameraState)[];
  /** New postview URLs from the takePicture slot(s), in order (empty when none). */
  pictures: string[];
  /** Present when `camera_status` changed. */
  statusChange?: { from: string | null; to: string | null };
}

function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  }
  if (isRecord(a) && isRecord(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => sameJson(a[k], b[k]));
  }
  return false;
}

function finish(prev: CameraState, next: CameraState, pictures: string[]): ApplyResult {
  const changed = CAMERA_STATE_KEYS.filter((k) => !sameJson(prev[k], next[k]));
  const result: ApplyResult = { state: changed.length === 0 ? prev : next, changed, pictures };
  if (changed.includes("camera_status")) {
    result.statusChange = { from: prev.camera_status, to: next.camera_status };
  }
  return result;
}

/** Percent of the active battery (else the first one that reports a level), or null. */
function batteryPercent(list: readonly BatteryInformation[] | null): number | null {
  if (list === null) return null;
  const usable = list.filter(
    (b) =>
      b.batteryID !== "noBattery" &&
      b.levelNumer !== undefined &&
      b.levelDenom !== undefined &&
      b.levelDenom > 0 &&
      b.levelNumer >= 0,
  );
  const chosen = usable.find((b) => b.status === "active") ?? usable[0];
  if (chosen?.levelNumer === undefined || chosen.levelDenom === undefined) return null;
  return Math.min(100, Math.round((100 * chosen.levelNumer) / chosen.levelDenom));
}

function storageState(list: readonly StorageInformation[]): StorageState | null {
  const chosen = list.find((s) => s.recordTarget === true) ?? list[0];
  if (chosen === undefined) return null;
  const count = (n: number | undefined): number | null => (n === undefined || n < 0 ? null : n);
  return {
    id: chosen.storageID ?? null,
    recordable_images: count(chosen.numberOfRecordableImages),
    recordable_time: count(chosen.recordableTime),
  };
}

/** `prev` unless the camera sent a value (`undefined` = not sent = unchanged). */
function pick<T>(prev: T, sent: T | undefined): T {
  return sent === undefined ? prev : sent;
}

/** Settings keep their previous value for each half the object did not carry. */
function applySetting<T>(
  current: T | null,
  candidates: readonly T[] | null,
  setting: EventSetting<T> | undefined,
): [T | null, readonly T[] | null] {
  if (setting === undefined) return [current, candidates];
  return [pick(current, setting.current), pick(candidates, setting.candidates)];
}

/**
 * Folds parsed getEvent objects into the state with the delta semantics of camera-api.md §4.3:
 * objects the reply lacks leave their keys unchanged; `""`/`[]` inside a present object store null.
 * Works for snapshots (getEvent(false)) and deltas (getEvent(true)) alike. Pure.
 * @param prev - the state before this reply (not modified)
 * @param objects - {@link parseEventResult} of the reply
 */
export function applyEvent(prev: CameraState, objects: EventObjects): ApplyResult {
  const next: CameraState = { ...prev };

  if (objects.cameraStatus) {
    next.camera_status = pick(prev.camera_status, objects.cameraStatus.cameraStatus);
  }
  [next.shoot_mode, next.shoot_modes] = applySetting(
    prev.shoot_mode,
    prev.shoot_modes,
    objects.shootMode,
  );
  const zoom = objects.zoomInformation?.zoomPosition;
  if (zoom !== undefined) next.zoom_position = zoom < 0 ? null : zoom; // -1 = n/a (ILCE)
  if (objects.liveviewStatus) {
    next.liveview_status = pick(prev.liveview_status, objects.liveviewStatus.liveviewStatus);
  }
  [next.self_timer, next.self_timers] = applySetting(
    prev.self_timer,
    prev.self_timers,
    objects.selfTimer,
  );
  [next.exposure_mode, next.exposure_modes] = applySetting(
    prev.exposure_mode,
    prev.exposure_modes,
    objects.exposureMode,
  );
  [next.iso, next.isos] = applySetting(prev.iso, prev.isos, objects.isoSpeedRate);
  if (objects.whiteBalance) {
    next.white_balance = pick(prev.white_balance, objects.whiteBalance.currentWhiteBalanceMode);
  }

  const ec = objects.exposureCompensation;
  if (ec) {
    next.exposure_compensation = pick(prev.exposure_compensation, ec.currentExposureCompensation);
    const min = ec.minExposureCompensation;
    const max = ec.maxExposureCompensation;
    const step = ec.stepIndexOfExposureCompensation;
    if (min !== undefined && max !== undefined && step !== undefined) {
      next.exposure_compensation_range = { min, max, step };
    }
  }

  const ss = objects.stillSize;
  if (ss && (ss.currentAspect !== undefined || ss.currentSize !== undefined)) {
    const before = prev.still_size === null ? null : parseStillSize(prev.still_size);
    const aspect = pick(before?.aspect ?? null, ss.currentAspect);
    const size = pick(before?.size ?? null, ss.currentSize);
    next.still_size = aspect === null || size === null ? null : formatStillSize(aspect, size);
  }

  if (objects.postviewImageSize) {
    next.postview_size = pick(prev.postview_size, objects.postviewImageSize.current);
  }
  if (objects.beepMode) next.beep_mode = pick(prev.beep_mode, objects.beepMode.current);
  if (objects.focusStatus) {
    next.focus_status = pick(prev.focus_status, objects.focusStatus.focusStatus);
  }
  const batteries = objects.batteryInfo?.batteryInfo;
  if (batteries !== undefined) next.battery = batteryPercent(batteries);
  if (objects.storageInformation) next.storage = storageState(objects.storageInformation);
  if (objects.availableApiList) {
    next.available_apis = pick(prev.available_apis, objects.availableApiList.names);
  }

  const pictures = [...(objects.takePicture?.urls ?? [])];
  const last = pictures.at(-1);
  if (last !== undefined) next.last_picture_url = last;

  return finish(prev, next, pictures);
}

// ---------------------------------------------------------------------------------------------
// getAvailable* replies (camera-api.md §3.2: `[current, candidates]`).

/** Methods {@link applyAvailable} understands. */
export const AVAILABLE_METHODS = [
  "getAvailableApiList",
  "getAvailableShootMode",
  "getAvailableSelfTimer",
  "getAvailableExposureMode",
  "getAvailableIsoSpeedRate",
  "getAvailableWhiteBalance",
  "getAvailableExposureCompensation",
  "getAvailableStillSize",
  "getAvailablePostviewImageSize",
  "getAvailableBeepMode",
  "getStorageInformation",
] as const;

/** One of {@link AVAILABLE_METHODS}. */
export type AvailableMethod = (typeof AVAILABLE_METHODS)[number];

/** `[current, candidates]` of a plain getAvailable* reply, strictly typed. */
function currentAndCandidates<T>(
  result: readonly unknown[],
  isElement: (e: unknown) => e is T,
): EventSetting<T> {
  return parseSetting({ c: result[0], l: result[1] }, ["c", "l"], isElement);
}

function stillSizeOf(v: unknown): string | null | undefined {
  if (!isRecord(v)) return undefined;
  const aspect = readString(v, "aspect");
  const size = readString(v, "size");
  if (aspect === undefined || size === undefined) return undefined;
  return aspect === null || size === null ? null : formatStillSize(aspect, size);
}

/** Maps each element; one element of the wrong shape drops the whole list. */
function mapList<T>(
  v: unknown,
  map: (e: unknown) => T | null | undefined,
): readonly T[] | null | undefined {
  if (!Array.isArray(v)) return undefined;
  if (v.length === 0) return null;
  const out: T[] = [];
  for (const e of v) {
    const m = map(e);
    if (m === undefined || m === null) return undefined;
    out.push(m);
  }
  return out;
}

/**
 * Merges the reply of a getAvailable* call (or getStorageInformation) into the state, so the bridge
 * can fill what getEvent does not carry (candidates of still size and white balance, and on the
 * QX10 the iso / white balance / exposure-compensation values its getEvent v1.0/1.1 leaves null).
 * Same conventions as {@link applyEvent}; malformed parts are ignored; an unknown method or a
 * malformed reply returns `prev` unchanged. Pure.
 * @param method - the camera method whose reply `result` is
 * @param result - the reply's `result` array, e.g. `[{"aspect":"4:3","size":"18M"}, [...]]`
 */
export function applyAvailable(
  prev: CameraState,
  method: string,
  result: readonly unknown[],
): ApplyResult {
  const next: CameraState = { ...prev };
  switch (method) {
    case "getAvailableApiList": {
      const names = readList({ n: result[0] }, "n", isString);
      next.available_apis = pick(prev.available_apis, names);
      break;
    }
    case "getAvailableShootMode":
      [next.shoot_mode, next.shoot_modes] = applySetting(
        prev.shoot_mode,
        prev.shoot_modes,
        currentAndCandidates(result, isString),
      );
      break;
    case "getAvailableSelfTimer":
      [next.self_timer, next.self_timers] = applySetting(
        prev.self_timer,
        prev.self_timers,
        currentAndCandidates(result, isInt),
      );
      break;
    case "getAvailableExposureMode":
      [next.exposure_mode, next.exposure_modes] = applySetting(
        prev.exposure_mode,
        prev.exposure_modes,
        currentAndCandidates(result, isString),
      );
      break;
    case "getAvailableIsoSpeedRate":
      [next.iso, next.isos] = applySetting(
        prev.iso,
        prev.isos,
        currentAndCandidates(result, isString),
      );
      break;
    case "getAvailablePostviewImageSize":
      next.postview_size = pick(prev.postview_size, currentAndCandidates(result, isString).current);
      break;
    case "getAvailableBeepMode":
      next.beep_mode = pick(prev.beep_mode, currentAndCandidates(result, isString).current);
      break;
    case "getAvailableWhiteBalance": {
      // [{whiteBalanceMode, colorTemperature}, [{whiteBalanceMode, colorTemperatureRange}, …]]
      const cur = result[0];
      if (isRecord(cur)) {
        next.white_balance = pick(prev.white_balance, readString(cur, "whiteBalanceMode"));
      }
      next.white_balances = pick(
        prev.white_balances,
        mapList(result[1], (e) => (isRecord(e) ? readString(e, "whiteBalanceMode") : undefined)),
      );
      break;
    }
    case "getAvailableExposureCompensation": {
      // [current, max, min, stepIndex] (REF240; QX10 program auto: [0, 6, -6, 1])
      const [cur, max, min, step] = result;
      if (isInt(cur)) next.exposure_compensation = cur;
      if (isInt(max) && isInt(min) && isInt(step)) {
        next.exposure_compensation_range = { min, max, step };
      }
      break;
    }
    case "getAvailableStillSize":
      next.still_size = pick(prev.still_size, stillSizeOf(result[0]));
      next.still_sizes = pick(prev.still_sizes, mapList(result[1], stillSizeOf));
      break;
    case "getStorageInformation": {
      // [[{storageID, recordTarget, …}, …]] (REF240 getStorageInformation)
      const list = result[0];
      if (Array.isArray(list) && list.every(isRecord)) {
        next.storage = storageState(list.map(parseStorage));
      }
      break;
    }
    default:
      break;
  }
  return finish(prev, next, []);
}

// ---------------------------------------------------------------------------------------------
// Versions.

/**
 * The highest getEvent version both the camera and this normalizer support (camera-api.md §4.1:
 * "use the highest you understand"). "1.0" when the list is unknown or has none of ours.
 * @param cameraVersions - the camera service's getVersions list, e.g. `["1.0","1.1"]`, or null
 */
export function chooseEventVersion(cameraVersions: readonly string[] | null): EventVersion {
  let best: EventVersion = "1.0";
  for (const v of EVENT_VERSIONS) if (cameraVersions?.includes(v) === true) best = v;
  return best;
}

/** The next lower getEvent version (for error 12/14 step-down), or null below "1.0". */
export function lowerEventVersion(version: EventVersion): EventVersion | null {
  const i = EVENT_VERSIONS.indexOf(version);
  return i > 0 ? (EVENT_VERSIONS[i - 1] ?? null) : null;
}

/** True when `v` is one of {@link EVENT_VERSIONS}. */
export function isEventVersion(v: unknown): v is EventVersion {
  return typeof v === "string" && (EVENT_VERSIONS as readonly string[]).includes(v);
}

/**
 * The version list of a getVersions reply (`[["1.0","1.1"]]`, camera-api.md §3.3), or null when the
 * reply has another shape.
 */
export function parseVersionsResult(result: readonly unknown[]): string[] | null {
  const list = result[0];
  return Array.isArray(list) && list.every(isString) ? [...list] : null;
}
