/**
 * The getEvent long-poll loop (camera-api.md §4.1, §6 items 5–7 and 9): one snapshot, then
 * getEvent(true) again immediately after every reply, folding each reply into a {@link CameraState}
 * through the pure normalizer in ./events.ts. Talks to the camera only through {@link RpcCaller}.
 *
 * Failure policy (per reply of the camera):
 * - error 2 (Timeout) or a "nothing changed" reply → poll again at once (official sample, §4.1);
 * - CAMERA_TIMEOUT of our HTTP client → poll again at once, but after `maxConsecutiveTimeouts` in a
 *   row the camera counts as gone and `run()` rejects with that error;
 * - 40402 (another long poll replaced ours, §2.3/§6.11) → back off (≥ 1 s), then poll again;
 * - 1 (Smart Remote "Not Available Now", §6.5) → back off, then poll again;
 * - 12 / 14 / HTTP 404 (method or version unsupported) → step the version down and retry at once;
 *   below "1.0" `run()` rejects with the error (e.g. RX100M2 has no getEvent, §6.9);
 * - CAMERA_UNREACHABLE → `run()` rejects at once so the supervisor can mark the camera offline;
 *   so do the permanent CAMERA_NOT_FOUND (no camera endpoint) and COMMAND_INVALID;
 * - anything else → back off; after `maxConsecutiveFailures` in a row `run()` rejects.
 */
import { isBridgeError, type BridgeError } from "../errors.js";
import { sleep as abortableSleep } from "../util/abort.js";
import { backoffDelay } from "../util/backoff.js";
import {
  applyAvailable,
  applyEvent,
  chooseEventVersion,
  initialCameraState,
  lowerEventVersion,
  parseEventResult,
  parseVersionsResult,
  type ApplyResult,
  type CameraState,
  type EventVersion,
} from "./events.js";
import { type CallOptions, type RpcCaller } from "./types.js";

/** What {@link EventPollerOptions.onError} learns about a failure the loop recovers from. */
export interface PollRetryInfo {
  /** How many failures of this kind happened in a row (1 = the first). */
  attempt: number;
  /** Delay before the next call, ms (0 = at once). */
  willRetryInMs: number;
}

/** Options of {@link EventPoller}. */
export interface EventPollerOptions {
  /** The camera's JSON-RPC client (calls go to the `camera` service). */
  rpc: RpcCaller;
  /** Force this getEvent version and skip getVersions. Default: chosen from getVersions. */
  version?: EventVersion;
  /**
   * A new state: after every snapshot (run start, {@link EventPoller.refresh}; `changed` may then be
   * empty) and after every long-poll reply or {@link EventPoller.mergeAvailable} that changed
   * something. Called synchronously; must not throw (a throw rejects `run()`/`refresh()`).
   */
  onState?: (state: CameraState, changed: readonly (keyof CameraState)[]) => void;
  /**
   * New postview URLs reported by a long-poll reply, in order. Snapshots never report pictures
   * (they predate the session; they only set `last_picture_url`). URLs of the bridge's own
   * actTakePicture calls come here too (the camera reports every shot) — dedupe there if needed.
   */
  onPictures?: (urls: readonly string[]) => void;
  /** `camera_status` changed (called after `onState`). */
  onStatus?: (from: string | null, to: string | null) => void;
  /** A failure the loop recovers from by itself (errors that end `run()` are thrown instead). */
  onError?: (err: BridgeError, info: PollRetryInfo) => void;
  /** Abortable wait (rejects on abort). Default: util/abort `sleep`. Injected by tests. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Random source in [0, 1) for backoff jitter. Default Math.random. */
  random?: () => number;
  /**
   * HTTP timeout of one long poll, ms, passed to the client as `timeoutMs`. Default: unset, so the
   * client's own getEvent(true) default applies (client.ts: 25 s — above the Smart Remote server's
   * 15 s hold and the official client's 20 s, §4.1; a QX may hold longer, §9).
   */
  longPollTimeoutMs?: number;
  /** CAMERA_TIMEOUTs in a row after which `run()` rejects with the last one. Default 3. */
  maxConsecutiveTimeouts?: number;
  /** Other unexpected failures in a row after which `run()` rejects with the last one. Default 5. */
  maxConsecutiveFailures?: number;
}

/** Per-kind counters of consecutive failures. */
interface FailureCounters {
  timeouts: number;
  busy: number;
  notAvailable: number;
  other: number;
}

