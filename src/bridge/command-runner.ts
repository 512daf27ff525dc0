/**
 * Executes validated {@link Command}s on the camera (mqtt-api.md command table) through a
 * {@link CommandHost} the bridge provides. Every command resolves with exactly one
 * {@link CommandResult}; nothing here throws to the caller.
 *
 * Rules:
 * - Commands that touch the camera run one at a time, first in first out. At most
 *   {@link DEFAULT_QUEUE_LIMIT} wait or run at once; beyond that a command fails at once with code
 *   `BUSY`. Timelapse shots go through the same queue (so other commands interleave safely between
 *   shots) but are not counted against the limit.
 * - A command that needs the camera while `host.camera()` is null fails at once with code
 *   `CAMERA_OFFLINE` (mqtt-api.md: not queued). It is checked again when the command's turn comes.
 * - `liveview`, `liveview_fps` and `timelapse STOP` need no camera and skip the queue.
 * - Before a camera command runs, a transient camera status (StillCapturing, StillSaving,
 *   MovieWaitRecStart, …) is waited out for a bounded time (camera-api.md §6.7), then the command is
 *   sent anyway and the camera's own answer decides.
 * - Settings are asynchronous (camera-api.md §6.6): after `set*` the runner polls the matching
 *   getAvailable* (bounded) until the new value shows, hands the reply to `host.mergeAvailable`, and
 *   reports `confirmed` in the result.
 * - Camera errors become `{code: <camera code>}`, other BridgeErrors `{code: <ErrorCode>}`
 *   (see `resultFromError`); refusals before the camera is called use the codes of
 *   {@link CommandResultCode}.
 */
import { type CameraApi } from "../camera/api.js";
import { applyAvailable, type CameraState } from "../camera/events.js";
import { type RpcCaller } from "../camera/types.js";
import { isRpcAllowed } from "../config/rpc-allow.js";
import { BridgeError, CameraErrorCode, isBridgeError, isCameraCode } from "../errors.js";
import { type Logger } from "../log.js";
import { abortError, sleep } from "../util/abort.js";
import {
  errorResult,
  okResult,
  resultFromError,
  settingProblem,
  type Command,
  type CommandResult,
  type CommandResultCode,
  type SettingCommand,
  type SettingCommandName,
} from "./commands.js";

/**
 * What the runner needs from the bridge. (Agreed in bridge-design.md; the commands helper added
 * `rpc()` — CameraApi keeps its RpcCaller private, and cmd/rpc needs the raw call — and the
 * optional `mergeAvailable`.)
 */
export interface CommandHost {
  /** The camera API, or null while the camera is offline (commands then fail at once). */
  camera(): CameraApi | null;
  /**
   * The raw JSON-RPC caller of the same camera session (for `cmd/rpc` and the getAvailable*
   * confirmation of settings), or null while offline.
   */
  rpc(): RpcCaller | null;
  /** Current camera state (candidates for settings checks, zoom position, camera status). */
  state(): CameraState;
  /** Bridge-side liveview switches. */
  setLiveviewPublishing(on: boolean): void;
  setLiveviewFps(fps: number): void;
  /** Full getEvent(false) refresh; republishes state. */
  refresh(signal: AbortSignal): Promise<void>;
  /**
   * After a successful shot: download/publish the snapshot (when download), emit picture_taken.
   * Returns data for the result: a plain object is merged into the result's `data` next to `urls`.
   */
  pictureTaken(
    urls: string[],
    options: { download: boolean; signal: AbortSignal },
  ): Promise<unknown>;
  /** Publish a `<base>/event` message (timelapse progress etc.). */
  emitEvent(event: { type: string } & Record<string, unknown>): void;
  /**
   * Optional: merge a getAvailable* reply into the state (EventPoller.mergeAvailable), so values
   * the QX10's getEvent does not carry (ISO, white balance, EV; still-size candidates) stay current
   * after a setting command.
   */
  mergeAvailable?(method: string, result: readonly unknown[]): void;
  /** rpc allow list from config. */
  rpcAllow: readonly string[];
}

/** Default number of camera commands waiting or running before new ones fail with `BUSY`. */
export const DEFAULT_QUEUE_LIMIT = 32;

