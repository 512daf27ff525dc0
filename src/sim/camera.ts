/**
 * The simulated camera's brain: settings, cameraStatus state machine, available-API lists,
 * long-poll getEvent, take-picture waiting, zoom, focus and the accessControl unlock. It speaks
 * in parsed requests and {@link RpcOutcome}s; the HTTP layer is in `simulator.ts`.
 */
import { createHash, randomBytes } from "node:crypto";
import {
  buildEventSlots,
  diffEventSlots,
  EVENT_SLOT_COUNT,
  emptyEventSlots,
  type EventState,
} from "./events.js";
import {
  ACT_ENABLE_METHODS_KEY,
  defaultSettings,
  QX10_API_CONTENTS_TRANSFER,
  QX10_API_MOVIE,
  QX10_API_STILL_AUTO,
  QX10_API_STILL_PROGRAM,
  QX10_CAMERA_METHOD_TYPES,
  QX10_CANDIDATES,
  QX10_PRIVATE_METHODS,
  SERVICE_METHOD_TYPES,
  SMART_REMOTE_API_BEFORE_REC_MODE,
  SMART_REMOTE_EXTRA_METHOD_TYPES,
  type CameraSettings,
  type MethodType,
  type ShootMode,
  type SimModel,
} from "./profile.js";
import { paramsMatch, rpcError, SimErrorCode, type RpcOutcome, type RpcRequest } from "./rpc.js";

/** Durations of the simulated camera, all in ms. Defaults in {@link DEFAULT_TIMINGS}. */
export interface SimTimings {
  /** Delay before a set value shows in get and getEvent (settings are asynchronous, §6.6). */
  settingDelayMs: number;
  /** Time in StillCapturing (after any self-timer). Real QX1: ~2.4 s (KOTA #5). */
  captureMs: number;
  /** Time in StillSaving. */
  saveMs: number;
  /** Length of one self-timer "second" (tests shorten it). */
  selfTimerUnitMs: number;
  /** How long actTakePicture/awaitTakePicture block before 40403 (SRC: 15 000). */
  takePictureTimeoutMs: number;
  /** Long-poll getEvent server timeout (SRC RECEIVE_EVENT_TIMEOUT: 15 000). */
  eventTimeoutMs: number;
  /** MovieWaitRecStart, MovieWaitRecStop and MovieSaving durations. */
  movieWaitStartMs: number;
  movieWaitStopMs: number;
  movieSaveMs: number;
  /** Zoom moves `zoomStepPercent` every `zoomTickMs` while zooming. */
  zoomTickMs: number;
  zoomStepPercent: number;
  /** How far one actZoom "1shot" moves, percent. */
  zoomOneShotPercent: number;
  /** Focusing → Focused after a half-press or touch AF. */
  focusMs: number;
  /** Smart Remote: the shooting APIs appear this long after startRecMode (§6.1). */
  recModeDelayMs: number;
}

/** Default {@link SimTimings}: realistic but short. */
export const DEFAULT_TIMINGS: SimTimings = {
  settingDelayMs: 100,
  captureMs: 600,
  saveMs: 300,
  selfTimerUnitMs: 1000,
  takePictureTimeoutMs: 15_000,
  eventTimeoutMs: 15_000,
  movieWaitStartMs: 300,
  movieWaitStopMs: 200,
  movieSaveMs: 500,
  zoomTickMs: 50,
  zoomStepPercent: 5,
  zoomOneShotPercent: 10,
  focusMs: 300,
  recModeDelayMs: 500,
};

/** What the long-poll timeout answers: an empty success (SRC) or error 2 Timeout. */
export type EventTimeoutReply = "empty" | "timeout-error";

/** Hooks the camera model calls into the servers around it. */
export interface CameraHooks {
  /** Enables the liveview handler; returns the URL startLiveview answers. */
  startLiveview(): string;
  /** Disables the liveview handler and drops its reader. */
  stopLiveview(): void;
  /** Stores a new postview picture taken at `time`; returns its full URL. */
  addPicture(time: Date): string;
  /** actFormatStorage: forget the stored pictures. */
  clearPictures(): void;
}

/** Options of {@link SimCamera}. */
export interface SimCameraOptions {
  model: SimModel;
  timings: SimTimings;
  hooks: CameraHooks;
  /** Pictures the card holds when the camera starts (getStorageInformation). Default 1000. */
  recordableImages?: number;
  eventTimeoutReply?: EventTimeoutReply;
  /**
   * Check actEnableMethods' `sg` against the documented key (§3.5). When false, any non-empty
   * `sg` unlocks. Default true.
   */
  verifySignature?: boolean;
  /** Wall clock; injectable for tests. */
  now?: () => number;
}

