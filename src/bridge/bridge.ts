/**
 * The bridge (issue 4; the topic contract is shared/docs/mqtt-api.md): MQTT commands in, camera
 * state, availability, events, liveview frames and snapshots out. Orchestration only: commands are
 * parsed by ./commands.ts and executed by ./command-runner.ts, liveview by ./liveview-publisher.ts,
 * snapshots by ./snapshot.ts, the camera is kept connected by ./camera-session.ts.
 *
 * - Subscribes `<base>/cmd/+` only (never `<base>/#`, mqtt-ha.md §1.5); other topics (the HA status
 *   topic, issue 5) through {@link Bridge.handleTopic}.
 * - Retained command messages are ignored (mqtt-api.md; mqtt-ha.md §1.4): those the broker delivers
 *   on subscribe, and live ones over MQTT 5, where the connection subscribes with
 *   retain-as-published (src/mqtt/connection.ts).
 * - Exactly one result per command message on `<base>/cmd/<name>/result` (QoS 1, not retained),
 *   plus a copy on the MQTT 5 response topic with the request's correlation data (mqtt-ha.md §1.3).
 * - `<base>/state` retained, every key present, republished on change, coalesced to at most one
 *   publish per {@link BridgeOptions.stateCoalesceMs}.
 * - In-process consumers (the HTTP server of issue 9, src/http/): liveview frames
 *   ({@link Bridge.subscribeLiveview}, which also keeps the camera stream running), the newest
 *   frame, the last snapshot, the state document, a status summary, and {@link Bridge.runCommand},
 *   the same parse-and-run path as an MQTT command message.
 */
import { type CameraApi } from "../camera/api.js";
import { type CameraState } from "../camera/events.js";
import { type RpcCaller } from "../camera/types.js";
import { type Config } from "../config/load.js";
import { redactConfig } from "../config/redact.js";
import { BridgeError } from "../errors.js";
import { type FocusFrame } from "../liveview/types.js";
import { type Logger } from "../log.js";
import {
  OFFLINE_PAYLOAD,
  ONLINE_PAYLOAD,
  type IncomingMessage,
  type MqttConnection,
  type PublishProperties,
} from "../mqtt/connection.js";
import * as topics from "../mqtt/topics.js";
import { type CameraInfo, type CameraSession } from "./camera-session.js";
import { CommandRunner, type CommandHost } from "./command-runner.js";
import { resultFromError, type CommandResult } from "./commands.js";
import { parseCommandPayload } from "./commands-schema.js";
import { LiveviewPublisher, type LiveviewConsumer } from "./liveview-publisher.js";
import { openCameraLiveview } from "./liveview-source.js";
import { SnapshotManager, type SnapshotAttributes } from "./snapshot.js";
import { buildStateDocument, stateFingerprint, type StateDocument } from "./state.js";
import { HaDiscoveryPublisher } from "../ha/publisher.js";

/** Camera-state keys whose change can change the HA entity set or select options. */
const HA_KEYS: ReadonlySet<keyof CameraState> = new Set<keyof CameraState>([
  "shoot_modes",
  "self_timers",
  "exposure_modes",
  "available_apis",
  "battery",
  "storage",
]);

/** Options of {@link Bridge}. */
export interface BridgeOptions {
  config: Config;
  mqtt: MqttConnection;
  session: CameraSession;
  logger: Logger;
  /** The bridge's version (package.json), for `<base>/bridge/info`. */
  version: string;
  /** Minimum gap between two `<base>/state` publishes, ms (default 100: ≤ 10/s). */
  stateCoalesceMs?: number;
  /** Linger of the camera liveview stream after demand ends, ms (default 5000). */
  liveviewLingerMs?: number;
  /** Delay before a picture reported only by the camera is published, ms (default 1500). */
  pictureClaimDelayMs?: number;
  /** Clock (tests). */
  now?: () => Date;
}

/** A `<base>/event` message. */
export type BridgeEvent = { type: string } & Record<string, unknown>;

/** The last picture published on `<base>/snapshot` (see {@link Bridge.lastSnapshot}). */
export interface LastSnapshot {
  /** The postview JPEG as published. */
  bytes: Uint8Array;
  /** What `<base>/snapshot/attributes` said about it (`taken_at` = when the bridge learnt of it). */
  attributes: SnapshotAttributes;
}