/** Tunables of {@link CommandRunner}; all optional, defaults in {@link DEFAULT_RUNNER_TIMINGS}. */
export interface CommandRunnerTimings {
  /** Longest wait for a transient camera status to end before a command, ms. */
  idleWaitMs: number;
  /** How often host.state() is looked at while waiting, ms. */
  statePollMs: number;
  /** Longest wait for a setting to show in getAvailable*, ms. */
  settingConfirmMs: number;
  /** Pause between two getAvailable* confirmation calls, ms. */
  settingPollMs: number;
  /** Overall deadline of one takePicture (act + await), ms (CameraApi default 60 000). */
  takePictureDeadlineMs: number;
  /** Absolute zoom: position within this many percent counts as reached (at least half a step). */
  zoomTolerance: number;
  /** Absolute zoom: most 1shot steps. */
  zoomMaxSteps: number;
  /** Absolute zoom: overall deadline, ms. */
  zoomTimeoutMs: number;
  /** Absolute zoom: longest wait for the position to change after one step, ms. */
  zoomStepTimeoutMs: number;
  /** Absolute zoom: the position counts as settled when unchanged this long, ms. */
  zoomSettleMs: number;
  /** Timelapse: longest wait for an offline camera to come back before giving up, ms. */
  timelapseOfflineWaitMs: number;
  /** Timelapse: how often a shot the camera refused is retried. */
  timelapseRetries: number;
  /** Timelapse: pause before retrying a refused shot, ms. */
  timelapseRetryDelayMs: number;
}

/** Default {@link CommandRunnerTimings}. */
export const DEFAULT_RUNNER_TIMINGS: CommandRunnerTimings = {
  idleWaitMs: 10_000,
  statePollMs: 25,
  settingConfirmMs: 3_000,
  settingPollMs: 100,
  takePictureDeadlineMs: 60_000,
  zoomTolerance: 2,
  zoomMaxSteps: 60,
  zoomTimeoutMs: 30_000,
  zoomStepTimeoutMs: 3_000,
  zoomSettleMs: 200,
  timelapseOfflineWaitMs: 120_000,
  timelapseRetries: 3,
  timelapseRetryDelayMs: 1_000,
};

/** Options of {@link CommandRunner}. */
export interface CommandRunnerOptions {
  logger?: Logger;
  /** Default {@link DEFAULT_QUEUE_LIMIT}. */
  queueLimit?: number;
  timings?: Partial<CommandRunnerTimings>;
}

/** Camera statuses that end by themselves (camera-api.md §4.4); commands wait them out. */
const TRANSIENT_STATUSES: ReadonlySet<string> = new Set([
  "StillCapturing",
  "StillSaving",
  "MovieWaitRecStart",
  "MovieWaitRecStop",
  "MovieSaving",
  "AudioWaitRecStart",
  "AudioWaitRecStop",
  "AudioSaving",
  "IntervalWaitRecStart",
  "IntervalWaitRecStop",
  "LoopWaitRecStart",
  "LoopWaitRecStop",
  "LoopSaving",
  "NotReady",
]);

/** getAvailable* method and state key confirming each setting. */
const SETTING_CONFIRM: Readonly<
  Record<SettingCommandName, { method: string; key: keyof CameraState }>
> = {
  shoot_mode: { method: "getAvailableShootMode", key: "shoot_mode" },
  self_timer: { method: "getAvailableSelfTimer", key: "self_timer" },
  exposure_mode: { method: "getAvailableExposureMode", key: "exposure_mode" },
  iso: { method: "getAvailableIsoSpeedRate", key: "iso" },
  white_balance: { method: "getAvailableWhiteBalance", key: "white_balance" },
  exposure_compensation: {
    method: "getAvailableExposureCompensation",
    key: "exposure_compensation",
  },
  still_size: { method: "getAvailableStillSize", key: "still_size" },
  postview_size: { method: "getAvailablePostviewImageSize", key: "postview_size" },
  beep_mode: { method: "getAvailableBeepMode", key: "beep_mode" },
};

/**
 * Transport error codes meaning the request never reached the camera (the connection was never
 * made), so a shot attempt that failed this way certainly took no picture.
 */
const NOT_SENT_CODES: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EHOSTDOWN",
  "ENETDOWN",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EADDRNOTAVAIL",
  "UND_ERR_CONNECT_TIMEOUT",
]);