interface MethodEntry {
  /** Parameter types per supported version. */
  versions: Map<string, readonly string[]>;
}

type Handler = (req: RpcRequest, signal: AbortSignal) => RpcOutcome | Promise<RpcOutcome>;

interface Waiter {
  settle: (outcome: RpcOutcome) => void;
  timer: NodeJS.Timeout;
}

interface PollWaiter extends Waiter {
  slotCount: number;
}

const ok = (...result: unknown[]): RpcOutcome => ({ kind: "result", result });

const STILL_BUSY = new Set(["StillCapturing", "StillSaving"]);

/** Most postview URLs the takePicture slot accumulates between two getEvent replies. */
const MAX_PENDING_URLS = 100;

/** Methods dropped from the available list while not IDLE (§8; ILCEPY shrunk list). */
function busyFilter(status: string, names: readonly string[]): string[] {
  if (status === "IDLE" || status === "ContentsTransfer") return [...names];
  const keepStop = status === "MovieRecording";
  return names.filter(
    (n) =>
      !n.startsWith("set") &&
      n !== "actTakePicture" &&
      n !== "startMovieRec" &&
      n !== "actFormatStorage" &&
      n !== "actHalfPressShutter" &&
      (keepStop || n !== "stopMovieRec"),
  );
}

/**
 * A simulated camera. Constructing it starts nothing; timers run only in reaction to calls and
 * all of them are cleared by {@link SimCamera.close}.
 */
export class SimCamera {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly services = new Map<string, Map<string, MethodEntry>>();
  private readonly methodTypes = new Map<string, readonly MethodType[]>();
  private readonly handlers: Record<string, Handler>;
  private readonly now: () => number;
  private readonly initialImages: number;

  private settings: CameraSettings = defaultSettings();
  private status = "IDLE";
  private zoomPosition = 0;
  private zoomTimer: NodeJS.Timeout | undefined;
  private zoomStartDir: string | undefined;
  private liveview = false;
  private pendingUrls: string[] = [];
  private recordableImages: number;
  private touchAfSet = false;
  private focusStatus = "Not Focusing";
  private focusTimer: NodeJS.Timeout | undefined;
  /** Settles a pending setTouchAFPosition: true when focused, false when cancelled. */
  private pendingTouch: ((focused: boolean) => void) | undefined;
  private cameraFunctionResult = "";
  private formatResult = "";
  private enabled = false;
  private dg: string | undefined;
  private recMode = false;
  private clockOffsetMs = 0;

  private captureInProgress = false;
  private uncollected: string[] | undefined;
  private pictureWaiter: Waiter | undefined;
  private poll: PollWaiter | undefined;
  private lastReported: (string | undefined)[] = [];
  private checkScheduled = false;
  private closed = false;

  constructor(private readonly options: SimCameraOptions) {
    this.now = options.now ?? Date.now;
    this.initialImages = options.recordableImages ?? 1000;
    this.recordableImages = this.initialImages;
    const cameraTypes =
      options.model === "qx10"
        ? QX10_CAMERA_METHOD_TYPES
        : [...QX10_CAMERA_METHOD_TYPES, ...SMART_REMOTE_EXTRA_METHOD_TYPES];
    // Services in the order the QX100 dd.xml lists them: guide, system, accessControl, camera.
    for (const [service, types] of Object.entries(SERVICE_METHOD_TYPES)) {
      // Smart-Remote cameras list no `system` service (HX400V dd.xml).
      if (service === "system" && options.model === "smart-remote") continue;
      this.methodTypes.set(service, types);
    }
    this.methodTypes.set("camera", cameraTypes);
    for (const [service, types] of this.methodTypes) {
      const table = new Map<string, MethodEntry>();
      for (const [name, params, , version] of types) {
        const entry = table.get(name) ?? { versions: new Map<string, readonly string[]>() };
        entry.versions.set(version, params);
        table.set(name, entry);
      }
      this.services.set(service, table);
    }
    this.handlers = this.buildHandlers();
  }

  /** The API services this camera serves (`/sony/<service>`). */
  get serviceNames(): string[] {
    return [...this.services.keys()];
  }

