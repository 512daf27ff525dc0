/**
 * The camera supervisor (style.md Part 3 "Reconnect", camera-api.md §6 items 1, 5 and 10): find the
 * camera (fixed URL or SSDP), open a JSON-RPC client, learn its API versions and available APIs,
 * enter shooting mode where the camera needs it (startRecMode), fill the setting candidates that
 * getEvent does not carry, and run the getEvent long-poll loop. When the loop ends because the camera
 * is gone (unreachable, repeated timeouts, or anything else it cannot recover from), the camera is
 * offline: the client is closed, the supervisor waits with exponential backoff and jitter (never a
 * tight loop), rediscovers and comes back online.
 */
import { CameraApi } from "../camera/api.js";
import { CameraClient, type Download } from "../camera/client.js";
import { resolveCamera, type ResolveCameraOptions } from "../camera/discover.js";
import { EventPoller } from "../camera/event-loop.js";
import { AVAILABLE_METHODS, initialCameraState, type CameraState } from "../camera/events.js";
import { type CameraDescription } from "../camera/types.js";
import { type CameraConfig } from "../config/load.js";
import { BridgeError, isBridgeError } from "../errors.js";
import { type Logger } from "../log.js";
import { sleep, sleepUnlessAborted } from "../util/abort.js";
import { backoffDelay } from "../util/backoff.js";

/** What the bridge knows about the connected camera (for `<base>/bridge/info`). */
export interface CameraInfo {
  description: CameraDescription;
  /** The camera service's API versions (getVersions), e.g. `["1.0","1.1"]`; empty when unknown. */
  apiVersions: readonly string[];
}

/** Callbacks of a {@link CameraSession}; all optional, all synchronous, none may throw. */
export interface CameraSessionListener {
  /** The camera came online (`info` set) or went offline (`info` null). */
  onAvailability?: (online: boolean, info: CameraInfo | null) => void;
  /** A new camera state (see EventPoller `onState`). */
  onState?: (state: CameraState, changed: readonly (keyof CameraState)[]) => void;
  /** Postview URLs reported by the long poll (every shot, the camera's button included). */
  onPictures?: (urls: readonly string[]) => void;
  /** `camera_status` changed. */
  onStatus?: (from: string | null, to: string | null) => void;
}

/** Options of {@link CameraSession}. */
export interface CameraSessionOptions {
  config: CameraConfig;
  logger: Logger;
  /** Random source for backoff jitter (tests). Default Math.random. */
  random?: () => number;
  /** Extra options for resolveCamera (tests: an SSDP target on loopback). */
  discovery?: Partial<ResolveCameraOptions>;
  /** Backoff of reconnect attempts, ms: first step (default 500) and cap (default 15 000). */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

/** `signal.aborted`, read through a call so that flow narrowing does not freeze it. */
function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}

/** An online period this long resets the backoff, ms. */
const HEALTHY_MS = 30_000;
/** How long to wait for the shooting APIs after startRecMode, ms (SCQX1 waits 5 s, §6.1). */
const REC_MODE_WAIT_MS = 10_000;
/** APIs whose presence means the camera is ready to shoot. */
const SHOOTING_APIS = ["actTakePicture", "startMovieRec", "startLiveview"];
/** State keys whose change makes the candidates worth fetching again. */
const CANDIDATE_TRIGGERS: ReadonlySet<keyof CameraState> = new Set(["shoot_mode", "exposure_mode"]);

interface Live {
  client: CameraClient;
  api: CameraApi;
  poller: EventPoller;
  info: CameraInfo;
  availableApis: readonly string[];
}

/** One camera, kept connected for the bridge's lifetime. */
export class CameraSession {
  readonly #o: CameraSessionOptions;
  readonly #log: Logger;
  readonly #random: () => number;
  readonly #listeners = new Set<CameraSessionListener>();
  #live: Live | null = null;
  #state: CameraState = initialCameraState();
  #online = false;
  #known = false;
  #loop: Promise<void> | undefined;
  #stopPromise: Promise<void> | undefined;
  readonly #controller = new AbortController();
  #candidates: { running: boolean; again: boolean } = { running: false, again: false };

