/**
 * getEvent result arrays (camera-api.md §4.2–4.3): the full snapshot for `getEvent(false)` and the
 * delta for long polls. Pure: a state view in, slot arrays out.
 */
import { QX10_CANDIDATES, type CameraSettings } from "./profile.js";

/** Slot counts per getEvent version (§4.1). */
export const EVENT_SLOT_COUNT: Readonly<Record<string, number>> = {
  "1.0": 35,
  "1.1": 36,
  "1.2": 60,
};

/** Slots that hold arrays of objects: `[]` means "no change" / "none" (§4.2). */
export const ARRAY_SLOTS: ReadonlySet<number> = new Set([5, 6, 10]);

/** Slot index of the takePicture array. */
export const TAKE_PICTURE_SLOT = 5;

/** Everything getEvent reports, as the camera model knows it. */
export interface EventState {
  apiList: readonly string[];
  cameraStatus: string;
  zoomPosition: number;
  liveviewStatus: boolean;
  /** Postview URLs taken since the last getEvent reply. */
  pendingPictureUrls: readonly string[];
  recordableImages: number;
  settings: CameraSettings;
  /** True while the exposure mode offers EV/ISO/WB (Program Auto). */
  programControls: boolean;
  touchAfSet: boolean;
  focusStatus: string;
  cameraFunctionResult: string;
  formatResult: string;
  /** Smart-Remote profile: report batteryInfo in v1.2. */
  battery: boolean;
}

/** Builds an object with alphabetically ordered keys, as the real QX100 reply has them (§4.3). */
function obj(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(fields).sort()) out[key] = fields[key];
  return out;
}

/**
 * The full snapshot of `slotCount` slots: unsupported slots `null`, slots 5/6/10 arrays
 * (QX100 getEvent(false), TSAR).
 */