/** A refusal decided by the runner (or a camera error re-worded); `code` goes into the result. */
class Refusal extends Error {
  constructor(
    readonly code: CommandResultCode | number,
    message: string,
  ) {
    super(message);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** True when the error chain shows the connection was never made (see {@link NOT_SENT_CODES}). */
function neverSent(e: unknown): boolean {
  let current: unknown = e;
  for (let depth = 0; depth < 6 && isRecord(current); depth++) {
    const code = current["code"];
    if (typeof code === "string" && NOT_SENT_CODES.has(code)) return true;
    current = current["cause"];
  }
  return false;
}

interface QueuedJob {
  run: () => void;
  cancel: (e: Error) => void;
}

/** How one timelapse shot ended. */
type ShotOutcome =
  | { kind: "taken"; urls: string[] }
  /** Certainly no picture (camera refused, or the request never left): may be retried. */
  | { kind: "not-taken"; error: unknown }
  /** Unknown whether a picture was taken: never retried (no double shots). */
  | { kind: "unknown"; error: unknown };

interface Timelapse {
  count: number;
  intervalS: number;
  controller: AbortController;
  done: Promise<void>;
}

const OFFLINE_TEXT = "camera offline: the command was not sent (commands are not queued)";

/**
 * Runs commands for one bridge (one camera). Construct once; the camera session behind the host
 * may come and go.
 */
export class CommandRunner {
  readonly #host: CommandHost;
  readonly #log: Logger | undefined;
  readonly #queueLimit: number;
  readonly #t: CommandRunnerTimings;
  readonly #stopController = new AbortController();
  readonly #queue: QueuedJob[] = [];
  #pending = 0;
  #busy = false;
  #idle: Promise<void> = Promise.resolve();
  #markIdle: (() => void) | undefined;
  #timelapse: Timelapse | undefined;
  /** Aborted by `zoom stop` to end an absolute zoom in progress. */
  #zoomCancel: AbortController | undefined;
  #stopping: Promise<void> | undefined;

  constructor(host: CommandHost, options: CommandRunnerOptions = {}) {
    this.#host = host;
    this.#log = options.logger;
    this.#queueLimit = options.queueLimit ?? DEFAULT_QUEUE_LIMIT;
    this.#t = { ...DEFAULT_RUNNER_TIMINGS, ...options.timings };
  }

  /** True while a timelapse runs. */
  get timelapseRunning(): boolean {
    return this.#timelapse !== undefined;
  }

  /** Camera commands waiting or running (timelapse shots included). */
  get pending(): number {
    return this.#pending;
  }

  /**
   * Runs one command (serialized with the others that touch the camera). Always resolves with
   * exactly one result; `transaction` is echoed when not undefined.
   * @param signal - aborts a waiting or running command (result code `ABORTED`)
   */
  async run(command: Command, transaction: unknown, signal: AbortSignal): Promise<CommandResult> {
    try {
      // After stop() nothing new starts; a command already running keeps its own signal.
      if (this.#stopController.signal.aborted) throw abortError(this.#stopController.signal);
      const data = await this.#execute(command, signal);
      return okResult(data, transaction);
    } catch (e) {
      return this.#failure(command, e, transaction);
    }
  }

  /**
   * Cancels a timelapse and every waiting command (results `ABORTED`) and waits for the running
   * command to finish (it is not aborted here: its own signal decides). Idempotent; `run()`
   * afterwards answers `ABORTED`.
   */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#stopController.abort(new BridgeError("ABORTED", "command runner stopped"));
      for (const job of this.#queue.splice(0)) job.cancel(abortError(this.#stopController.signal));
      await this.#timelapse?.done;
      await this.#idle;
    })();
    return this.#stopping;
  }

  #failure(command: Command, e: unknown, transaction: unknown): CommandResult {
    if (e instanceof Refusal) return errorResult(e.message, e.code, transaction);
    if (isBridgeError(e)) {
      const out = resultFromError(e, transaction);
      if (out.status === "error") out.error = `${command.name}: ${out.error}`;
      return out;
    }
    this.#log?.error({ err: e, command: command.name }, "command failed unexpectedly");
    return resultFromError(e, transaction);
  }

  // ---- dispatch ---------------------------------------------------------------------------------