  /** The current getAvailableApiList names. */
  availableApiList(): string[] {
    const s = this.settings;
    if (this.options.model === "smart-remote" && !this.recMode) {
      return [...SMART_REMOTE_API_BEFORE_REC_MODE];
    }
    if (s.cameraFunction === "Contents Transfer") return [...QX10_API_CONTENTS_TRANSFER];
    let base: readonly string[];
    if (s.shootMode === "movie") base = QX10_API_MOVIE;
    else if (s.exposureMode === "Program Auto") base = QX10_API_STILL_PROGRAM;
    else base = QX10_API_STILL_AUTO;
    if (this.options.model === "smart-remote") {
      base = [...base.filter((n) => !QX10_PRIVATE_METHODS.has(n)), "stopRecMode"];
    }
    return busyFilter(this.status, base);
  }

  /** Current cameraStatus (for tests and logs). */
  get cameraStatus(): string {
    return this.status;
  }

  /**
   * Answers one validated request on `service`. `signal` fires when the client hung up, which
   * cancels a pending long poll or take-picture wait.
   */
  async call(service: string, req: RpcRequest, signal: AbortSignal): Promise<RpcOutcome> {
    const table = this.services.get(service);
    const entry = table?.get(req.method);
    if (entry === undefined) return rpcError(SimErrorCode.NO_SUCH_METHOD);
    const paramTypes = entry.versions.get(req.version);
    if (paramTypes === undefined) return rpcError(SimErrorCode.UNSUPPORTED_VERSION);
    if (
      service === "camera" &&
      this.options.model === "qx10" &&
      QX10_PRIVATE_METHODS.has(req.method) &&
      !this.enabled
    ) {
      // QX10: HTTP 403 with the method name as the message (ERIK, PYSONY).
      return { kind: "error", code: 403, message: req.method, httpStatus: 403 };
    }
    if (service === "camera" && !this.availableApiList().includes(req.method)) {
      return rpcError(SimErrorCode.ANY);
    }
    if (!paramsMatch(req.params, paramTypes)) return rpcError(SimErrorCode.ILLEGAL_ARGUMENT);
    const handler = this.handlers[`${service}/${req.method}`] ?? this.handlers[req.method];
    if (handler === undefined) return rpcError(SimErrorCode.NO_SUCH_METHOD);
    return handler(req, signal);
  }

  /** Back to power-on state: settings, status, liveview, pending waits (answered 40401). */
  reset(): void {
    this.cancelAll();
    this.settings = defaultSettings();
    this.status = "IDLE";
    this.zoomPosition = 0;
    this.liveview = false;
    this.pendingUrls = [];
    this.touchAfSet = false;
    this.focusStatus = "Not Focusing";
    this.cameraFunctionResult = "";
    this.formatResult = "";
    this.enabled = false;
    this.dg = undefined;
    this.recMode = false;
    this.captureInProgress = false;
    this.uncollected = undefined;
    this.lastReported = [];
  }

  /** Clears every timer and answers pending calls; idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.cancelAll();
  }

  private cancelAll(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.zoomTimer = undefined;
    this.zoomStartDir = undefined;
    this.focusTimer = undefined;
    this.endTouch(false);
    this.settleWaiter(this.pictureWaiter, rpcError(SimErrorCode.CAMERA_NOT_READY));
    this.pictureWaiter = undefined;
    this.settleWaiter(this.poll, rpcError(SimErrorCode.CAMERA_NOT_READY));
    this.poll = undefined;
  }

  private after(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
    return t;
  }

  private cancel(t: NodeJS.Timeout | undefined): void {
    if (t === undefined) return;
    clearTimeout(t);
    this.timers.delete(t);
  }

  private settleWaiter(w: Waiter | undefined, outcome: RpcOutcome): void {
    if (w === undefined) return;
    this.cancel(w.timer);
    w.settle(outcome);
  }

  // ---- state changes -------------------------------------------------------------------------

  /** Something getEvent reports changed: wake the long poll once per tick. */
  private changed(): void {
    if (this.checkScheduled) return;
    this.checkScheduled = true;
    queueMicrotask(() => {
      this.checkScheduled = false;
      this.checkPoll();
    });
  }

  private setStatus(status: string): void {
    this.status = status;
    this.changed();
  }

  /** Applies a setting after the configured delay (set* answers before it takes effect, §6.6). */
  private applyLater(apply: () => void): RpcOutcome {
    this.after(this.options.timings.settingDelayMs, () => {
      apply();
      this.changed();
    });
    return ok(0);
  }