const noFailures = (): FailureCounters => ({ timeouts: 0, busy: 0, notAvailable: 0, other: 0 });

/**
 * Keeps a camera's state current by long-polling getEvent. One instance per camera session: the
 * state starts all-null and `run()` starts again from all-null. Never has two long polls in flight
 * (a second one would make the camera answer 40402 to the first, §4.1).
 */
export class EventPoller {
  readonly #rpc: RpcCaller;
  readonly #options: EventPollerOptions;
  readonly #sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly #random: () => number;
  #state: CameraState = initialCameraState();
  #version: EventVersion | null;
  #running = false;

  constructor(options: EventPollerOptions) {
    this.#rpc = options.rpc;
    this.#options = options;
    this.#sleep = options.sleep ?? abortableSleep;
    this.#random = options.random ?? Math.random;
    this.#version = options.version ?? null;
  }

  /** The current camera state (all-null before the first snapshot). */
  get state(): CameraState {
    return this.#state;
  }

  /** The getEvent version in use, or null before `run()` chose one. */
  get version(): EventVersion | null {
    return this.#version;
  }

  /** True while `run()` is active. */
  get running(): boolean {
    return this.#running;
  }

  /**
   * Runs the loop until `signal` aborts (then resolves, without error) or the camera is gone.
   * Chooses the version (getVersions; 12/404/other camera replies → "1.0"), takes a snapshot with
   * getEvent(false), then long-polls getEvent(true) back to back. See the module comment for the
   * failure policy.
   * @throws BridgeError CAMERA_UNREACHABLE, CAMERA_NOT_FOUND, COMMAND_INVALID, ABORTED (not from
   *   `signal`, e.g. client closed) at once; CAMERA_TIMEOUT after `maxConsecutiveTimeouts`;
   *   CAMERA_RPC 12/14 or CAMERA_HTTP 404 when even getEvent "1.0" is unsupported; the last error
   *   after `maxConsecutiveFailures` other failures. Error if `run()` is already running.
   */
  async run(signal: AbortSignal): Promise<void> {
    if (this.#running) throw new Error("EventPoller.run() is already running");
    this.#running = true;
    try {
      if (signal.aborted) return;
      this.#state = initialCameraState();
      this.#version = this.#options.version ?? (await this.#chooseVersion(signal));
      await this.#loop(signal);
    } catch (e) {
      if (signal.aborted) return; // shutdown: quiet
      throw e;
    } finally {
      this.#running = false;
    }
  }

  /**
   * One getEvent(false) applied over the current state (the `refresh` command). Safe while `run()`
   * is active: a snapshot is not a long poll, so it does not displace the pending one. Emits
   * `onState` (and `onStatus`) but never `onPictures`.
   * @returns the new state
   * @throws BridgeError from the RPC client (CAMERA_RPC, CAMERA_TIMEOUT, CAMERA_UNREACHABLE, ABORTED…)
   */
  async refresh(signal: AbortSignal): Promise<CameraState> {
    const version = this.#version ?? "1.0";
    const result = await this.#rpc.call("camera", "getEvent", [false], version, { signal });
    this.#apply(result, true);
    return this.#state;
  }

  /**
   * Merges a getAvailable* / getStorageInformation reply into the state (see events.ts
   * `applyAvailable`) so that candidates getEvent does not carry (still sizes, white balances)
   * survive later deltas; emits `onState` when something changed.
   * @returns the keys that changed
   */
  mergeAvailable(method: string, result: readonly unknown[]): (keyof CameraState)[] {
    const out = applyAvailable(this.#state, method, result);
    this.#publish(out, false, false);
    return out.changed;
  }

  async #chooseVersion(signal: AbortSignal): Promise<EventVersion> {
    try {
      const result = await this.#rpc.call("camera", "getVersions", [], "1.0", { signal });
      return chooseEventVersion(parseVersionsResult(result));
    } catch (e) {
      // A camera that answers, but not with a list (12, HTTP 404 on RX100M2, §6.9), speaks 1.0.
      if (
        isBridgeError(e) &&
        (e.code === "CAMERA_RPC" || e.code === "CAMERA_HTTP" || e.code === "CAMERA_PROTOCOL")
      ) {
        return "1.0";
      }
      throw e;
    }
  }

  async #loop(signal: AbortSignal): Promise<void> {
    let snapshotDone = false;
    let failures = noFailures();
    for (;;) {
      signal.throwIfAborted();
      const version = this.#version ?? "1.0";
      let result: unknown[];
      try {
        result = await this.#rpc.call(
          "camera",
          "getEvent",
          [snapshotDone],
          version,
          snapshotDone ? this.#longPollOptions(signal) : { signal },
        );
      } catch (e) {
        if (signal.aborted) throw e;
        const delayMs = this.#onCallFailed(e, failures, version);
        if (delayMs > 0) await this.#sleep(delayMs, signal);
        continue;
      }
      failures = noFailures();
      this.#apply(result, !snapshotDone);
      snapshotDone = true;
    }
  }

  #longPollOptions(signal: AbortSignal): CallOptions {
    const timeoutMs = this.#options.longPollTimeoutMs;
    return timeoutMs === undefined ? { signal } : { signal, timeoutMs };
  }

  /**
   * Decides what a failed getEvent means: returns the delay before the next call (ms) or throws the
   * error when the loop must end. Updates `failures` and the version in place.
   */
  #onCallFailed(e: unknown, failures: FailureCounters, version: EventVersion): number {
    if (!isBridgeError(e)) throw e; // a bug in the RPC client, not a camera condition
    const report = (attempt: number, delayMs: number): number => {
      this.#options.onError?.(e, { attempt, willRetryInMs: delayMs });
      return delayMs;
    };
    const backoff = (attempt: number, baseMs: number, minMs: number, maxMs: number): number =>
      backoffDelay(attempt - 1, { baseMs, minMs, maxMs, random: this.#random });

    if (e.code === "CAMERA_RPC" || e.code === "CAMERA_HTTP") failures.timeouts = 0; // it answered
    switch (e.code) {
      case "CAMERA_TIMEOUT": {
        // A QX may hold a long poll longer than our client waits (§9); a few in a row = gone.
        failures.timeouts += 1;
        if (failures.timeouts >= (this.#options.maxConsecutiveTimeouts ?? 3)) throw e;
        return report(failures.timeouts, 0);
      }
      case "CAMERA_UNREACHABLE":
      case "ABORTED":
        throw e;
      case "CAMERA_RPC":
      case "CAMERA_HTTP":
        if (e.code === "CAMERA_RPC" && e.cameraCode === 2) return 0; // server timeout: re-poll
        if (e.code === "CAMERA_RPC" && e.cameraCode === 40402) {
          // Another client's long poll replaced ours; don't fight it in a tight loop (§4.1).
          failures.busy += 1;
          return report(failures.busy, backoff(failures.busy, 1000, 1000, 10_000));
        }
        if (e.code === "CAMERA_RPC" && e.cameraCode === 1) {
          failures.notAvailable += 1; // Smart Remote "Not Available Now" (§6.5)
          return report(failures.notAvailable, backoff(failures.notAvailable, 500, 500, 10_000));
        }
        if (
          (e.code === "CAMERA_RPC" && (e.cameraCode === 12 || e.cameraCode === 14)) ||
          (e.code === "CAMERA_HTTP" && e.cameraCode === 404)
        ) {
          const lower = lowerEventVersion(version);
          if (lower === null) throw e;
          this.#version = lower;
          return report(1, 0);
        }
        break;
      case "CAMERA_NOT_FOUND": // no camera endpoint: retrying cannot help
      case "COMMAND_INVALID": // the client refused our params: a bug, not a camera state
      case "CAMERA_DESCRIPTION":
      case "CONFIG_INVALID":
      case "USAGE":
        throw e;
      case "CAMERA_PROTOCOL":
      case "LIVEVIEW_STREAM":
      case "MQTT_UNAVAILABLE":
        break;
    }
    failures.other += 1;
    if (failures.other >= (this.#options.maxConsecutiveFailures ?? 5)) throw e;
    return report(failures.other, backoff(failures.other, 500, 250, 30_000));
  }

  /** Folds one getEvent result into the state and tells the callbacks. */
  #apply(result: readonly unknown[], snapshot: boolean): void {
    this.#publish(applyEvent(this.#state, parseEventResult(result)), snapshot, !snapshot);
  }

  #publish(out: ApplyResult, always: boolean, pictures: boolean): void {
    this.#state = out.state;
    if (always || out.changed.length > 0) this.#options.onState?.(out.state, out.changed);
    if (out.statusChange) this.#options.onStatus?.(out.statusChange.from, out.statusChange.to);
    if (pictures && out.pictures.length > 0) this.#options.onPictures?.(out.pictures);
  }
}
