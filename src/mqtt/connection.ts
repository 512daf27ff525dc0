/**
 * The MQTT edge: one mqtt.js 5 client with the bridge's connection rules (mqtt-api.md "Topics",
 * mqtt-ha.md §1.4, style.md Part 3 "Reconnect").
 *
 * - Last Will: retained `{"state":"offline"}` on `<base>/bridge/state`, QoS 1. On every connect:
 *   retained `{"state":"online"}` there, then every topic registered with {@link MqttConnection.retained}
 *   (Zigbee2MQTT style, so a broker without persistence gets discovery, state and snapshot back).
 * - Waits for a broker that is not up yet: `mqtt.connect()` plus a permanent `error` listener; never
 *   `connectAsync`/`events.once(client, "connect")`, which reject on the first ECONNREFUSED.
 * - Reconnects with exponential backoff and jitter between `mqtt.reconnect_min_s` and
 *   `reconnect_max_s` (mqtt.js alone retries at a fixed interval with no back-off, style.md §2.4), and
 *   logs a failure once per outage, not once per attempt.
 * - MQTT 5 by default; with `protocol_version: auto` a broker that refuses 5 (CONNACK code 1 or
 *   0x84) is retried with 3.1.1 for the rest of the run.
 * - While disconnected: QoS 0 publishes (liveview) are dropped and counted; QoS 1 publishes are
 *   queued by mqtt.js, bounded by `offline_queue_max_messages`/`offline_queue_max_bytes`, beyond
 *   which they are dropped and counted. Retained topics are not queued: their latest value goes out
 *   on the next connect.
 * - Subscribes only to what it is told (the bridge: `<base>/cmd/+` and the HA status topic), again
 *   after every reconnect; over MQTT 5 with retain-as-published, so retained commands are visible
 *   on live delivery too, and no-local.
 */
import { readFile } from "node:fs/promises";
import {
  connect,
  ErrorWithReasonCode,
  type IClientOptions,
  type IClientPublishOptions,
  type IConnackPacket,
  type IPublishPacket,
  type MqttClient,
} from "mqtt";
import { type MqttConfig, effectiveClientId } from "../config/load.js";
import { BridgeError } from "../errors.js";
import { type Logger } from "../log.js";
import { abortError, settleWithin } from "../util/abort.js";
import { backoffDelay } from "../util/backoff.js";
import { bridgeState } from "./topics.js";
import { Socket } from "node:net";

/** Payload of `<base>/bridge/state` while the bridge runs. */
export const ONLINE_PAYLOAD = '{"state":"online"}';
/** Payload of `<base>/bridge/state` after a clean stop, and the Last Will. */
export const OFFLINE_PAYLOAD = '{"state":"offline"}';

/** How long stop() waits for the `offline` PUBACK and for the DISCONNECT, each, in ms. */
const STOP_STEP_TIMEOUT_MS = 2000;

/** MQTT 5 PUBLISH properties the bridge sets (mqtt.js names). */
export type PublishProperties = NonNullable<IClientPublishOptions["properties"]>;

/** Options of {@link MqttConnection.publish}. */
export interface PublishOptions {
  /** Default false. */
  retain?: boolean;
  /** Default 1 (almost every topic of the contract is QoS 1; liveview passes 0). */
  qos?: 0 | 1;
  /** MQTT 5 properties (contentType, messageExpiryInterval, correlationData ...); dropped on 3.1.1. */
  properties?: PublishProperties;
}

/** Options of {@link MqttConnection.subscribe}. */
export interface SubscribeOptions {
  /** Maximum QoS of deliveries; default 1. */
  qos?: 0 | 1;
}