  private eventState(): EventState {
    return {
      apiList: this.availableApiList(),
      cameraStatus: this.status,
      zoomPosition: this.zoomPosition,
      liveviewStatus: this.liveview,
      pendingPictureUrls: this.pendingUrls,
      recordableImages: this.recordableImages,
      settings: this.settings,
      programControls:
        this.settings.shootMode === "still" && this.settings.exposureMode === "Program Auto",
      touchAfSet: this.touchAfSet,
      focusStatus: this.focusStatus,
      cameraFunctionResult: this.cameraFunctionResult,
      formatResult: this.formatResult,
      battery: this.options.model === "smart-remote",
    };
  }

  private currentSlots(slotCount: number): unknown[] {
    return buildEventSlots(this.eventState(), slotCount);
  }

  private checkPoll(): void {
    const poll = this.poll;
    if (poll === undefined) return;
    const current = this.currentSlots(poll.slotCount);
    const delta = diffEventSlots(current, this.lastReported);
    if (delta === null) return;
    this.lastReportedFrom(current);
    this.poll = undefined;
    this.settleWaiter(poll, ok(...delta));
  }

  private lastReportedFrom(current: readonly unknown[]): void {
    current.forEach((v, i) => {
      this.lastReported[i] = JSON.stringify(v);
    });
    this.pendingUrls = [];
  }

  // ---- handlers ------------------------------------------------------------------------------

