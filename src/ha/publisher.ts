/**
 * Publishes Home Assistant discovery (./discovery.ts) through a publish function the bridge hands
 * in, and handles HA's birth message (mqtt-ha.md §2.7) and stale configs (§2.6). Edge-light: no
 * MQTT client of its own; timers only through the injected (abortable) `sleep`.
 *
 * - {@link HaDiscoveryPublisher.update} publishes only what changed (republish when candidates
 *   change, removal of entities no longer offered), serialized so the two-step device-mode removal
 *   keeps its order.
 * - The first update first scans the broker for retained configs of this bridge (same node id)
 *   for {@link HaDiscoveryPublisherOptions.scanWindowMs}, clears those the current set lacks, and
 *   only then publishes: clearing after publishing would delete the entities just created, since a
 *   component config and a device component with the same ids are the same discovery item in HA
 *   (discovery id `"<node_id> <object_id>"`, mqtt-ha.md §2.1/§2.4).
 * - `online` on the HA status topic: after a random 1–5 s delay (HA asks for a random delay,
 *   §2.7), republish every config, then call `onBirth` so the bridge republishes availability and
 *   state after the configs.
 */
import { type Logger } from "../log.js";
import { sleep as defaultSleep } from "../util/abort.js";
import {
  buildComponents,
  buildDiscovery,
  type ComponentConfig,
  type ComponentId,
  DEFAULT_PREFIX,
  diffDiscovery,
  discoveryIds,
  discoveryTopicNode,
  type DiscoveryInput,
  type DiscoveryMessage,
  type DiscoveryMode,
} from "./discovery.js";

/** Publishes one message; resolves false when it was dropped (never rejects). */
export type HaPublishFn = (
  topic: string,
  payload: string,
  options: { retain: boolean; qos: 0 | 1 },
) => Promise<boolean>;

/** The `homeassistant` config section as the publisher needs it. */
export interface HaPublisherConfig {
  /** Discovery prefix, default `homeassistant`. */
  prefix: string;
  /** HA's birth/will topic, e.g. `homeassistant/status`. */
  status_topic: string;
  discovery_mode: DiscoveryMode;
}

/** A retained config seen on the broker. */
export interface RetainedConfig {
  topic: string;
  payload: string;
}

/** Options of {@link HaDiscoveryPublisher}. */
export interface HaDiscoveryPublisherOptions {
  publish: HaPublishFn;
  /** Subscribes a topic filter (the status topic, the stale-config scan filters). */
  subscribe: (filter: string) => Promise<void>;
  /** Ends the stale-config scan subscription; without it the filters stay subscribed. */
  unsubscribe?: (filter: string) => Promise<void>;
  config: HaPublisherConfig;
  /** Called after the birth republish, so the bridge republishes availability and state. */
  onBirth?: () => void | Promise<void>;
  /** Random source in [0, 1) for the birth delay (tests). Default Math.random. */
  random?: () => number;
  /** Abortable sleep (tests). Default src/util/abort.ts `sleep`. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Birth delay bounds, ms; default 1000–5000. */
  birthDelayMs?: { min: number; max: number };
  /**
   * How long the first update listens for retained configs of this bridge before publishing, ms
   * (default 1500; 0 = no scan). Messages reach the scan through {@link HaDiscoveryPublisher.handleMessage}.
   */
  scanWindowMs?: number;
  /** Pause after clearing stale configs before publishing configs with the same ids, ms (default 2000; Zigbee2MQTT waits 2 s, mqtt-ha.md §2.6). */
  recreateDelayMs?: number;
  logger?: Logger;
}

/** The input of {@link HaDiscoveryPublisher.update}: {@link DiscoveryInput} minus what the config sets. */
export type HaUpdateInput = Omit<DiscoveryInput, "prefix" | "mode">;

/** Keeps a bridge's discovery on the broker in step with the camera. */
export class HaDiscoveryPublisher {
  readonly #o: HaDiscoveryPublisherOptions;
  readonly #prefix: string;
  readonly #controller = new AbortController();
  /** Messages as the broker has them (after the last publish). */
  #published: DiscoveryMessage[] = [];
  /** The latest generated set (what republishAll sends). */
  #current: DiscoveryMessage[] = [];
  #nodeId: string | undefined;
  /** Components of the last build (carried over where the state does not know, see `keep`). */
  #components: ReadonlyMap<ComponentId, ComponentConfig> = new Map();
  #batterySeen = false;
  #pending: HaUpdateInput | undefined;
  #chain: Promise<void> = Promise.resolve();
  #scanned = false;
  #scanFound: Map<string, string> | undefined;
  #birthTimer: AbortController | undefined;
  #birthTask: Promise<void> | undefined;
  #stopped = false;