/** A message delivered on one of our subscriptions. */
export interface IncomingMessage {
  topic: string;
  payload: Buffer;
  /**
   * Retain flag as delivered: set for retained messages sent on subscribe, and (MQTT 5 only, thanks
   * to retain-as-published) for live messages that were published retained.
   */
  retain: boolean;
  qos: 0 | 1 | 2;
  /** MQTT 5 properties (`responseTopic`, `correlationData`, ...); `{}` on 3.1.1. */
  properties: NonNullable<IPublishPacket["properties"]>;
}

/** What {@link MqttConnection.onConnect} handlers learn about a (re)connect. */
export interface ConnectInfo {
  /** True for the first connection of this run. */
  first: boolean;
  /** 5 or 4 (3.1.1). */
  protocolVersion: 4 | 5;
}

/** Counters of {@link MqttConnection.stats}. */
export interface MqttStats {
  /** Successful connections (CONNACK 0) so far. */
  connects: number;
  /** QoS 0 publishes dropped because we were disconnected. */
  droppedQos0: number;
  /** QoS 1 publishes dropped because the offline queue was full. */
  droppedQueueFull: number;
  /** Publishes refused before sending because they exceed the broker's maximum packet size. */
  droppedTooLarge: number;
  /** Publishes that mqtt.js reported as failed (connection closed before the ack, stop, ...). */
  failed: number;
  /** QoS 1 messages currently waiting for an ack (queued offline or in flight). */
  pending: number;
  /** Their payload bytes. */
  pendingBytes: number;
}

/** Options of the {@link MqttConnection} constructor. */
export interface MqttConnectionOptions {
  logger: Logger;
  /** Random source for the reconnect jitter (tests). Default Math.random. */
  random?: () => number;
}

interface RetainedEntry {
  payload: Buffer;
  properties: PublishProperties | undefined;
}

/** CONNACK codes that mean "this broker does not speak MQTT 5": 3.1.1's 1, MQTT 5's 0x84. */
const UNSUPPORTED_VERSION_CODES: ReadonlySet<number> = new Set([1, 0x84]);
/**
 * CONNACK codes that will not go away by retrying: 3.1.1 identifier rejected (2), bad user name or
 * password (4), not authorized (5); MQTT 5 client identifier not valid (0x85), bad user name or
 * password (0x86), not authorized (0x87), banned (0x8a), bad authentication method (0x8c).
 */
const REFUSED_CODES: ReadonlySet<number> = new Set([2, 4, 5, 0x85, 0x86, 0x87, 0x8a, 0x8c]);

function toBuffer(payload: string | Uint8Array): Buffer {
  return typeof payload === "string"
    ? Buffer.from(payload, "utf8")
    : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
}

function varintSize(n: number): number {
  return n < 128 ? 1 : n < 16_384 ? 2 : n < 2_097_152 ? 3 : 4;
}

/**
 * Upper estimate of the size in bytes of a PUBLISH packet (MQTT 5 §3.3), to compare with the
 * broker's `maximumPacketSize` before sending: a broker disconnects a client that exceeds it
 * (mqtt-ha.md §5). Properties are estimated from their JSON size, which is never smaller.
 */
export function estimatePublishPacketSize(
  topic: string,
  payloadBytes: number,
  properties?: PublishProperties,
): number {
  const propsBytes =
    properties === undefined
      ? 0
      : Buffer.byteLength(
          JSON.stringify(properties, (_k, v: unknown) =>
            Buffer.isBuffer(v) ? "x".repeat(v.length + 3) : v,
          ),
        );
  const remaining =
    2 + Buffer.byteLength(topic) + 2 + varintSize(propsBytes) + propsBytes + payloadBytes;
  return 1 + varintSize(remaining) + remaining;
}

/**
 * The bridge's MQTT connection. Construct, register retained topics / subscriptions / handlers
 * (any time), `await start(signal)`, and `await stop()` on the way out.
 */