  private buildHandlers(): Record<string, Handler> {
    const c = QX10_CANDIDATES;
    const s = (): CameraSettings => this.settings;
    const str = (req: RpcRequest, i = 0): string => String(req.params[i]);
    const setting = (valid: boolean, apply: () => void): RpcOutcome =>
      valid ? this.applyLater(apply) : rpcError(SimErrorCode.ILLEGAL_ARGUMENT);
    const model = this.options.model;

    return {
      getAvailableApiList: () => ok(this.availableApiList()),
      getApplicationInfo: () => ok("Smart Remote Control", model === "qx10" ? "2.1.1" : "2.1.4"),
      getVersions: () => ok(model === "qx10" ? ["1.0", "1.1"] : ["1.0", "1.1", "1.2"]),
      "guide/getVersions": () => ok(["1.0"]),
      "system/getVersions": () => ok(["1.0"]),
      "accessControl/getVersions": () => ok(["1.0"]),
      getMethodTypes: (req) => this.getMethodTypes("camera", str(req)),
      "guide/getMethodTypes": (req) => this.getMethodTypes("guide", str(req)),
      "system/getMethodTypes": (req) => this.getMethodTypes("system", str(req)),
      "accessControl/getMethodTypes": (req) => this.getMethodTypes("accessControl", str(req)),
      "guide/getServiceProtocols": () =>
        ok(...this.serviceNames.map((name) => [name, ["xhrpost:jsonizer"]])),
      "system/setCurrentTime": (req) => this.setCurrentTime(req.params[0]),
      "accessControl/actEnableMethods": (req) => this.actEnableMethods(req.params[0]),

      getShootMode: () => ok(s().shootMode),
      getSupportedShootMode: () => ok([...c.shootMode]),
      getAvailableShootMode: () => ok(s().shootMode, [...c.shootMode]),
      setShootMode: (req) =>
        setting((c.shootMode as readonly string[]).includes(str(req)), () => {
          s().shootMode = str(req) as ShootMode;
        }),

      getSelfTimer: () => ok(s().selfTimer),
      getSupportedSelfTimer: () => ok([...c.selfTimer]),
      getAvailableSelfTimer: () => ok(s().selfTimer, [...c.selfTimer]),
      setSelfTimer: (req) =>
        setting((c.selfTimer as readonly unknown[]).includes(req.params[0]), () => {
          s().selfTimer = Number(req.params[0]);
        }),

      getPostviewImageSize: () => ok(s().postviewImageSize),
      getSupportedPostviewImageSize: () => ok([...c.postviewImageSize]),
      getAvailablePostviewImageSize: () => ok(s().postviewImageSize, [...c.postviewImageSize]),
      setPostviewImageSize: (req) =>
        setting((c.postviewImageSize as readonly string[]).includes(str(req)), () => {
          s().postviewImageSize = str(req);
        }),

      getExposureMode: () => ok(s().exposureMode),
      getSupportedExposureMode: () => ok([...c.exposureMode]),
      getAvailableExposureMode: () => ok(s().exposureMode, [...c.exposureMode]),
      setExposureMode: (req) =>
        setting((c.exposureMode as readonly string[]).includes(str(req)), () => {
          s().exposureMode = str(req);
        }),

      getBeepMode: () => ok(s().beepMode),
      getSupportedBeepMode: () => ok([...c.supportedBeepMode]),
      getAvailableBeepMode: () => ok(s().beepMode, [...c.beepMode]),
      setBeepMode: (req) =>
        setting((c.beepMode as readonly string[]).includes(str(req)), () => {
          s().beepMode = str(req);
        }),

      getCameraFunction: () => ok(s().cameraFunction),
      getSupportedCameraFunction: () => ok([...c.cameraFunction]),
      getAvailableCameraFunction: () => ok(s().cameraFunction, [...c.cameraFunction]),
      setCameraFunction: (req) =>
        setting((c.cameraFunction as readonly string[]).includes(str(req)), () => {
          // Asynchronous: the result shows in cameraFunctionResult (REF240 p.190).
          s().cameraFunction = str(req);
          this.cameraFunctionResult = "Success";
          this.status = str(req) === "Contents Transfer" ? "ContentsTransfer" : "IDLE";
          if (this.liveview) {
            this.liveview = false;
            this.options.hooks.stopLiveview();
          }
        }),

      getStillSize: () => ok({ ...s().stillSize }),
      getSupportedStillSize: () => ok(c.supportedStillSize.map((v) => ({ ...v }))),
      getAvailableStillSize: () =>
        ok(
          { ...s().stillSize },
          c.stillSize.map((v) => ({ ...v })),
        ),
      setStillSize: (req) => {
        const [aspect, size] = [str(req, 0), str(req, 1)];
        return setting(
          c.stillSize.some((v) => v.aspect === aspect && v.size === size),
          () => {
            s().stillSize = { aspect, size };
          },
        );
      },

      getExposureCompensation: () => ok(s().exposureCompensation),
      getSupportedExposureCompensation: () =>
        ok(...c.supportedExposureCompensation.map((v) => [...v])),
      getAvailableExposureCompensation: () =>
        ok(
          s().exposureCompensation,
          c.exposureCompensation.max,
          c.exposureCompensation.min,
          c.exposureCompensation.step,
        ),
      setExposureCompensation: (req) => {
        const v = Number(req.params[0]);
        const ev = c.exposureCompensation;
        return setting(v >= ev.min && v <= ev.max, () => {
          s().exposureCompensation = v;
        });
      },

      getWhiteBalance: () =>
        ok({ colorTemperature: s().colorTemperature, whiteBalanceMode: s().whiteBalanceMode }),
      getSupportedWhiteBalance: () => ok(c.whiteBalance.map(cloneWb)),
      getAvailableWhiteBalance: () =>
        ok(
          { colorTemperature: s().colorTemperature, whiteBalanceMode: s().whiteBalanceMode },
          c.whiteBalance.map(cloneWb),
        ),
      setWhiteBalance: (req) => {
        const mode = str(req, 0);
        const candidate = c.whiteBalance.find((w) => w.whiteBalanceMode === mode);
        // No QX10 mode has a colour-temperature range, so enabling one is an illegal argument.
        const valid =
          candidate !== undefined &&
          (req.params[1] === false || candidate.colorTemperatureRange.length > 0);
        return setting(valid, () => {
          s().whiteBalanceMode = mode;
          s().colorTemperature = -1;
        });
      },

      getIsoSpeedRate: () => ok(s().isoSpeedRate),
      getSupportedIsoSpeedRate: () => ok([...c.isoSpeedRate]),
      getAvailableIsoSpeedRate: () => ok(s().isoSpeedRate, [...c.isoSpeedRate]),
      setIsoSpeedRate: (req) =>
        setting((c.isoSpeedRate as readonly string[]).includes(str(req)), () => {
          s().isoSpeedRate = str(req);
        }),

      startLiveview: () => {
        const url = this.options.hooks.startLiveview();
        if (!this.liveview) {
          this.liveview = true;
          this.changed();
        }
        return ok(url);
      },
      stopLiveview: () => {
        this.options.hooks.stopLiveview();
        if (this.liveview) {
          this.liveview = false;
          this.changed();
        }
        return ok(0);
      },

      actTakePicture: (_req, signal) => this.actTakePicture(signal),
      awaitTakePicture: (_req, signal) => this.awaitTakePicture(signal),
      startMovieRec: () => this.startMovieRec(),
      stopMovieRec: () => this.stopMovieRec(),
      actZoom: (req) => this.actZoom(str(req, 0), str(req, 1)),

      actHalfPressShutter: () => {
        this.startFocus();
        return ok();
      },
      cancelHalfPressShutter: () => {
        this.cancel(this.focusTimer);
        this.focusTimer = undefined;
        this.endTouch(false);
        this.focusStatus = "Not Focusing";
        this.changed();
        return ok();
      },
      setTouchAFPosition: (req, signal) => this.setTouchAf(req.params, signal),
      cancelTouchAFPosition: () => {
        this.cancel(this.focusTimer);
        this.focusTimer = undefined;
        this.endTouch(false);
        this.touchAfSet = false;
        this.focusStatus = "Not Focusing";
        this.changed();
        return ok();
      },
      getTouchAFPosition: () => ok({ set: this.touchAfSet, touchCoordinates: [] }),

      getStorageInformation: () =>
        ok([
          {
            storageID: "Memory Card 1",
            recordTarget: true,
            numberOfRecordableImages: this.recordableImages,
            recordableTime: -1,
            storageDescription: "",
          },
        ]),
      actFormatStorage: () => {
        this.recordableImages = this.initialImages;
        this.options.hooks.clearPictures();
        this.changed();
        return ok(0);
      },

      getEvent: (req, signal) => this.getEvent(req.params[0] === true, req.version, signal),

      startRecMode: () => {
        this.after(this.options.timings.recModeDelayMs, () => {
          this.recMode = true;
          this.changed();
        });
        return ok(0);
      },
      stopRecMode: () => {
        this.recMode = false;
        if (this.liveview) {
          this.liveview = false;
          this.options.hooks.stopLiveview();
        }
        this.changed();
        return ok(0);
      },
    };
  }