/** A summary of the bridge and the camera (see {@link Bridge.status}). */
export interface BridgeStatus {
  /** The bridge's version. */
  version: string;
  /** Connected to the MQTT broker now. */
  mqtt_connected: boolean;
  /** The camera session is up (the camera answers). */
  camera_online: boolean;
  /** The camera's `cameraStatus` (e.g. "IDLE"), null while unknown. */
  camera_status: string | null;
  /** friendlyName or modelName from dd.xml, null while no camera was found. */
  camera_model: string | null;
  /** The camera liveview stream delivers frames now. */
  liveview_streaming: boolean;
  /** In-process liveview consumers (MJPEG viewers). */
  liveview_consumers: number;
  /** MQTT liveview publishing (`cmd/liveview`). */
  liveview_publishing: boolean;
}

/** The running bridge. Construct, `start(signal)`, and `await stop()` on the way out. */
export class Bridge {
  readonly #o: BridgeOptions;
  readonly #log: Logger;
  readonly #base: string;
  readonly #mqtt: MqttConnection;
  readonly #session: CameraSession;
  readonly #runner: CommandRunner;
  readonly #liveview: LiveviewPublisher;
  readonly #snapshots: SnapshotManager;
  readonly #controller = new AbortController();
  readonly #topicHandlers = new Map<string, (message: IncomingMessage) => void>();
  readonly #inFlight = new Set<Promise<unknown>>();
  readonly #cleanups: (() => void)[] = [];
  #liveviewOn: boolean;
  #liveviewFps: number;
  #stateTimer: NodeJS.Timeout | undefined;
  #lastStatePublish = 0;
  #lastStateFingerprint: string | undefined;
  #lastInfo: string | undefined;
  #started = false;
  #lastSnapshot: LastSnapshot | null = null;
  readonly #ha: HaDiscoveryPublisher | undefined;
  #stopPromise: Promise<void> | undefined;