  constructor(options: CameraSessionOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: "camera" });
    this.#random = options.random ?? Math.random;
  }

  /** Adds a listener; returns a function that removes it. */
  subscribe(listener: CameraSessionListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The camera API, or null while the camera is offline. */
  camera(): CameraApi | null {
    return this.#live?.api ?? null;
  }

  /** The JSON-RPC client (raw calls, downloads), or null while offline. */
  client(): CameraClient | null {
    return this.#live?.client ?? null;
  }

  /** Downloads a postview URL through the current client. */
  download(url: string, options: { signal: AbortSignal; maxBytes: number }): Promise<Download> {
    const client = this.#live?.client;
    if (client === undefined) {
      return Promise.reject(new BridgeError("CAMERA_UNREACHABLE", "camera is offline"));
    }
    return client.download(url, options);
  }

  /** Description and API versions of the connected camera, or null while offline. */
  get info(): CameraInfo | null {
    return this.#live?.info ?? null;
  }

  /** The latest camera state (kept while offline; all-null before the first contact). */
  get state(): CameraState {
    return this.#state;
  }

  /** True while the camera answers. */
  get online(): boolean {
    return this.#online;
  }

  /** False until the first connection attempt has succeeded or failed. */
  get known(): boolean {
    return this.#known;
  }

  /**
   * Starts the supervisor in the background; it runs until `signal` aborts or {@link stop}.
   * Idempotent.
   */
  start(signal: AbortSignal): void {
    if (this.#loop !== undefined) return;
    const onAbort = (): void => {
      this.#controller.abort(signal.reason);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    this.#loop = this.#supervise(this.#controller.signal)
      .catch((e: unknown) => {
        this.#log.error({ err: e }, "camera supervisor ended unexpectedly");
      })
      .finally(() => {
        signal.removeEventListener("abort", onAbort);
      });
  }

  /**
   * getEvent(false) folded into the state (the `refresh` command); then the candidates again.
   * @throws BridgeError CAMERA_UNREACHABLE while offline; the client's errors
   */
  async refresh(signal: AbortSignal): Promise<void> {
    const live = this.#live;
    if (live === null) throw new BridgeError("CAMERA_UNREACHABLE", "camera is offline");
    await live.poller.refresh(signal);
    await this.#fetchCandidates(live, signal);
  }

  /**
   * Merges a getAvailable* reply into the state (EventPoller.mergeAvailable); ignored while offline.
   */
  mergeAvailable(method: string, result: readonly unknown[]): void {
    this.#live?.poller.mergeAvailable(method, result);
  }

  /** Stops the supervisor and closes the client. Idempotent. */
  stop(): Promise<void> {
    this.#stopPromise ??= (async () => {
      this.#controller.abort(new BridgeError("ABORTED", "camera session stopped"));
      await this.#loop;
      const live = this.#live;
      this.#live = null;
      await live?.client.close();
    })();
    return this.#stopPromise;
  }

  #emit(fn: (l: CameraSessionListener) => void): void {
    for (const l of this.#listeners) {
      try {
        fn(l);
      } catch (e) {
        this.#log.error({ err: e }, "camera session listener threw");
      }
    }
  }

  #setOnline(online: boolean): void {
    const changed = !this.#known || this.#online !== online;
    this.#known = true;
    this.#online = online;
    if (changed) {
      const info = this.#live?.info ?? null;
      this.#emit((l) => l.onAvailability?.(online, online ? info : null));
    }
  }

  async #supervise(signal: AbortSignal): Promise<void> {
    let attempt = 0;
    while (!signal.aborted) {
      const startedAt = Date.now();
      let failure: unknown;
      try {
        await this.#session(signal);
      } catch (e) {
        failure = e;
      }
      const live = this.#live;
      this.#live = null;
      await live?.client.close();
      if (isAborted(signal)) break;
      if (Date.now() - startedAt > HEALTHY_MS && live !== null) attempt = 0;
      this.#setOnline(false);
      const delayMs = backoffDelay(attempt, {
        baseMs: this.#o.backoffBaseMs ?? 500,
        maxMs: this.#o.backoffMaxMs ?? 15_000,
        minMs: 250,
        random: this.#random,
      });
      attempt += 1;
      const msg = live === null ? "camera not reachable" : "camera went offline";
      if (attempt === 1 || attempt % 10 === 0) {
        this.#log.warn({ err: failure, attempt, retryInMs: delayMs }, msg);
      } else {
        this.#log.debug({ err: failure, attempt, retryInMs: delayMs }, msg);
      }
      if (!(await sleepUnlessAborted(delayMs, signal))) break;
    }
  }

  /** One connected period: resolves on abort, throws when the camera is gone. */
  async #session(signal: AbortSignal): Promise<void> {
    const cfg = this.#o.config;
    const description = await resolveCamera({
      ...this.#o.discovery,
      cameraUrl: cfg.url ?? undefined,
      signal,
      timeoutMs: cfg.discovery.timeout_s * 1000,
      target: this.#o.discovery?.target ?? {
        address: cfg.discovery.address,
        port: cfg.discovery.port,
      },
      bindAddress: cfg.discovery.interface ?? undefined,
    });
    const client = new CameraClient({
      endpoints: description.endpoints,
      timeouts: { defaultMs: cfg.request_timeout_s * 1000 },
    });
    const api = new CameraApi(client);
    try {
      let apiVersions: string[] = [];
      try {
        apiVersions = await api.getVersions("camera", { signal });
      } catch (e) {
        // Some bodies have no getVersions (RX100M2 answers 404, §6.9): not fatal.
        if (!isBridgeError(e, "CAMERA_RPC") && !isBridgeError(e, "CAMERA_HTTP")) throw e;
      }
      let available = await api.getAvailableApiList({ signal });
      if (available.includes("startRecMode") && !SHOOTING_APIS.some((a) => available.includes(a))) {
        // Smart-Remote cameras: shooting APIs appear only after startRecMode, and not at once
        // (camera-api.md §6.1: SCQX1 sleeps 5 s; poll the list instead).
        this.#log.info("camera needs startRecMode");
        await api.startRecMode({ signal });
        const deadline = Date.now() + REC_MODE_WAIT_MS;
        while (!SHOOTING_APIS.some((a) => available.includes(a))) {
          if (Date.now() > deadline) {
            this.#log.warn("shooting APIs did not appear after startRecMode; continuing");
            break;
          }
          await sleep(250, signal);
          available = await api.getAvailableApiList({ signal });
        }
      }
      const info: CameraInfo = { description, apiVersions };
      let first = true;
      let live: Live | null = null;
      const poller = new EventPoller({
        rpc: client,
        longPollTimeoutMs: cfg.long_poll_timeout_s * 1000,
        random: this.#random,
        onState: (state, changed) => {
          this.#state = state;
          this.#emit((l) => l.onState?.(state, changed));
          if (live === null) return;
          if (first || changed.some((k) => CANDIDATE_TRIGGERS.has(k))) {
            first = false;
            this.#candidatesInBackground(live, signal);
          }
        },
        onPictures: (urls) => {
          this.#emit((l) => l.onPictures?.(urls));
        },
        onStatus: (from, to) => {
          this.#emit((l) => l.onStatus?.(from, to));
        },
        onError: (err, retry) => {
          this.#log.debug({ err, ...retry }, "getEvent failed; retrying");
        },
      });
      live = { client, api, poller, info, availableApis: available };
      this.#live = live;
      this.#log.info(
        {
          model: description.friendlyName ?? description.modelName,
          endpoint: description.endpoints.camera,
          apiVersions,
        },
        "camera online",
      );
      this.#setOnline(true);
      await poller.run(signal);
    } catch (e) {
      await client.close();
      throw e;
    }
  }

  #againRequested(): boolean {
    return this.#candidates.again;
  }

  #candidatesInBackground(live: Live, signal: AbortSignal): void {
    this.#fetchCandidates(live, signal).catch((e: unknown) => {
      this.#log.debug({ err: e }, "fetching candidates failed");
    });
  }

  /**
   * Calls every getAvailable* the camera lists (plus getStorageInformation) and merges the replies
   * into the state: getEvent does not carry still-size and white-balance candidates, and on the
   * QX10 leaves iso / white balance / exposure compensation null (events.ts `applyAvailable`).
   * One run at a time; a request during a run makes it run once more.
   */
  async #fetchCandidates(live: Live, signal: AbortSignal): Promise<void> {
    if (this.#candidates.running) {
      this.#candidates.again = true;
      return;
    }
    this.#candidates.running = true;
    try {
      do {
        this.#candidates.again = false;
        const apis = live.poller.state.available_apis ?? live.availableApis;
        for (const method of AVAILABLE_METHODS) {
          if (method === "getAvailableApiList" || !apis.includes(method)) continue;
          if (signal.aborted || this.#live !== live) return;
          try {
            const result = await live.client.call("camera", method, [], "1.0", { signal });
            live.poller.mergeAvailable(method, result);
          } catch (e) {
            if (isAborted(signal) || isBridgeError(e, "ABORTED")) return;
            // A camera busy capturing answers 1 or 40401 for a moment; the next trigger retries.
            this.#log.debug({ err: e, method }, "candidate call failed");
          }
        }
      } while (this.#againRequested());
    } finally {
      this.#candidates.running = false;
    }
  }
}