  private getMethodTypes(service: string, version: string): RpcOutcome {
    const types = this.methodTypes.get(service) ?? [];
    const results = types
      .filter((t) => version === "" || t[3] === version)
      .map(([name, params, result, v]) => [name, [...params], [...result], v]);
    return { kind: "results", results };
  }

  private setCurrentTime(param: unknown): RpcOutcome {
    const dateTime =
      typeof param === "object" && param !== null
        ? (param as Record<string, unknown>)["dateTime"]
        : undefined;
    const t = typeof dateTime === "string" ? Date.parse(dateTime) : Number.NaN;
    if (!Number.isFinite(t)) return rpcError(SimErrorCode.ILLEGAL_ARGUMENT);
    this.clockOffsetMs = t - this.now();
    return ok();
  }

  /**
   * accessControl/actEnableMethods, the two-step dg/sg flow (§3.5): an empty `sg` returns a fresh
   * nonce `dg`; a second call with `sg = base64(sha256(KEY + dg))` unlocks the private methods.
   * A wrong or early `sg` answers HTTP 403 like the private methods themselves (UNCERTAIN: the
   * real reply to a bad signature is not recorded).
   */
  private actEnableMethods(param: unknown): RpcOutcome {
    const p = param as Record<string, unknown>;
    const sg = typeof p["sg"] === "string" ? p["sg"] : "";
    if (sg === "") {
      this.dg = randomBytes(12).toString("base64").replace(/[+/=]/g, "A").slice(0, 16);
      return ok({ dg: this.dg });
    }
    const expected =
      this.dg === undefined
        ? undefined
        : createHash("sha256")
            .update(ACT_ENABLE_METHODS_KEY + this.dg)
            .digest("base64");
    const verify = this.options.verifySignature ?? true;
    if (this.dg === undefined || (verify && sg !== expected)) {
      return { kind: "error", code: 403, message: "actEnableMethods", httpStatus: 403 };
    }
    this.enabled = true;
    this.dg = undefined;
    return ok({ dg: "" });
  }