  constructor(options: HaDiscoveryPublisherOptions) {
    this.#o = options;
    this.#prefix = options.config.prefix === "" ? DEFAULT_PREFIX : options.config.prefix;
  }

  /** Subscribes the HA status topic. Messages must be routed to {@link handleMessage}. */
  async start(): Promise<void> {
    await this.#o.subscribe(this.#o.config.status_topic);
  }

  /** The node id once the camera is known (after the first {@link update}). */
  get nodeId(): string | undefined {
    return this.#nodeId;
  }

  /** The current discovery messages (what {@link republishAll} sends). */
  get messages(): readonly DiscoveryMessage[] {
    return this.#current;
  }

  /**
   * Filters matching every discovery config of this bridge's node id (both modes), for the
   * stale-config scan; empty before the first {@link update}.
   */
  scanFilters(): string[] {
    const node = this.#nodeId;
    if (node === undefined) return [];
    return [`${this.#prefix}/device/${node}/config`, `${this.#prefix}/+/${node}/+/config`];
  }

  /**
   * Routes an incoming MQTT message: `online` on the status topic schedules the birth republish;
   * retained configs during the stale scan are collected. Returns true when the message was for
   * this publisher (the bridge may then stop routing it).
   */
  handleMessage(topic: string, payload: string | Uint8Array): boolean {
    const text = typeof payload === "string" ? payload : new TextDecoder().decode(payload);
    if (topic === this.#o.config.status_topic) {
      this.onStatusMessage(text);
      return true;
    }
    const node = discoveryTopicNode(this.#prefix, topic);
    if (node === null || node !== this.#nodeId) return false;
    // Empty payloads (already cleared) are not stale configs.
    if (this.#scanFound !== undefined && text !== "") this.#scanFound.set(topic, text);
    return true;
  }

  /**
   * HA's birth/will payload. `online` schedules, after a random delay of 1–5 s, a republish of
   * every config and then `onBirth`; another `online` while one is pending restarts the delay.
   * `offline` (HA going down) cancels a pending one.
   */
  onStatusMessage(payload: string): void {
    if (this.#stopped) return;
    const text = payload.trim().toLowerCase();
    this.#birthTimer?.abort();
    this.#birthTimer = undefined;
    if (text !== "online") return;
    const timer = new AbortController();
    this.#birthTimer = timer;
    const { min, max } = this.#o.birthDelayMs ?? { min: 1000, max: 5000 };
    const delay = Math.round(min + (this.#o.random ?? Math.random)() * Math.max(0, max - min));
    const signal = AbortSignal.any([timer.signal, this.#controller.signal]);
    // A function, so each check reads the signal anew (a birth may arrive while publishing).
    const cancelled = (): boolean => signal.aborted;
    const task = this.#sleep(delay, signal)
      .then(async () => {
        if (cancelled()) return;
        await this.republishAll();
        if (cancelled()) return;
        await this.#o.onBirth?.();
      })
      .catch((e: unknown) => {
        if (!signal.aborted) this.#o.logger?.warn({ err: e }, "birth republish failed");
      })
      .finally(() => {
        if (this.#birthTimer === timer) this.#birthTimer = undefined;
      });
    this.#birthTask = task;
  }

  /**
   * Rebuilds discovery from the camera and its state and publishes what changed: new or changed
   * configs, removal of entities no longer offered. The first call runs the stale-config scan
   * first. Calls are serialized and coalesced (a burst publishes the latest input once); resolves
   * once the messages for this input (or a newer one) were handed to `publish`.
   */
  update(input: HaUpdateInput): Promise<void> {
    if (input.state.battery !== null) this.#batterySeen = true;
    // Coalesced: a queued task publishes the latest input; later ones find nothing to do.
    this.#pending = input;
    return this.#enqueue(async () => {
      const first = this.#pending;
      if (first === undefined) return;
      const nodeId = discoveryIds(first.camera.udn, first.baseTopic).nodeId;
      if (this.#nodeId !== nodeId) {
        // Another camera (or base topic): nothing to keep, and its scan starts afresh.
        this.#nodeId = nodeId;
        this.#components = new Map();
        this.#scanned = false;
      }
      let found: RetainedConfig[] | undefined;
      if (!this.#scanned) {
        this.#scanned = true;
        found = await this.#collectRetained();
      }
      // The latest input once the scan is over (the state fills in meanwhile).
      const latest = this.#pending ?? first;
      this.#pending = undefined;
      const next = this.#build(latest);
      if (found !== undefined) {
        const cleared = await this.#cleanup(found, next);
        if (cleared.length > 0 && !this.#stopped) {
          await this.#sleep(this.#o.recreateDelayMs ?? 2000, this.#controller.signal).catch(
            () => undefined,
          );
        }
      }
      this.#current = next;
      await this.#publishAll(diffDiscovery(this.#published, next));
      this.#published = next;
    });
  }

  /** Publishes every current config again (on every broker connect, and after HA's birth). */
  republishAll(): Promise<void> {
    return this.#enqueue(async () => {
      await this.#publishAll(this.#current);
      this.#published = this.#current;
    });
  }

  /**
   * Clears the retained configs of this bridge (same node id) that the current set does not
   * contain: an empty retained payload on each. Configs of other node ids and other prefixes are
   * left alone. A retained device config of this node (from an earlier run) becomes the baseline
   * the next {@link update} diffs against, so components it has and the new set lacks are removed
   * the device-mode way. Call it before the first update (the scan in update does).
   * @param retained - config topics found retained at start (with payloads where known)
   * @returns the topics cleared
   */
  cleanupStale(retained: readonly (string | RetainedConfig)[]): Promise<string[]> {
    return this.#enqueue(() => this.#cleanup(retained, this.#current));
  }

  /** Cancels a pending birth republish and waits for running publishes. Idempotent. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#controller.abort();
    this.#birthTimer?.abort();
    await this.#birthTask;
    await this.#chain;
  }

  // ---- internals ------------------------------------------------------------------------------

  #sleep(ms: number, signal: AbortSignal): Promise<void> {
    return (this.#o.sleep ?? defaultSleep)(ms, signal);
  }

  #enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(task);
    this.#chain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  async #publishAll(messages: readonly DiscoveryMessage[]): Promise<void> {
    for (const m of messages) {
      if (this.#stopped && m.payload !== "") return;
      const ok = await this.#o.publish(m.topic, m.payload, { retain: true, qos: 1 });
      if (!ok) this.#o.logger?.debug({ topic: m.topic }, "discovery publish not delivered");
    }
  }

  /** Builds the messages for `input` (same node id), carrying over what the state does not know. */
  #build(input: HaUpdateInput): DiscoveryMessage[] {
    const camera = this.#batterySeen ? { ...input.camera, hasBattery: true } : input.camera;
    const full: DiscoveryInput = {
      ...input,
      camera,
      prefix: this.#prefix,
      mode: this.#o.config.discovery_mode,
      keep: this.#components,
    };
    this.#components = buildComponents(full);
    return buildDiscovery(full);
  }

  /** Listens for retained configs of this node for `scanWindowMs`; [] when the scan is off. */
  async #collectRetained(): Promise<RetainedConfig[]> {
    const window = this.#o.scanWindowMs ?? 1500;
    if (window <= 0) return [];
    const filters = this.scanFilters();
    this.#scanFound = new Map();
    try {
      for (const f of filters) await this.#o.subscribe(f);
      await this.#sleep(window, this.#controller.signal).catch(() => undefined);
      for (const f of filters) await this.#o.unsubscribe?.(f);
    } catch (e) {
      this.#o.logger?.warn({ err: e }, "stale discovery scan failed");
    }
    const found = [...this.#scanFound].map(([topic, payload]) => ({ topic, payload }));
    this.#scanFound = undefined;
    return found;
  }

  async #cleanup(
    retained: readonly (string | RetainedConfig)[],
    current: readonly DiscoveryMessage[],
  ): Promise<string[]> {
    const node = this.#nodeId;
    if (node === undefined) return [];
    const keep = new Set(current.map((m) => m.topic));
    const cleared: string[] = [];
    for (const r of retained) {
      const topic = typeof r === "string" ? r : r.topic;
      if (discoveryTopicNode(this.#prefix, topic) !== node) continue;
      if (keep.has(topic)) {
        if (typeof r !== "string" && !this.#published.some((m) => m.topic === topic)) {
          // Our own config from an earlier run: diff against it (device-mode component removal).
          this.#published = [...this.#published, { topic, payload: r.payload, retain: true }];
        }
        continue;
      }
      if (cleared.includes(topic)) continue;
      await this.#o.publish(topic, "", { retain: true, qos: 1 });
      this.#published = this.#published.filter((m) => m.topic !== topic);
      cleared.push(topic);
    }
    if (cleared.length > 0) this.#o.logger?.info({ topics: cleared }, "cleared stale discovery");
    return cleared;
  }
}