  async #execute(command: Command, signal: AbortSignal): Promise<unknown> {
    if (signal.aborted) throw abortError(signal);
    switch (command.name) {
      case "liveview":
        this.#host.setLiveviewPublishing(command.on);
        return { liveview: command.on };
      case "liveview_fps":
        this.#host.setLiveviewFps(command.fps);
        return { liveview_fps: command.fps };
      case "timelapse":
        return command.action === "stop"
          ? this.#stopTimelapse()
          : this.#startTimelapse(command.count, command.intervalS);
      case "rpc": {
        // The allow list is decided before anything else (mqtt-api.md rpc.allow rule).
        if (!isRpcAllowed(this.#host.rpcAllow, command.method)) {
          throw new Refusal(
            "RPC_NOT_ALLOWED",
            `rpc: ${command.method} is not allowed by rpc.allow`,
          );
        }
        const { service, method, params, version } = command;
        return this.#exclusive(signal, false, async () => {
          const caller = this.#host.rpc();
          if (caller === null) throw new Refusal("CAMERA_OFFLINE", `rpc: ${OFFLINE_TEXT}`);
          return caller.call(service, method, params, version, { signal });
        });
      }
      case "zoom":
        if ("action" in command && command.action === "stop") {
          // A running absolute zoom ends at once; with 1shot steps nothing else moves (§6.14).
          this.#zoomCancel?.abort();
        }
        return this.#cameraCommand(command, signal);
      case "shoot":
      case "movie":
      case "half_press":
      case "touch_af":
      case "refresh":
      case "shoot_mode":
      case "self_timer":
      case "exposure_mode":
      case "iso":
      case "white_balance":
      case "exposure_compensation":
      case "still_size":
      case "postview_size":
      case "beep_mode":
        return this.#cameraCommand(command, signal);
    }
  }

  /** Offline check now, then queued; the camera is looked up again when the turn comes. */
  #cameraCommand(command: Command, signal: AbortSignal): Promise<unknown> {
    if (this.#host.camera() === null) {
      throw new Refusal("CAMERA_OFFLINE", `${command.name}: ${OFFLINE_TEXT}`);
    }
    return this.#exclusive(signal, false, async () => {
      const api = this.#host.camera();
      if (api === null) throw new Refusal("CAMERA_OFFLINE", `${command.name}: ${OFFLINE_TEXT}`);
      if (command.name !== "refresh") await this.#waitOutTransient(signal);
      return this.#onCamera(api, command, signal);
    });
  }

  async #onCamera(api: CameraApi, command: Command, signal: AbortSignal): Promise<unknown> {
    switch (command.name) {
      case "shoot":
        return this.#shoot(api, command.download, signal);
      case "movie":
        return this.#movie(api, command.action, signal);
      case "zoom":
        if ("position" in command) return this.#zoomTo(api, command.position, signal);
        if (command.action === "stop") return { stopped: true };
        await api.actZoom(command.action, "1shot", { signal });
        return { zoom: command.action };
      case "half_press":
        if (command.on) await api.actHalfPressShutter({ signal });
        else await api.cancelHalfPressShutter({ signal });
        return { half_press: command.on };
      case "touch_af":
        return this.#touchAf(api, command.x, command.y, signal);
      case "refresh":
        await this.#host.refresh(signal);
        return {};
      case "shoot_mode":
      case "self_timer":
      case "exposure_mode":
      case "iso":
      case "white_balance":
      case "exposure_compensation":
      case "still_size":
      case "postview_size":
      case "beep_mode":
        return this.#setting(api, command, signal);
      case "liveview":
      case "liveview_fps":
      case "timelapse":
      case "rpc":
        throw new Error(`${command.name} does not run on the camera queue`);
    }
  }

  // ---- the queue --------------------------------------------------------------------------------

  /**
   * Runs `fn` when every earlier queued job has finished (FIFO, one at a time).
   * @param unlimited - timelapse shots: not refused when the queue is full
   */
  #exclusive<T>(signal: AbortSignal, unlimited: boolean, fn: () => Promise<T>): Promise<T> {
    if (signal.aborted) return Promise.reject(abortError(signal));
    const stopped = this.#stopController.signal;
    if (stopped.aborted) return Promise.reject(abortError(stopped));
    if (!unlimited && this.#pending >= this.#queueLimit) {
      return Promise.reject(
        new Refusal("BUSY", `busy: ${this.#pending} commands are already waiting for the camera`),
      );
    }
    this.#pending++;
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => {
        const i = this.#queue.indexOf(job);
        if (i < 0) return; // already running: fn sees the signal itself
        this.#queue.splice(i, 1);
        job.cancel(abortError(signal));
      };
      const finish = (): void => {
        signal.removeEventListener("abort", onAbort);
        this.#pending--;
      };
      const job: QueuedJob = {
        run: () => {
          finish();
          this.#pending++; // still counted while it runs
          this.#busy = true;
          this.#idle = new Promise<void>((r) => (this.#markIdle = r));
          void fn()
            .then(resolve, reject)
            .finally(() => {
              this.#pending--;
              this.#busy = false;
              this.#markIdle?.();
              this.#pump();
            });
        },
        cancel: (e) => {
          finish();
          reject(e);
        },
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.#queue.push(job);
      this.#pump();
    });
  }

  #pump(): void {
    if (this.#busy) return;
    this.#queue.shift()?.run();
  }

  // ---- waiting on the state -------------------------------------------------------------------

  /** Polls `check` on host.state() until true or `timeoutMs`; false on timeout. */
  async #until(check: () => boolean, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (check()) return true;
      if (Date.now() >= deadline) return false;
      await sleep(Math.min(this.#t.statePollMs, Math.max(1, deadline - Date.now())), signal);
    }
  }

  #status(): string | null {
    return this.#host.state().camera_status;
  }

  /** Waits (bounded) while the camera is in a status that ends by itself (§6.7). */
  async #waitOutTransient(signal: AbortSignal): Promise<void> {
    const transient = (): boolean => {
      const status = this.#host.state().camera_status;
      return status !== null && TRANSIENT_STATUSES.has(status);
    };
    await this.#until(() => !transient(), this.#t.idleWaitMs, signal);
  }

  // ---- shoot, movie -----------------------------------------------------------------------------

  async #shoot(api: CameraApi, download: boolean, signal: AbortSignal): Promise<unknown> {
    const mode = this.#host.state().shoot_mode;
    if (mode !== null && mode !== "still") {
      throw new Refusal(
        "NOT_AVAILABLE",
        `shoot: the camera is in ${mode} mode; set shoot_mode to still first`,
      );
    }
    const urls = await api.takePicture({ signal, deadlineMs: this.#t.takePictureDeadlineMs });
    return this.#afterShot(urls, download, signal);
  }

  /** Hands the URLs to the host; a failing download does not turn a taken picture into an error. */
  async #afterShot(urls: string[], download: boolean, signal: AbortSignal): Promise<unknown> {
    try {
      const extra = await this.#host.pictureTaken(urls, { download, signal });
      return isRecord(extra) ? { urls, ...extra } : { urls };
    } catch (e) {
      if (signal.aborted) throw e;
      this.#log?.warn({ err: e }, "picture taken, but handling it failed");
      const text = isBridgeError(e) ? e.message : "postview handling failed";
      return { urls, download_error: text };
    }
  }

  async #movie(api: CameraApi, action: "start" | "stop", signal: AbortSignal): Promise<unknown> {
    const { shoot_mode: mode, camera_status: status } = this.#host.state();
    if (mode !== null && mode !== "movie") {
      throw new Refusal(
        "NOT_AVAILABLE",
        `movie: the shoot mode is ${mode}; set shoot_mode to movie first`,
      );
    }
    if (action === "start") {
      // Idempotent like a switch: already recording is success without a camera call.
      if (status === "MovieRecording") return { recording: true };
      await api.startMovieRec({ signal });
      // Answer once the state shows it (bounded), so a STOP right after sees MovieRecording.
      await this.#until(() => this.#status() === "MovieRecording", this.#t.idleWaitMs, signal);
      return { recording: true };
    }
    if (mode === "movie" && status === "IDLE") return { recording: false };
    await api.stopMovieRec({ signal });
    await this.#until(() => this.#status() !== "MovieRecording", this.#t.idleWaitMs, signal);
    return { recording: false };
  }

  // ---- zoom -------------------------------------------------------------------------------------

  /**
   * Absolute zoom by "1shot" steps (camera-api.md §3.3 actZoom, §6.14), watching zoom_position in
   * the state after each step. Ends when within tolerance (at least half a step, so it never
   * oscillates), when the next step would reverse direction (overshoot), at either end, or when
   * `zoom stop` arrives. Fails with CAMERA_TIMEOUT when the camera does not move, or after the step
   * limit or the deadline.
   */
  async #zoomTo(api: CameraApi, target: number, parent: AbortSignal): Promise<unknown> {
    if (this.#host.state().zoom_position === null) {
      throw new Refusal("NOT_AVAILABLE", "zoom: the camera reports no zoom position now");
    }
    const cancel = new AbortController();
    this.#zoomCancel = cancel;
    const signal = AbortSignal.any([parent, cancel.signal]);
    const deadline = Date.now() + this.#t.zoomTimeoutMs;
    let position = 0;
    let stepSize = 0;
    let lastDirection: "in" | "out" | undefined;
    try {
      // A zoom in/out just before may still be moving: start from where it came to rest.
      const rest = await this.#zoomAtRest(signal);
      if (rest === null) {
        throw new Refusal("NOT_AVAILABLE", "zoom: the camera reports no zoom position now");
      }
      position = rest;
      for (let steps = 0; ; steps++) {
        const diff = target - position;
        if (Math.abs(diff) <= Math.max(this.#t.zoomTolerance, stepSize / 2)) break;
        const direction = diff > 0 ? "in" : "out";
        if ((direction === "in" && position >= 100) || (direction === "out" && position <= 0)) {
          break;
        }
        if (lastDirection !== undefined && direction !== lastDirection) break; // overshot
        if (steps >= this.#t.zoomMaxSteps || Date.now() >= deadline) {
          throw new Refusal(
            "CAMERA_TIMEOUT",
            `zoom: position ${position} after ${steps} steps, target ${target} not reached`,
          );
        }
        await api.actZoom(direction, "1shot", { signal });
        const moved = await this.#zoomSettled(position, signal);
        if (moved === null) {
          throw new Refusal(
            "CAMERA_TIMEOUT",
            `zoom: the camera did not move from ${position} within ${this.#t.zoomStepTimeoutMs} ms`,
          );
        }
        stepSize = Math.max(stepSize, Math.abs(moved - position));
        position = moved;
        lastDirection = direction;
      }
    } catch (e) {
      if (cancel.signal.aborted && !parent.aborted) {
        return { zoom_position: this.#host.state().zoom_position, target, stopped: true };
      }
      throw e;
    } finally {
      if (this.#zoomCancel === cancel) this.#zoomCancel = undefined;
    }
    return { zoom_position: position, target };
  }

  /** The zoom position once it held still for `zoomSettleMs` (bounded by `zoomStepTimeoutMs`). */
  async #zoomAtRest(signal: AbortSignal): Promise<number | null> {
    const deadline = Date.now() + this.#t.zoomStepTimeoutMs;
    let last = this.#host.state().zoom_position;
    for (;;) {
      await sleep(this.#t.zoomSettleMs, signal);
      const now = this.#host.state().zoom_position;
      if (now === last || Date.now() >= deadline) return now;
      last = now;
    }
  }

  /** The zoom position once it changed from `from` and then held still, or null if it never moved. */
  async #zoomSettled(from: number, signal: AbortSignal): Promise<number | null> {
    const position = (): number | null => this.#host.state().zoom_position;
    const moved = await this.#until(() => position() !== from, this.#t.zoomStepTimeoutMs, signal);
    if (!moved) return null;
    const deadline = Date.now() + this.#t.zoomStepTimeoutMs;
    let last = position();
    for (;;) {
      await sleep(this.#t.zoomSettleMs, signal);
      const now = position();
      if (now === last || Date.now() >= deadline) return now;
      last = now;
    }
  }

  // ---- touch AF ---------------------------------------------------------------------------------

  async #touchAf(api: CameraApi, x: number, y: number, signal: AbortSignal): Promise<unknown> {
    try {
      const out = await api.setTouchAFPosition(x, y, { signal });
      return { af_result: out.afResult, af_type: out.afType };
    } catch (e) {
      // Error 2: the camera's own timeout while it keeps focusing (camera-api.md §3.3).
      if (isCameraCode(e, CameraErrorCode.TIMEOUT)) {
        throw new Refusal(
          CameraErrorCode.TIMEOUT,
          "touch_af: the camera is still focusing (camera error 2, timeout); " +
            "watch focus_status or send touch_af again",
        );
      }
      throw e;
    }
  }

  // ---- settings ---------------------------------------------------------------------------------

  async #setting(api: CameraApi, command: SettingCommand, signal: AbortSignal): Promise<unknown> {
    let candidates: readonly (string | number)[] | null | undefined;
    try {
      // CameraState keeps no candidate list for these two: ask the camera.
      if (command.name === "postview_size") {
        candidates = (await api.getAvailablePostviewImageSize({ signal })).candidates;
      } else if (command.name === "beep_mode") {
        candidates = (await api.getAvailableBeepMode({ signal })).candidates;
      }
    } catch (e) {
      if (signal.aborted) throw e;
      candidates = undefined; // unknown: left to the camera
    }
    const problem = settingProblem(command, this.#host.state(), candidates);
    if (problem !== null) throw new Refusal(problem.code, problem.error);
    await this.#set(api, command, signal);
    const confirmed = await this.#confirmSetting(command, signal);
    return { value: command.value, confirmed };
  }

  async #set(api: CameraApi, command: SettingCommand, signal: AbortSignal): Promise<void> {
    const options = { signal };
    const { value } = command;
    switch (command.name) {
      case "shoot_mode":
        return api.setShootMode(String(value), options);
      case "self_timer":
        return api.setSelfTimer(Number(value), options);
      case "exposure_mode":
        return api.setExposureMode(String(value), options);
      case "iso":
        return api.setIsoSpeedRate(String(value), options);
      case "white_balance":
        // `[mode, false, -1]`: no QX10 mode has a colour temperature (camera-api.md §3.4).
        return api.setWhiteBalance(String(value), undefined, options);
      case "exposure_compensation":
        return api.setExposureCompensation(Number(value), options);
      case "still_size": {
        // The value was validated as "<aspect> <size>"; split at the last space (events.ts).
        const text = String(value);
        const cut = text.lastIndexOf(" ");
        return api.setStillSize({ aspect: text.slice(0, cut), size: text.slice(cut + 1) }, options);
      }
      case "postview_size":
        return api.setPostviewImageSize(String(value), options);
      case "beep_mode":
        return api.setBeepMode(String(value), options);
    }
  }

  /**
   * Polls the setting's getAvailable* until it shows the new value (settings are asynchronous,
   * camera-api.md §6.6), bounded by `settingConfirmMs`. The last reply goes to
   * host.mergeAvailable. False when the value did not show in time or the call failed.
   */
  async #confirmSetting(command: SettingCommand, signal: AbortSignal): Promise<boolean> {
    const { method, key } = SETTING_CONFIRM[command.name];
    const deadline = Date.now() + this.#t.settingConfirmMs;
    let last: unknown[] | undefined;
    try {
      for (;;) {
        const caller = this.#host.rpc();
        if (caller === null) return false;
        last = await caller.call("camera", method, [], "1.0", { signal });
        const seen = applyAvailable(this.#host.state(), method, last).state[key];
        if (seen === command.value) return true;
        if (Date.now() >= deadline) return false;
        await sleep(this.#t.settingPollMs, signal);
      }
    } catch (e) {
      if (signal.aborted) throw e;
      return false;
    } finally {
      if (last !== undefined) this.#host.mergeAvailable?.(method, last);
    }
  }

  // ---- timelapse --------------------------------------------------------------------------------

  #startTimelapse(count: number, intervalS: number): unknown {
    if (this.#timelapse !== undefined) {
      throw new Refusal("BUSY", "timelapse: one is already running (send STOP first)");
    }
    if (this.#host.camera() === null) {
      throw new Refusal("CAMERA_OFFLINE", `timelapse: ${OFFLINE_TEXT}`);
    }
    const controller = new AbortController();
    const signal = AbortSignal.any([controller.signal, this.#stopController.signal]);
    const entry: Timelapse = { count, intervalS, controller, done: Promise.resolve() };
    this.#timelapse = entry;
    entry.done = this.#timelapseLoop(count, intervalS, signal)
      .catch((e: unknown) => {
        this.#log?.error({ err: e }, "timelapse loop failed unexpectedly");
      })
      .finally(() => {
        if (this.#timelapse === entry) this.#timelapse = undefined;
      });
    return { count, interval_s: intervalS };
  }

  async #stopTimelapse(): Promise<unknown> {
    const running = this.#timelapse;
    if (running === undefined) return { stopped: false };
    running.controller.abort(new BridgeError("ABORTED", "timelapse stopped"));
    await running.done;
    return { stopped: true };
  }

  #emitTimelapse(state: string, fields: Record<string, unknown>): void {
    this.#host.emitEvent({ type: "timelapse", state, ...fields });
  }

  /**
   * Shots at start + (i-1)·interval (no drift; a late shot goes at once). Per shot:
   * - camera offline → wait for it (bounded by `timelapseOfflineWaitMs`, else state "error");
   * - taken → progress with the URL;
   * - certainly not taken (the camera answered an error, or the connection was never made) →
   *   retried up to `timelapseRetries` times, then reported as skipped;
   * - outcome unknown (timeout, connection lost mid-call, malformed reply) → NOT retried (a retry
   *   could be a double shot): reported as skipped with `outcome: "unknown"`; the timelapse goes on.
   */
  async #timelapseLoop(count: number, intervalS: number, signal: AbortSignal): Promise<void> {
    const started = Date.now();
    let taken = 0;
    let index = 0;
    this.#emitTimelapse("started", { index: 0, count, interval_s: intervalS });
    try {
      for (index = 1; index <= count; index++) {
        const due = started + (index - 1) * intervalS * 1000;
        const wait = due - Date.now();
        if (wait > 0) await sleep(wait, signal);
        const outcome = await this.#timelapseShot(signal);
        if (outcome.kind === "taken") {
          taken++;
          this.#emitTimelapse("progress", { index, count, url: outcome.urls[0] ?? null });
        } else {
          const text = isBridgeError(outcome.error) ? outcome.error.message : "shot failed";
          this.#emitTimelapse("progress", {
            index,
            count,
            skipped: true,
            outcome: outcome.kind === "unknown" ? "unknown" : "failed",
            error: text,
          });
        }
      }
      this.#emitTimelapse("done", { index: count, count, taken });
    } catch (e) {
      if (signal.aborted) {
        this.#emitTimelapse("stopped", { index: index - 1, count, taken });
        return;
      }
      const text = e instanceof Error ? e.message : "timelapse failed";
      this.#emitTimelapse("error", { index: index - 1, count, taken, error: text });
    }
  }

  /** One shot with the retry rules of {@link CommandRunner.#timelapseLoop}. */
  async #timelapseShot(signal: AbortSignal): Promise<ShotOutcome> {
    let outcome: ShotOutcome = { kind: "not-taken", error: undefined };
    for (let attempt = 0; attempt <= this.#t.timelapseRetries; attempt++) {
      if (attempt > 0) await sleep(this.#t.timelapseRetryDelayMs, signal);
      const online = await this.#until(
        () => this.#host.camera() !== null,
        this.#t.timelapseOfflineWaitMs,
        signal,
      );
      if (!online) {
        throw new Error(`camera offline for more than ${this.#t.timelapseOfflineWaitMs} ms`);
      }
      outcome = await this.#exclusive(signal, true, () => this.#attemptShot(signal));
      if (outcome.kind !== "not-taken") return outcome;
      if (isBridgeError(outcome.error) && outcome.error.code === "ABORTED") throw outcome.error;
    }
    return outcome;
  }

  async #attemptShot(signal: AbortSignal): Promise<ShotOutcome> {
    const api = this.#host.camera();
    if (api === null) {
      return { kind: "not-taken", error: new Refusal("CAMERA_OFFLINE", OFFLINE_TEXT) };
    }
    await this.#waitOutTransient(signal);
    let urls: string[];
    try {
      urls = await api.takePicture({ signal, deadlineMs: this.#t.takePictureDeadlineMs });
    } catch (e) {
      if (signal.aborted) throw e;
      const answered = isBridgeError(e) && (e.code === "CAMERA_RPC" || e.code === "CAMERA_HTTP");
      // 40402: another client's takePicture superseded ours mid-capture: outcome unknown.
      const superseded = isCameraCode(e, CameraErrorCode.ALREADY_POLLING);
      if ((answered && !superseded) || neverSent(e)) return { kind: "not-taken", error: e };
      return { kind: "unknown", error: e };
    }
    await this.#afterShot(urls, true, signal);
    return { kind: "taken", urls };
  }
}