  private getEvent(polling: boolean, version: string, signal: AbortSignal): Promise<RpcOutcome> {
    const slotCount = EVENT_SLOT_COUNT[version] ?? 35;
    if (!polling) {
      const snapshot = this.currentSlots(slotCount);
      this.lastReportedFrom(snapshot);
      return Promise.resolve(ok(...snapshot));
    }
    // A second long poll replaces the first, which gets 40402 (SRC ServerEventHandler).
    this.settleWaiter(this.poll, rpcError(SimErrorCode.ALREADY_POLLING));
    this.poll = undefined;
    const current = this.currentSlots(slotCount);
    const delta = diffEventSlots(current, this.lastReported);
    if (delta !== null) {
      this.lastReportedFrom(current);
      return Promise.resolve(ok(...delta));
    }
    return new Promise<RpcOutcome>((resolve) => {
      const timer = this.after(this.options.timings.eventTimeoutMs, () => {
        if (this.poll !== waiter) return;
        this.poll = undefined;
        resolve(
          this.options.eventTimeoutReply === "timeout-error"
            ? rpcError(SimErrorCode.TIMEOUT)
            : ok(...emptyEventSlots(slotCount)),
        );
      });
      const waiter: PollWaiter = { slotCount, timer, settle: resolve };
      this.poll = waiter;
      signal.addEventListener(
        "abort",
        () => {
          if (this.poll !== waiter) return;
          this.poll = undefined;
          this.settleWaiter(waiter, rpcError(SimErrorCode.ANY));
        },
        { once: true },
      );
    });
  }

  // ---- still capture -------------------------------------------------------------------------

  private actTakePicture(signal: AbortSignal): RpcOutcome | Promise<RpcOutcome> {
    if (this.settings.shootMode !== "still" || this.status !== "IDLE") {
      return rpcError(SimErrorCode.ANY);
    }
    const t = this.options.timings;
    this.captureInProgress = true;
    this.uncollected = undefined;
    this.setStatus("StillCapturing");
    const captureAt = this.settings.selfTimer * t.selfTimerUnitMs + t.captureMs;
    this.after(captureAt, () => {
      this.setStatus("StillSaving");
      this.after(t.saveMs, () => {
        this.finishCapture();
      });
    });
    return this.waitForPicture(signal);
  }

  private finishCapture(): void {
    const url = this.options.hooks.addPicture(new Date(this.now() + this.clockOffsetMs));
    this.captureInProgress = false;
    this.recordableImages = Math.max(0, this.recordableImages - 1);
    // Bounded: a client that never polls must not make the list grow without limit.
    this.pendingUrls = [...this.pendingUrls, url].slice(-MAX_PENDING_URLS);
    this.status = "IDLE";
    this.changed();
    const waiter = this.pictureWaiter;
    if (waiter === undefined) {
      this.uncollected = [url];
      return;
    }
    this.pictureWaiter = undefined;
    this.settleWaiter(waiter, ok([url]));
  }

  private awaitTakePicture(signal: AbortSignal): RpcOutcome | Promise<RpcOutcome> {
    if (this.uncollected !== undefined) {
      const urls = this.uncollected;
      this.uncollected = undefined;
      return ok(urls);
    }
    // SRC answers 1 ("StillShootingNotCalled") when there is nothing to wait for.
    if (!this.captureInProgress) return rpcError(SimErrorCode.ANY);
    return this.waitForPicture(signal);
  }

  /** Blocks until the capture finishes, up to the server limit (then 40403, §6.3). */
  private waitForPicture(signal: AbortSignal): Promise<RpcOutcome> {
    // A concurrent act/awaitTakePicture makes the older one fail with 40402 (SRC).
    this.settleWaiter(this.pictureWaiter, rpcError(SimErrorCode.ALREADY_POLLING));
    this.pictureWaiter = undefined;
    return new Promise<RpcOutcome>((resolve) => {
      const timer = this.after(this.options.timings.takePictureTimeoutMs, () => {
        if (this.pictureWaiter !== waiter) return;
        this.pictureWaiter = undefined;
        resolve(rpcError(SimErrorCode.STILL_CAPTURING_NOT_FINISHED));
      });
      const waiter: Waiter = { timer, settle: resolve };
      this.pictureWaiter = waiter;
      signal.addEventListener(
        "abort",
        () => {
          if (this.pictureWaiter !== waiter) return;
          this.pictureWaiter = undefined;
          this.settleWaiter(waiter, rpcError(SimErrorCode.ANY));
        },
        { once: true },
      );
    });
  }

  // ---- movie ---------------------------------------------------------------------------------

  private startMovieRec(): RpcOutcome {
    if (this.settings.shootMode !== "movie" || this.status !== "IDLE") {
      return rpcError(SimErrorCode.ANY);
    }
    this.setStatus("MovieWaitRecStart");
    this.after(this.options.timings.movieWaitStartMs, () => {
      this.setStatus("MovieRecording");
    });
    return ok(0);
  }