export function buildEventSlots(state: EventState, slotCount: number): unknown[] {
  const s = state.settings;
  const still = s.shootMode === "still";
  const slots: unknown[] = Array.from({ length: slotCount }, (_, i) =>
    ARRAY_SLOTS.has(i) ? [] : null,
  );
  const put = (i: number, v: unknown): void => {
    if (i < slotCount) slots[i] = v;
  };
  put(0, obj({ type: "availableApiList", names: [...state.apiList] }));
  put(1, obj({ type: "cameraStatus", cameraStatus: state.cameraStatus }));
  // The QX10 reports one zoom box (optical zoom only), like the QX100 capture.
  put(
    2,
    obj({
      type: "zoomInformation",
      zoomPosition: state.zoomPosition,
      zoomNumberBox: 1,
      zoomIndexCurrentBox: 0,
      zoomPositionCurrentBox: state.zoomPosition,
    }),
  );
  put(3, obj({ type: "liveviewStatus", liveviewStatus: state.liveviewStatus }));
  put(4, obj({ type: "liveviewOrientation", liveviewOrientation: "0" }));
  if (state.pendingPictureUrls.length > 0) {
    put(5, [obj({ type: "takePicture", takePictureUrl: [...state.pendingPictureUrls] })]);
  }
  put(7, obj({ type: "triggeredError", triggeredError: [] }));
  put(
    8,
    obj({
      type: "sceneRecognition",
      sceneRecognition: "None",
      steadyRecognition: "None",
      motionRecognition: "None",
    }),
  );
  put(9, obj({ type: "formatStatus", formatResult: state.formatResult }));
  put(10, [
    obj({
      type: "storageInformation",
      storageID: "Memory Card 1",
      recordTarget: true,
      numberOfRecordableImages: state.recordableImages,
      recordableTime: -1,
      storageDescription: "",
    }),
  ]);
  put(
    11,
    obj({
      type: "beepMode",
      currentBeepMode: s.beepMode,
      beepModeCandidates: [...QX10_CANDIDATES.beepMode],
    }),
  );
  put(
    12,
    obj({
      type: "cameraFunction",
      currentCameraFunction: s.cameraFunction,
      cameraFunctionCandidates: [...QX10_CANDIDATES.cameraFunction],
    }),
  );
  put(
    14,
    obj({
      type: "stillSize",
      checkAvailability: true,
      currentAspect: s.stillSize.aspect,
      currentSize: s.stillSize.size,
    }),
  );
  put(15, obj({ type: "cameraFunctionResult", cameraFunctionResult: state.cameraFunctionResult }));
  // Settings that cannot be changed in the current mode keep their value with empty candidates
  // ("empty array in a supported object means the parameter is invalid", REF240).
  put(
    18,
    obj({
      type: "exposureMode",
      currentExposureMode: s.exposureMode,
      exposureModeCandidates: still ? [...QX10_CANDIDATES.exposureMode] : [],
    }),
  );
  put(
    19,
    obj({
      type: "postviewImageSize",
      currentPostviewImageSize: s.postviewImageSize,
      postviewImageSizeCandidates: still ? [...QX10_CANDIDATES.postviewImageSize] : [],
    }),
  );
  put(
    20,
    obj({
      type: "selfTimer",
      currentSelfTimer: s.selfTimer,
      selfTimerCandidates: still ? [...QX10_CANDIDATES.selfTimer] : [],
    }),
  );
  put(
    21,
    obj({
      type: "shootMode",
      currentShootMode: s.shootMode,
      shootModeCandidates: [...QX10_CANDIDATES.shootMode],
    }),
  );
  if (state.programControls) {
    const ev = QX10_CANDIDATES.exposureCompensation;
    put(
      25,
      obj({
        type: "exposureCompensation",
        currentExposureCompensation: s.exposureCompensation,
        maxExposureCompensation: ev.max,
        minExposureCompensation: ev.min,
        stepIndexOfExposureCompensation: ev.step,
      }),
    );
    put(
      29,
      obj({
        type: "isoSpeedRate",
        currentIsoSpeedRate: s.isoSpeedRate,
        isoSpeedRateCandidates: [...QX10_CANDIDATES.isoSpeedRate],
      }),
    );
    put(
      33,
      obj({
        type: "whiteBalance",
        checkAvailability: true,
        currentWhiteBalanceMode: s.whiteBalanceMode,
        currentColorTemperature: s.colorTemperature,
      }),
    );
  }
  put(
    34,
    obj({ type: "touchAFPosition", currentSet: state.touchAfSet, currentTouchCoordinates: [] }),
  );
  put(35, obj({ type: "focusStatus", focusStatus: state.focusStatus }));
  if (state.battery) {
    put(
      56,
      obj({
        type: "batteryInfo",
        batteryInfo: [
          {
            batteryID: "externalBattery1",
            status: "active",
            additionalStatus: "",
            levelNumer: 4,
            levelDenom: 4,
            description: "",
          },
        ],
      }),
    );
  }
  return slots;
}

/**
 * The long-poll reply: slots whose JSON differs from `lastReported` (index by index), the others
 * `null` or `[]` (§4.1, SRC ParamsGenerator). The takePicture slot is reported whenever URLs are
 * pending. Returns null when nothing changed.
 */
export function diffEventSlots(
  current: readonly unknown[],
  lastReported: readonly (string | undefined)[],
): unknown[] | null {
  const changed = { any: false };
  const out = current.map((value: unknown, i): unknown => {
    const empty = ARRAY_SLOTS.has(i) ? [] : null;
    if (i === TAKE_PICTURE_SLOT) {
      if (Array.isArray(value) && value.length > 0) {
        changed.any = true;
        return value;
      }
      return empty;
    }
    // A slot the camera does not report now (null) never counts as a change.
    if (value === null || JSON.stringify(value) === lastReported[i]) return empty;
    changed.any = true;
    return value;
  });
  return changed.any ? out : null;
}

/** A reply with nothing changed: all null, `[]` at 5, 6 and 10 (ILCEPY, SRC timeout reply). */
export function emptyEventSlots(slotCount: number): unknown[] {
  return Array.from({ length: slotCount }, (_, i) => (ARRAY_SLOTS.has(i) ? [] : null));
}