export class MqttConnection {
  readonly #config: MqttConfig;
  readonly #log: Logger;
  readonly #random: () => number;
  readonly #base: string;
  readonly #retained = new Map<string, RetainedEntry>();
  readonly #subscriptions = new Map<string, SubscribeOptions>();
  readonly #messageHandlers = new Set<(m: IncomingMessage) => void>();
  readonly #connectHandlers = new Set<(info: ConnectInfo) => void>();
  readonly #stats: MqttStats = {
    connects: 0,
    droppedQos0: 0,
    droppedQueueFull: 0,
    droppedTooLarge: 0,
    failed: 0,
    pending: 0,
    pendingBytes: 0,
  };

  #client: MqttClient | undefined;
  #version: 4 | 5;
  #startPromise: Promise<void> | undefined;
  #stopPromise: Promise<void> | undefined;
  #stopping = false;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #attempt = 0;
  #outageLogged = false;
  #outageSince: number | undefined;
  #maximumPacketSize: number | undefined;
  /** Settles the promise of start(): set while start() waits for the first connection. */
  #firstConnect: { resolve: () => void; reject: (e: unknown) => void } | undefined;

  /**
   * @param config - the `mqtt` section of the validated config
   * @param options - logger (a child with `component: "mqtt"` is derived) and test hooks
   */
  constructor(config: MqttConfig, options: MqttConnectionOptions) {
    this.#config = config;
    this.#log = options.logger.child({ component: "mqtt" });
    this.#random = options.random ?? Math.random;
    this.#base = config.base_topic;
    this.#version = config.protocol_version === 4 ? 4 : 5;
  }

  /** `mqtt.base_topic`. */
  get baseTopic(): string {
    return this.#base;
  }

  /** True while a connection is established (CONNACK received, socket open). */
  get connected(): boolean {
    return this.#client?.connected === true;
  }

  /** Protocol of the current (or next) connection: 5, or 4 after a fallback to 3.1.1. */
  get protocolVersion(): 4 | 5 {
    return this.#version;
  }

  /**
   * The broker's Maximum Packet Size from the last MQTT 5 CONNACK, in bytes; `undefined` when the
   * broker set none or the connection is MQTT 3.1.1. Publishes larger than this are refused
   * (counted in `droppedTooLarge`) because the broker would disconnect us.
   */
  get maximumPacketSize(): number | undefined {
    return this.#maximumPacketSize;
  }

  /** A snapshot of the counters. */
  get stats(): Readonly<MqttStats> {
    return { ...this.#stats };
  }

  /**
   * Registers a handler for messages on our subscriptions; returns a function that removes it.
   * Handlers run synchronously in the mqtt.js event; exceptions are logged, not propagated.
   */
  onMessage(handler: (message: IncomingMessage) => void): () => void {
    this.#messageHandlers.add(handler);
    return () => this.#messageHandlers.delete(handler);
  }

  /**
   * Registers a handler called after every successful connect, once `online`, the retained topics
   * and the subscriptions have been sent. Returns a function that removes it.
   */
  onConnect(handler: (info: ConnectInfo) => void): () => void {
    this.#connectHandlers.add(handler);
    return () => this.#connectHandlers.delete(handler);
  }

  /**
   * Connects. Resolves when the broker first accepts us — waiting as long as it takes for a
   * broker that is down or not up yet.
   * @throws BridgeError `ABORTED` when `signal` fires first; `MQTT_UNAVAILABLE` when the broker
   *   refuses us for good before the first connection (bad credentials, not authorized, banned,
   *   invalid client id); `CONFIG_INVALID` when a TLS file cannot be read.
   */
  start(signal: AbortSignal): Promise<void> {
    this.#startPromise ??= this.#start(signal);
    return this.#startPromise;
  }

  async #start(signal: AbortSignal): Promise<void> {
    const check = (): void => {
      if (signal.aborted) throw abortError(signal);
      if (this.#stopPromise !== undefined) {
        throw new BridgeError("ABORTED", "MQTT connection already stopped");
      }
    };
    check();
    const options = await this.#clientOptions();
    check(); // stop() or abort while the TLS files were read

    const connected = new Promise<void>((resolve, reject) => {
      this.#firstConnect = { resolve, reject };
    });
    const onAbort = (): void => {
      this.#firstConnect?.reject(abortError(signal));
      this.#firstConnect = undefined;
      this.#teardown();
    };
    signal.addEventListener("abort", onAbort, { once: true });

    const client = connect(this.#config.url, options);
    this.#client = client;
    client.on("connect", (connack) => {
      this.#onConnect(connack);
    });
    client.on("close", () => {
      this.#onClose();
    });
    // A permanent listener: an `error` event without one would crash the process.
    client.on("error", (err) => {
      this.#onError(err);
    });
    client.on("disconnect", (packet) => {
      this.#log.warn({ reasonCode: packet.reasonCode }, "broker sent DISCONNECT");
    });
    client.on("message", (topic, payload, packet) => {
      this.#dispatch(topic, payload, packet);
    });
    this.#log.debug(
      { url: this.#config.url, clientId: options.clientId, protocolVersion: this.#version },
      "connecting",
    );
    client.connect();
    try {
      await connected;
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  async #clientOptions(): Promise<IClientOptions> {
    const c = this.#config;
    const readPem = async (key: string, path: string | null): Promise<Buffer | undefined> => {
      if (path === null) return undefined;
      try {
        return await readFile(path);
      } catch (e) {
        throw new BridgeError("CONFIG_INVALID", `mqtt.tls.${key}: cannot read ${path}`, {
          cause: e,
        });
      }
    };
    const [ca, cert, key] = await Promise.all([
      readPem("ca", c.tls.ca),
      readPem("cert", c.tls.cert),
      readPem("key", c.tls.key),
    ]);
    const options: IClientOptions = {
      clientId: effectiveClientId(c),
      protocolVersion: this.#version,
      clean: true,
      keepalive: c.keepalive_s,
      connectTimeout: c.connect_timeout_s * 1000,
      // We drive reconnects ourselves (backoff with a cap); mqtt.js would retry at a fixed period.
      reconnectPeriod: 0,
      // Our own registry resubscribes after each connect (it survives a protocol fallback too).
      resubscribe: false,
      // Never buffer liveview frames while offline (mqtt-ha.md §6).
      queueQoSZero: false,
      manualConnect: true,
      will: {
        topic: bridgeState(this.#base),
        payload: Buffer.from(OFFLINE_PAYLOAD),
        qos: 1,
        retain: true,
      },
      rejectUnauthorized: c.tls.reject_unauthorized,
    };
    // Credentials in the URL (mqtt://user:pass@host) are used by mqtt.js unless overridden here.
    if (c.username !== null) options.username = c.username;
    if (c.password !== null) options.password = c.password;
    if (ca !== undefined) options.ca = ca;
    if (cert !== undefined) options.cert = cert;
    if (key !== undefined) options.key = key;
    if (c.tls.servername !== null) options.servername = c.tls.servername;
    return options;
  }

  #onConnect(connack: IConnackPacket): void {
    const client = this.#client;
    if (client === undefined) return;
    // mqtt.js leaves Nagle on: a small PUBLISH (a command result) then waits for the broker's
    // delayed ACK, ~40 ms per exchange (BENCHMARKS.md §5, command round trip). Frames and results
    // are latency-sensitive, so send at once. The socket is new on every reconnect.
    const socket: unknown = client.stream;
    if (socket instanceof Socket) socket.setNoDelay(true);
    const first = this.#stats.connects === 0;
    this.#stats.connects += 1;
    this.#attempt = 0;
    this.#maximumPacketSize =
      this.#version === 5 ? connack.properties?.maximumPacketSize : undefined;
    const context = {
      url: this.#config.url,
      protocolVersion: this.#version,
      maximumPacketSize: this.#maximumPacketSize,
    };
    if (!first && this.#outageSince !== undefined) {
      this.#log.info({ ...context, downMs: Date.now() - this.#outageSince }, "reconnected");
    } else {
      this.#log.info(context, "connected");
    }
    this.#outageLogged = false;
    this.#outageSince = undefined;

    // online first, then the retained registry, in registration order (z2m).
    void this.#send(bridgeState(this.#base), Buffer.from(ONLINE_PAYLOAD), {
      retain: true,
      qos: 1,
    });
    for (const [topic, entry] of this.#retained) {
      void this.#send(topic, entry.payload, {
        retain: true,
        qos: 1,
        ...(entry.properties === undefined ? {} : { properties: entry.properties }),
      });
    }
    if (!connack.sessionPresent) {
      for (const [filter, opts] of this.#subscriptions) {
        this.#subscribeNow(filter, opts).catch((e: unknown) => {
          this.#log.error({ err: e, filter }, "resubscribe failed");
        });
      }
    }
    for (const handler of this.#connectHandlers) {
      try {
        handler({ first, protocolVersion: this.#version });
      } catch (e) {
        this.#log.error({ err: e }, "connect handler threw");
      }
    }
    this.#firstConnect?.resolve();
    this.#firstConnect = undefined;
  }

  #onClose(): void {
    if (this.#stopping) return;
    if (this.#outageSince === undefined) {
      this.#outageSince = Date.now();
      if (this.#stats.connects > 0) this.#log.warn("connection to the broker lost; reconnecting");
    }
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    if (this.#stopping || this.#reconnectTimer !== undefined) return;
    const baseMs = this.#config.reconnect_min_s * 1000;
    const delayMs = backoffDelay(this.#attempt, {
      baseMs,
      maxMs: this.#config.reconnect_max_s * 1000,
      minMs: baseMs,
      random: this.#random,
    });
    this.#attempt += 1;
    this.#log.debug({ attempt: this.#attempt, delayMs }, "reconnect scheduled");
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      if (this.#stopping || this.#client === undefined) return;
      this.#client.connect();
    }, delayMs);
  }

  #onError(err: Error): void {
    // mqtt.js raises CONNACK refusals as ErrorWithReasonCode before `connected` is set; the codes
    // checked below are CONNACK codes only (PUBACK/SUBACK failures go to their callbacks).
    if (err instanceof ErrorWithReasonCode && !this.connected) {
      const code = err.code;
      if (
        UNSUPPORTED_VERSION_CODES.has(code) &&
        this.#version === 5 &&
        this.#config.protocol_version === "auto"
      ) {
        this.#fallBackTo311();
        return;
      }
      if (REFUSED_CODES.has(code) && this.#stats.connects === 0 && this.#firstConnect) {
        const error = new BridgeError(
          "MQTT_UNAVAILABLE",
          `broker refused the connection: ${err.message}`,
          {
            cause: err,
            context: { reasonCode: code },
          },
        );
        this.#log.error({ err, reasonCode: code }, "broker refused the connection");
        this.#firstConnect.reject(error);
        this.#firstConnect = undefined;
        this.#teardown();
        return;
      }
    }
    if (!this.#outageLogged) {
      this.#outageLogged = true;
      this.#log.warn(
        { err, url: this.#config.url },
        "MQTT broker not reachable; retrying until it is (logged once per outage)",
      );
    } else {
      this.#log.debug({ err }, "MQTT connection attempt failed");
    }
  }

  #fallBackTo311(): void {
    const client = this.#client;
    if (client === undefined) return;
    this.#log.info("broker refuses MQTT 5; using MQTT 3.1.1 from now on");
    this.#version = 4;
    client.options.protocolVersion = 4;
    delete client.options.properties;
    if (client.options.will !== undefined) delete client.options.will.properties;
    // Retry after the shortest delay rather than a grown backoff step: the broker is fine.
    this.#attempt = 0;
  }

  #dispatch(topic: string, payload: Buffer, packet: IPublishPacket): void {
    const message: IncomingMessage = {
      topic,
      payload,
      retain: packet.retain,
      qos: packet.qos,
      properties: packet.properties ?? {},
    };
    for (const handler of this.#messageHandlers) {
      try {
        handler(message);
      } catch (e) {
        this.#log.error({ err: e, topic }, "message handler threw");
      }
    }
  }

  /**
   * Publishes one message. Resolves `true` once it is sent (QoS 0: written to the socket; QoS 1:
   * acknowledged by the broker), `false` when it was dropped — disconnected QoS 0, offline queue
   * full, larger than the broker's maximum packet size, or the connection ended before the ack.
   * Never rejects, so callers that do not care may `void` it.
   * A QoS 1 publish while disconnected is queued (bounded, see the class doc) and resolves after
   * the reconnect.
   */
  publish(
    topic: string,
    payload: string | Uint8Array,
    options: PublishOptions = {},
  ): Promise<boolean> {
    return this.#send(topic, toBuffer(payload), options);
  }

  /**
   * Registers `topic` as retained with this payload (replacing any earlier one) and publishes it
   * retained at QoS 1 now when connected; it is republished after `online` on every reconnect.
   * An empty payload clears the retained message at the broker and forgets the topic (how HA
   * discovery entities are removed). Do not register `<base>/bridge/state`: the connection owns it.
   * @returns like {@link publish}; `false` while disconnected (it goes out on the next connect)
   */
  retained(
    topic: string,
    payload: string | Uint8Array,
    properties?: PublishProperties,
  ): Promise<boolean> {
    // A copy: the registry outlives the call, and callers may reuse their buffer.
    const buf = Buffer.from(toBuffer(payload));
    if (buf.length === 0) {
      this.#retained.delete(topic);
    } else {
      this.#retained.set(topic, { payload: buf, properties });
    }
    if (!this.connected) return Promise.resolve(false);
    return this.#send(topic, buf, {
      retain: true,
      qos: 1,
      ...(properties === undefined ? {} : { properties }),
    });
  }

  /** Forgets a retained registration without publishing anything. */
  forgetRetained(topic: string): void {
    this.#retained.delete(topic);
  }

  /** Topics currently registered with {@link retained}, in registration order. */
  retainedTopics(): string[] {
    return [...this.#retained.keys()];
  }

  #send(topic: string, payload: Buffer, options: PublishOptions): Promise<boolean> {
    const client = this.#client;
    const qos = options.qos ?? 1;
    const retain = options.retain ?? false;
    if (client === undefined || this.#stopPromise !== undefined) {
      if (qos === 0) this.#stats.droppedQos0 += 1;
      else this.#stats.failed += 1;
      return Promise.resolve(false);
    }
    const properties = this.#version === 5 ? options.properties : undefined;
    if (
      this.#maximumPacketSize !== undefined &&
      estimatePublishPacketSize(topic, payload.length, properties) > this.#maximumPacketSize
    ) {
      this.#stats.droppedTooLarge += 1;
      this.#log.warn(
        { topic, bytes: payload.length, maximumPacketSize: this.#maximumPacketSize },
        "message larger than the broker's maximum packet size; not sent",
      );
      return Promise.resolve(false);
    }
    const online = client.connected;
    if (!online && qos === 0) {
      this.#stats.droppedQos0 += 1;
      return Promise.resolve(false);
    }
    if (qos === 1) {
      if (
        !online &&
        (this.#stats.pending >= this.#config.offline_queue_max_messages ||
          this.#stats.pendingBytes + payload.length > this.#config.offline_queue_max_bytes)
      ) {
        this.#stats.droppedQueueFull += 1;
        this.#log.debug({ topic, bytes: payload.length }, "offline queue full; message dropped");
        return Promise.resolve(false);
      }
      this.#stats.pending += 1;
      this.#stats.pendingBytes += payload.length;
    }
    const publishOptions: IClientPublishOptions = { qos, retain };
    if (properties !== undefined) publishOptions.properties = properties;
    return new Promise<boolean>((resolve) => {
      client.publish(topic, payload, publishOptions, (err) => {
        if (qos === 1) {
          this.#stats.pending -= 1;
          this.#stats.pendingBytes -= payload.length;
        }
        if (err) {
          this.#stats.failed += 1;
          this.#log.debug({ err, topic }, "publish failed");
          resolve(false);
        } else {
          resolve(true);
        }
      });
    });
  }

  /**
   * Subscribes `filter` now (when connected) and after every reconnect. Resolves once the broker
   * granted it, or at once while disconnected (it is sent on connect).
   * @throws BridgeError `MQTT_UNAVAILABLE` when the broker refuses the subscription.
   */
  async subscribe(filter: string, options: SubscribeOptions = {}): Promise<void> {
    this.#subscriptions.set(filter, options);
    if (this.connected) await this.#subscribeNow(filter, options);
  }

  /** Removes a subscription (and stops resubscribing it). */
  async unsubscribe(filter: string): Promise<void> {
    this.#subscriptions.delete(filter);
    const client = this.#client;
    if (client?.connected === true) await client.unsubscribeAsync(filter);
  }

  async #subscribeNow(filter: string, options: SubscribeOptions): Promise<void> {
    const client = this.#client;
    if (client === undefined) return;
    const qos = options.qos ?? 1;
    // MQTT 5: retain-as-published keeps the retain flag on live deliveries, so retained commands
    // can be ignored (mqtt-api.md); no-local avoids receiving our own publishes.
    const granted = await client.subscribeAsync(
      filter,
      this.#version === 5 ? { qos, rap: true, nl: true } : { qos },
    );
    const refused = granted.find((g) => g.qos >= 0x80);
    if (refused !== undefined) {
      throw new BridgeError("MQTT_UNAVAILABLE", `broker refused the subscription ${filter}`, {
        context: { reasonCode: refused.qos },
      });
    }
  }

  /**
   * Publishes retained `offline` on `<base>/bridge/state` (when connected), then disconnects
   * cleanly; each step waits at most 2 s. Idempotent: later calls return the first call's promise.
   * A start() still waiting rejects with `ABORTED`.
   */
  stop(): Promise<void> {
    this.#stopPromise ??= this.#stop();
    return this.#stopPromise;
  }

  async #stop(): Promise<void> {
    const client = this.#client;
    this.#firstConnect?.reject(new BridgeError("ABORTED", "MQTT connection stopped"));
    this.#firstConnect = undefined;
    if (client === undefined) {
      this.#stopping = true;
      return;
    }
    if (client.connected) {
      const offline = new Promise<void>((resolve) => {
        client.publish(bridgeState(this.#base), OFFLINE_PAYLOAD, { qos: 1, retain: true }, () => {
          resolve();
        });
      });
      await settleWithin(offline, STOP_STEP_TIMEOUT_MS);
    }
    this.#stopping = true;
    this.#clearReconnect();
    if (client.connected) {
      const ended = new Promise<void>((resolve) => {
        client.end(false, {}, () => {
          resolve();
        });
      });
      if (!(await settleWithin(ended, STOP_STEP_TIMEOUT_MS))) client.end(true);
    } else {
      await new Promise<void>((resolve) => {
        client.end(true, {}, () => {
          resolve();
        });
      });
    }
    this.#log.info("disconnected");
  }

  #clearReconnect(): void {
    if (this.#reconnectTimer !== undefined) clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
  }

  /** Abrupt end without `offline` (abort during start, fatal refusal): the Will covers it. */
  #teardown(): void {
    this.#stopping = true;
    this.#clearReconnect();
    this.#client?.end(true);
  }
}