  private stopMovieRec(): RpcOutcome {
    if (this.status !== "MovieRecording") return rpcError(SimErrorCode.ANY);
    const t = this.options.timings;
    this.setStatus("MovieWaitRecStop");
    this.after(t.movieWaitStopMs, () => {
      this.setStatus("MovieSaving");
      this.after(t.movieSaveMs, () => {
        this.setStatus("IDLE");
      });
    });
    // stopMovieRec answers a reserved empty string (REF240).
    return ok("");
  }

  // ---- zoom and focus ------------------------------------------------------------------------

  private actZoom(direction: string, movement: string): RpcOutcome {
    if (direction !== "in" && direction !== "out") return rpcError(SimErrorCode.ILLEGAL_ARGUMENT);
    const t = this.options.timings;
    const sign = direction === "in" ? 1 : -1;
    switch (movement) {
      case "start":
        this.stopZoom();
        this.zoomStartDir = direction;
        this.moveZoom(sign, sign > 0 ? 100 : 0);
        return ok(0);
      case "stop":
        // "stop" must name the direction of the last "start" (§6.14). UNCERTAIN which code the
        // camera answers; the simulator uses 3 Illegal Argument.
        if (this.zoomStartDir !== undefined && this.zoomStartDir !== direction) {
          return rpcError(SimErrorCode.ILLEGAL_ARGUMENT);
        }
        this.stopZoom();
        return ok(0);
      case "1shot": {
        this.stopZoom();
        const target = Math.min(100, Math.max(0, this.zoomPosition + sign * t.zoomOneShotPercent));
        this.moveZoom(sign, target);
        return ok(0);
      }
      default:
        return rpcError(SimErrorCode.ILLEGAL_ARGUMENT);
    }
  }

  private moveZoom(sign: number, target: number): void {
    const t = this.options.timings;
    const tick = (): void => {
      const next = this.zoomPosition + sign * t.zoomStepPercent;
      this.zoomPosition = sign > 0 ? Math.min(next, target) : Math.max(next, target);
      this.changed();
      this.zoomTimer = this.zoomPosition === target ? undefined : this.after(t.zoomTickMs, tick);
    };
    if (this.zoomPosition !== target) this.zoomTimer = this.after(t.zoomTickMs, tick);
  }

  private stopZoom(): void {
    this.cancel(this.zoomTimer);
    this.zoomTimer = undefined;
    this.zoomStartDir = undefined;
  }

  /** Focusing now, Focused after `focusMs`; a pending touch AF then answers. */
  private startFocus(): void {
    this.cancel(this.focusTimer);
    this.focusStatus = "Focusing";
    this.changed();
    this.focusTimer = this.after(this.options.timings.focusMs, () => {
      this.focusTimer = undefined;
      this.focusStatus = "Focused";
      this.endTouch(true);
      this.changed();
    });
  }

  private endTouch(focused: boolean): void {
    const pending = this.pendingTouch;
    this.pendingTouch = undefined;
    pending?.(focused);
  }

  /**
   * setTouchAFPosition answers once focusing ends (REF240): `[0, {AFResult, AFType:"Touch"}]`,
   * AFResult false when a cancel or a newer touch interrupted it.
   */
  private setTouchAf(
    params: readonly unknown[],
    signal: AbortSignal,
  ): RpcOutcome | Promise<RpcOutcome> {
    const [x, y] = params.map(Number);
    if (x === undefined || y === undefined || x < 0 || x > 100 || y < 0 || y > 100) {
      return rpcError(SimErrorCode.ILLEGAL_ARGUMENT);
    }
    if (STILL_BUSY.has(this.status)) return rpcError(SimErrorCode.ANY);
    this.endTouch(false);
    return new Promise<RpcOutcome>((resolve) => {
      const settle = (focused: boolean): void => {
        signal.removeEventListener("abort", onAbort);
        if (focused) this.touchAfSet = true;
        resolve(ok(0, { AFResult: focused, AFType: "Touch" }));
      };
      const onAbort = (): void => {
        if (this.pendingTouch === settle) this.pendingTouch = undefined;
        resolve(rpcError(SimErrorCode.ANY));
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.pendingTouch = settle;
      this.startFocus();
    });
  }
}

function cloneWb(w: { whiteBalanceMode: string; colorTemperatureRange: readonly number[] }): {
  whiteBalanceMode: string;
  colorTemperatureRange: number[];
} {
  return {
    whiteBalanceMode: w.whiteBalanceMode,
    colorTemperatureRange: [...w.colorTemperatureRange],
  };
}