  constructor(options: BridgeOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: "bridge" });
    this.#base = options.config.mqtt.base_topic;
    this.#mqtt = options.mqtt;
    this.#session = options.session;
    this.#liveviewOn = options.config.liveview.enabled;
    this.#liveviewFps = options.config.liveview.fps;
    this.#snapshots = new SnapshotManager({
      mqtt: options.mqtt,
      baseTopic: this.#base,
      config: options.config.snapshot,
      logger: options.logger,
      downloader: () =>
        options.session.client() === null ? null : (url, o) => options.session.download(url, o),
      emitEvent: (event) => {
        this.emitEvent(event);
      },
      // Every snapshot passes here (the bridge's shots and the camera's button alike): keep the
      // last one for in-process readers (issue 9, /picture.jpg).
      onPublished: (bytes, attributes) => {
        this.#lastSnapshot = { bytes, attributes };
      },
      ...(options.pictureClaimDelayMs === undefined
        ? {}
        : { claimDelayMs: options.pictureClaimDelayMs }),
      ...(options.now === undefined ? {} : { now: options.now }),
    });
    const lv = options.config.liveview;
    const liveviewTopic = topics.liveview(this.#base);
    const framesTopic = topics.liveviewFrames(this.#base);
    const frameProperties: PublishProperties = {
      contentType: "image/jpeg",
      messageExpiryInterval: lv.expiry_s,
    };
    this.#liveview = new LiveviewPublisher({
      fps: lv.fps,
      logger: options.logger.child({ component: "liveview" }),
      ...(options.liveviewLingerMs === undefined ? {} : { lingerMs: options.liveviewLingerMs }),
      openStream: (signal) =>
        openCameraLiveview(() => options.session.camera(), signal, {
          maxPayloadBytes: lv.max_bytes,
        }),
      stopCamera: async (signal) => {
        const api = options.session.camera();
        if (api !== null) await api.stopLiveview({ signal });
      },
      publishFrame: (jpeg) => {
        if (jpeg.length > lv.max_bytes) return Promise.resolve(false);
        return this.#mqtt.publish(liveviewTopic, jpeg, { qos: 0, properties: frameProperties });
      },
      publishFocusFrames: (frames: readonly FocusFrame[]) => {
        void this.#mqtt.publish(framesTopic, JSON.stringify({ frames }), { qos: 0 });
      },
      onStatus: (status) => {
        const event: BridgeEvent = { type: "liveview", state: status.state };
        if (status.error !== undefined) {
          event["error"] =
            status.error instanceof Error ? status.error.message : "liveview stream failed";
        }
        this.emitEvent(event);
      },
    });
    const host: CommandHost = {
      camera: (): CameraApi | null => this.#session.camera(),
      rpc: (): RpcCaller | null => this.#session.client(),
      mergeAvailable: (method, result) => {
        this.#session.mergeAvailable(method, result);
      },
      state: (): CameraState => this.#session.state,
      setLiveviewPublishing: (on) => {
        this.#liveviewOn = on;
        this.#liveview.setPublishing(on);
        this.#scheduleState();
      },
      setLiveviewFps: (fps) => {
        this.#liveviewFps = fps;
        this.#liveview.setFps(fps);
        this.#scheduleState();
      },
      refresh: async (signal) => {
        await this.#session.refresh(signal);
        this.#flushState(true);
      },
      pictureTaken: async (urls, o) => {
        const outcomes = await this.#snapshots.pictureTaken(urls, o);
        const last = outcomes.at(-1);
        // Merged into the result's `data` next to `urls` by the runner.
        return {
          snapshot: last?.snapshot ?? null,
          ...(last?.error === undefined ? {} : { snapshot_error: last.error }),
        };
      },
      emitEvent: (event) => {
        this.emitEvent(event);
      },
      rpcAllow: options.config.rpc.allow,
    };
    const haConfig = options.config.homeassistant;
    this.#ha = haConfig.enabled
      ? new HaDiscoveryPublisher({
          publish: (topic, payload, o) => this.#mqtt.publish(topic, payload, o),
          subscribe: (filter) => this.#mqtt.subscribe(filter),
          unsubscribe: (filter) => this.#mqtt.unsubscribe(filter),
          config: {
            prefix: haConfig.discovery_prefix,
            status_topic: haConfig.status_topic,
            discovery_mode: haConfig.discovery_mode,
          },
          onBirth: () => {
            void this.#mqtt.retained(
              topics.availability(this.#base),
              this.#session.online ? ONLINE_PAYLOAD : OFFLINE_PAYLOAD,
            );
            this.#flushState(true);
          },
          logger: options.logger.child({ component: "homeassistant" }),
        })
      : undefined;
    this.#runner = new CommandRunner(host, {
      logger: options.logger.child({ component: "commands" }),
    });
  }

  /**
   * Wires MQTT and the camera session and starts the liveview publisher. Does not wait for the
   * broker or the camera (both may come later). Call once.
   */
  async start(signal: AbortSignal): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    const onAbort = (): void => {
      this.#controller.abort(signal.reason);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    this.#cleanups.push(() => {
      signal.removeEventListener("abort", onAbort);
    });

    this.#cleanups.push(
      this.#mqtt.onMessage((m) => {
        this.#onMessage(m);
      }),
    );
    this.#cleanups.push(
      this.#session.subscribe({
        onAvailability: (online, info) => {
          this.#onAvailability(online, info);
        },
        onState: (_state, changed) => {
          this.#scheduleState();
          if (changed.some((k) => HA_KEYS.has(k))) this.#updateDiscovery();
          if (changed.includes("available_apis")) this.#publishInfo();
        },
        onPictures: (urls) => {
          this.#snapshots.cameraReported(urls);
        },
        onStatus: (from, to) => {
          this.emitEvent({ type: "camera_status", from, to });
        },
      }),
    );
    if (this.#ha !== undefined) {
      const ha = this.#ha;
      this.#cleanups.push(
        this.#mqtt.onConnect(() => {
          ha.republishAll().catch((e: unknown) => {
            this.#log.warn({ err: e }, "Home Assistant discovery republish failed");
          });
        }),
      );
      await ha.start();
    }
    this.#publishInfo();
    this.#liveview.start(this.#controller.signal);
    if (this.#liveviewOn) this.#liveview.setPublishing(true);
    await this.#mqtt.subscribe(topics.commandWildcard(this.#base));
  }

  /**
   * Routes messages on `topic` (an exact topic, subscribed here) to `handler` — the hook for the
   * Home Assistant status topic (issue 5). Returns a function that removes the route.
   */
  async handleTopic(
    topic: string,
    handler: (message: IncomingMessage) => void,
  ): Promise<() => void> {
    this.#topicHandlers.set(topic, handler);
    await this.#mqtt.subscribe(topic);
    return () => {
      this.#topicHandlers.delete(topic);
    };
  }

  /** Publishes a `<base>/event` message (QoS 1, not retained). */
  emitEvent(event: BridgeEvent): void {
    void this.#mqtt.publish(topics.event(this.#base), JSON.stringify(event), { qos: 1 });
  }

  /** Whether liveview frames are published (the `liveview` key of the state). */
  get liveviewPublishing(): boolean {
    return this.#liveviewOn;
  }

  /** Liveview counters (for diagnostics). */
  get liveviewStats(): LiveviewPublisher["stats"] {
    return this.#liveview.stats;
  }

  /**
   * Adds a liveview frame consumer (LiveviewPublisher.subscribe): called synchronously with every
   * trimmed JPEG at the camera's full rate; while any consumer is subscribed the camera stream runs
   * (it stops after the linger once the last one leaves and MQTT publishing is off).
   * @returns unsubscribe (idempotent)
   */
  subscribeLiveview(consumer: LiveviewConsumer): () => void {
    return this.#liveview.subscribe(consumer);
  }

  /**
   * The newest liveview frame, or null when none arrived yet or (with `maxAgeMs`) it is older than
   * that many ms.
   */
  latestLiveviewFrame(maxAgeMs?: number): Uint8Array | null {
    return this.#liveview.latestFrame(maxAgeMs);
  }

  /** The last snapshot published since start, or null when none was. */
  get lastSnapshot(): LastSnapshot | null {
    return this.#lastSnapshot;
  }

  /** The state document as `<base>/state` would carry it now (`updated_at` = now). */
  stateDocument(): StateDocument {
    return buildStateDocument(
      this.#session.state,
      { liveview: this.#liveviewOn, liveviewFps: this.#liveviewFps },
      this.#o.now?.() ?? new Date(),
    );
  }

  /** A summary of the bridge and the camera. */
  get status(): BridgeStatus {
    const d = this.#session.info?.description;
    const lv = this.#liveview;
    return {
      version: this.#o.version,
      mqtt_connected: this.#mqtt.connected,
      camera_online: this.#session.online,
      camera_status: this.#session.state.camera_status,
      camera_model: d === undefined ? null : (d.friendlyName ?? d.modelName ?? null),
      liveview_streaming: lv.stats.streaming,
      liveview_consumers: lv.consumers,
      liveview_publishing: this.#liveviewOn,
    };
  }

  /**
   * Runs a command exactly as a message on `<base>/cmd/<name>` with this payload would (same
   * parser, same runner, same queue, same events, state and snapshot publishes) and resolves with
   * its result object; the result goes to the caller only, not to `<base>/cmd/<name>/result`.
   * Never rejects: unknown names and bad payloads give error results (`COMMAND_INVALID`), a
   * stopping bridge `ABORTED`.
   */
  runCommand(name: string, payload: Uint8Array): Promise<CommandResult> {
    if (this.#controller.signal.aborted) {
      return Promise.resolve(resultFromError(new BridgeError("ABORTED", "the bridge is stopping")));
    }
    const parsed = parseCommandPayload(name, payload);
    if (!parsed.ok) {
      this.#log.info({ command: name, error: parsed.result }, "invalid command");
      return Promise.resolve(parsed.result);
    }
    this.#log.debug({ command: name }, "command");
    const task = this.#runner
      .run(parsed.command, parsed.transaction, this.#controller.signal)
      .catch((e: unknown): CommandResult => {
        // The runner resolves with error results itself; this is a last resort.
        this.#log.error({ err: e, command: name }, "command runner threw");
        return resultFromError(e, parsed.transaction);
      });
    this.#inFlight.add(task);
    void task.finally(() => this.#inFlight.delete(task));
    return task;
  }

  /**
   * Stops in order: the liveview (and the camera's stream), running commands (a timelapse is
   * cancelled), pending snapshots; then publishes the last state and retained `offline` on
   * `<base>/availability` (the bridge no longer watches the camera). Does not stop the MQTT
   * connection or the camera session (app.ts does, after this). Idempotent.
   */
  stop(): Promise<void> {
    this.#stopPromise ??= this.#stop();
    return this.#stopPromise;
  }

  async #stop(): Promise<void> {
    this.#controller.abort(new BridgeError("ABORTED", "bridge stopping"));
    for (const c of this.#cleanups.splice(0)) c();
    await this.#ha?.stop();
    await this.#liveview.stop().catch((e: unknown) => {
      this.#log.warn({ err: e }, "liveview stop failed");
    });
    await this.#runner.stop().catch((e: unknown) => {
      this.#log.warn({ err: e }, "command runner stop failed");
    });
    await this.#snapshots.stop();
    await Promise.allSettled([...this.#inFlight]);
    if (this.#stateTimer !== undefined) clearTimeout(this.#stateTimer);
    this.#stateTimer = undefined;
    if (this.#mqtt.connected) {
      await this.#mqtt.retained(topics.availability(this.#base), OFFLINE_PAYLOAD);
    }
  }

  #onMessage(m: IncomingMessage): void {
    // HA status topic (birth) and the stale-config scan of src/ha/publisher.ts.
    if (this.#ha?.handleMessage(m.topic, m.payload) === true) return;
    const handler = this.#topicHandlers.get(m.topic);
    if (handler !== undefined) {
      handler(m);
      return;
    }
    // Any `<base>/cmd/<name>` (what `<base>/cmd/+` delivers): unknown names get an error result
    // from the parser too, so every command message is answered.
    const prefix = `${this.#base}/cmd/`;
    if (!m.topic.startsWith(prefix)) return;
    const name = m.topic.slice(prefix.length);
    if (name === "" || name.includes("/")) return;
    if (m.retain) {
      // Never replay a retained command (a shot on every restart): mqtt-api.md, mqtt-ha.md §1.4.
      this.#log.warn({ topic: m.topic }, "ignoring a retained command message");
      return;
    }
    if (this.#controller.signal.aborted) return;
    const task = this.runCommand(name, m.payload).then((result) => {
      this.#publishResult(name, result, m);
    });
    this.#inFlight.add(task);
    void task.finally(() => this.#inFlight.delete(task));
  }

  #publishResult(name: string, result: CommandResult, request: IncomingMessage): void {
    const payload = JSON.stringify(result);
    void this.#mqtt.publish(topics.commandResult(this.#base, name), payload, { qos: 1 });
    // MQTT 5 request/response (mqtt-ha.md §1.3): a second copy on the response topic.
    const responseTopic = request.properties.responseTopic;
    if (typeof responseTopic === "string" && responseTopic !== "") {
      const correlationData = request.properties.correlationData;
      void this.#mqtt.publish(responseTopic, payload, {
        qos: 1,
        ...(correlationData === undefined ? {} : { properties: { correlationData } }),
      });
    }
  }

  #onAvailability(online: boolean, _info: CameraInfo | null): void {
    void this.#mqtt.retained(
      topics.availability(this.#base),
      online ? ONLINE_PAYLOAD : OFFLINE_PAYLOAD,
    );
    this.#publishInfo();
    this.#scheduleState();
    if (online) this.#updateDiscovery();
  }

  #updateDiscovery(): void {
    const info = this.#session.info;
    if (this.#ha === undefined || info === null) return;
    const d = info.description;
    this.#ha
      .update({
        baseTopic: this.#base,
        bridgeVersion: this.#o.version,
        camera: {
          udn: d.udn ?? d.endpoints.camera ?? this.#base,
          model: d.friendlyName ?? d.modelName ?? "Sony camera",
        },
        state: this.#session.state,
      })
      .catch((e: unknown) => {
        this.#log.warn({ err: e }, "Home Assistant discovery update failed");
      });
  }

  #scheduleState(): void {
    if (this.#stateTimer !== undefined || this.#stopPromise !== undefined) return;
    const gap = this.#o.stateCoalesceMs ?? 100;
    const wait = Math.max(0, this.#lastStatePublish + gap - Date.now());
    this.#stateTimer = setTimeout(() => {
      this.#stateTimer = undefined;
      this.#flushState(false);
    }, wait);
  }

  /** Publishes the state document when it differs from the last one (or always with `force`). */
  #flushState(force: boolean): void {
    if (!this.#session.known && !force) return;
    const doc = buildStateDocument(
      this.#session.state,
      { liveview: this.#liveviewOn, liveviewFps: this.#liveviewFps },
      this.#o.now?.() ?? new Date(),
    );
    const fingerprint = stateFingerprint(doc);
    if (!force && fingerprint === this.#lastStateFingerprint) return;
    this.#lastStateFingerprint = fingerprint;
    this.#lastStatePublish = Date.now();
    void this.#mqtt.retained(topics.state(this.#base), JSON.stringify(doc));
  }

  #publishInfo(): void {
    const info = this.#session.info;
    const d = info?.description;
    const doc = {
      version: this.#o.version,
      camera_online: this.#session.online,
      camera_model: d === undefined ? null : (d.friendlyName ?? d.modelName),
      camera_udn: d?.udn ?? null,
      camera_endpoint: d?.endpoints.camera ?? null,
      camera_location: d?.location ?? null,
      api_versions: info?.apiVersions ?? null,
      available_apis: info === null ? null : this.#session.state.available_apis,
      config: redactConfig(this.#o.config),
    };
    const json = JSON.stringify(doc);
    if (json === this.#lastInfo) return;
    this.#lastInfo = json;
    void this.#mqtt.retained(topics.bridgeInfo(this.#base), json);
  }
}
