/**
 * Shared set-up of the end-to-end benchmarks that run the real daemon against a real Mosquitto
 * (e2e-liveview, e2e-command, e2e-slow, e2e-scale): one "rig" = one camera simulator + one daemon
 * process (`qx10-mqtt run`, bench/proc.ts) on its own base topic, plus MQTT helpers for the
 * benchmark side (a liveview subscriber that times each frame, and a command client that times
 * `cmd/<name>` → `cmd/<name>/result`).
 *
 * The simulator runs in the benchmark process, not in a child: its `liveview.onPacket` hook gives
 * the send time of every frame on the same clock (`performance.now()`) as the subscriber's
 * receipt, so no cross-process clock is involved; and the bridge's CPU and RSS are read from
 * /proc for the daemon's pid only, so the simulator's CPU (≈ 3 % of a core at 30 fps,
 * BENCHMARKS.md §2) is never counted as the bridge's. The cost is that the simulator shares the
 * benchmark process's event loop with the subscriber (≈ 1 ms of rendering per frame), which can
 * only add to the measured latency, never hide any.
 */
import { Socket } from "node:net";
import { connectAsync, type MqttClient } from "mqtt";
import { readSimComment } from "../src/sim/pattern.js";
import { startSimulator, type SimulatorOptions } from "../src/sim/simulator.js";
import { testConfig } from "../test/helpers/daemon.js";
import { spawnBridge, type BridgeProcess } from "./proc.js";

/** A simulator + daemon pair on one base topic. */
export interface Rig {
  readonly base: string;
  readonly bridge: BridgeProcess;
  /** Frame number → performance.now() when the simulator wrote its packet (last ~10 s only). */
  readonly sentAt: Map<number, number>;
  /** Packets the simulator wrote (JPEG only). */
  sent(): number;
  /** Stops the daemon, then the simulator (idempotent). */
  stop(): Promise<void>;
}

/** Options of {@link startRig}. */
export interface RigOptions {
  brokerUrl: string;
  /** Base topic (default "qx10"). */
  base?: string;
  /** Simulator liveview rate (default 30). */
  fpsIn?: number;
  /** `liveview.fps` of the bridge (default 2); `liveview.enabled` is true when set. */
  fpsOut?: number;
  /** Publish liveview from the start (default true). */
  liveview?: boolean;
  /** Simulator timings (e.g. all 0 for command round trips). */
  timings?: SimulatorOptions["timings"];
  /** Extra node arguments for the daemon (e.g. `--cpu-prof`). */
  nodeArgs?: string[];
  /** Extra config sections merged over testConfig's. */
  config?: Record<string, Record<string, unknown>>;
}

/** Starts a simulator and the daemon against it. Does not wait for anything on the broker. */
export async function startRig(options: RigOptions): Promise<Rig> {
  const base = options.base ?? "qx10";
  const sentAt = new Map<number, number>();
  let sent = 0;
  const sim = await startSimulator({
    ...(options.timings === undefined ? {} : { timings: options.timings }),
    liveview: {
      fps: options.fpsIn ?? 30,
      onPacket: (_bytes, info) => {
        if (info.payloadType !== 1 || info.frame === undefined) return;
        sent++;
        sentAt.set(info.frame, performance.now());
        // Keep ~10 s of send times: the map stays bounded over a long run.
        sentAt.delete(info.frame - 300);
      },
    },
  });
  const bridge = spawnBridge(
    testConfig(options.brokerUrl, sim.urls.ddXml, {
      mqtt: { base_topic: base },
      liveview: { enabled: options.liveview ?? true, fps: options.fpsOut ?? 2 },
      ...options.config,
    }),
    options.nodeArgs ?? [],
  );
  let stopped: Promise<void> | undefined;
  return {
    base,
    bridge,
    sentAt,
    sent: () => sent,
    stop() {
      stopped ??= (async () => {
        await bridge.stop();
        await sim.close();
      })();
      return stopped;
    },
  };
}

/**
 * Connects an MQTT 5 client to the local broker with a random client id. Its socket gets
 * TCP_NODELAY (mqtt.js leaves Nagle's algorithm on): the benchmark's own client must not add
 * Nagle + delayed-ACK stalls (≈ 40 ms on Linux) to what it measures.
 */
export async function connectClient(url: string, prefix: string): Promise<MqttClient> {
  const client = await connectAsync(url, {
    protocolVersion: 5,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    clientId: `${prefix}-${Math.random().toString(16).slice(2, 10)}`,
  });
  if (client.stream instanceof Socket) client.stream.setNoDelay(true);
  return client;
}

/** Receipts of liveview frames on one or more base topics. */
export class LiveviewSubscriber {
  /** Latency per received frame (ms, send → receipt) since the last {@link reset}. */
  latencies: number[] = [];
  /** Frames received since the last reset, per base topic. */
  received = new Map<string, number>();
  /** Frames whose send time was unknown (not from the simulator, or older than the map). */
  unmatched = 0;
  #firstFrame = new Map<string, () => void>();

  private constructor(
    readonly client: MqttClient,
    rigs: readonly Rig[],
  ) {
    const byTopic = new Map(rigs.map((r) => [`${r.base}/liveview`, r]));
    client.on("message", (topic, payload) => {
      const now = performance.now();
      const rig = byTopic.get(topic);
      if (rig === undefined) return;
      this.received.set(rig.base, (this.received.get(rig.base) ?? 0) + 1);
      const n = readSimComment(payload)?.n;
      const t = n === undefined ? undefined : rig.sentAt.get(n);
      if (t === undefined) this.unmatched++;
      else this.latencies.push(now - t);
      const first = this.#firstFrame.get(rig.base);
      if (first !== undefined) {
        this.#firstFrame.delete(rig.base);
        first();
      }
    });
  }

  /** Connects and subscribes `<base>/liveview` of every rig. */
  static async connect(url: string, rigs: readonly Rig[]): Promise<LiveviewSubscriber> {
    const client = await connectClient(url, "bench-lv");
    await client.subscribeAsync(
      rigs.map((r) => `${r.base}/liveview`),
      { qos: 0 },
    );
    return new LiveviewSubscriber(client, rigs);
  }

  /** Resolves at the first frame from `rig` (rejects after `timeoutMs`). */
  firstFrame(rig: Rig, timeoutMs: number, stderr: () => string): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`no liveview frame on ${rig.base} in ${timeoutMs} ms: ${stderr()}`));
      }, timeoutMs);
      this.#firstFrame.set(rig.base, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Clears the latencies and counters (end of a warm-up). */
  reset(): void {
    this.latencies = [];
    this.received = new Map();
    this.unmatched = 0;
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}

/** Sends commands and times each to its result (matched by `transaction`). */
export class CommandClient {
  #seq = 0;
  #waiting = new Map<string, (at: number, payload: Record<string, unknown>) => void>();

  private constructor(readonly client: MqttClient) {
    client.on("message", (_topic, payload) => {
      const at = performance.now();
      let doc: Record<string, unknown>;
      try {
        doc = JSON.parse(payload.toString("utf8")) as Record<string, unknown>;
      } catch {
        return;
      }
      const tx = doc["transaction"];
      if (typeof tx !== "string") return;
      const done = this.#waiting.get(tx);
      if (done === undefined) return;
      this.#waiting.delete(tx);
      done(at, doc);
    });
  }

  /** Connects and subscribes `<base>/cmd/+/result` for every base topic. */
  static async connect(url: string, bases: readonly string[]): Promise<CommandClient> {
    const client = await connectClient(url, "bench-cmd");
    await client.subscribeAsync(
      bases.map((b) => `${b}/cmd/+/result`),
      { qos: 1 },
    );
    return new CommandClient(client);
  }

  /**
   * Publishes `<base>/cmd/<name>` (QoS 1, JSON `{...body, transaction}`) and resolves with the
   * ms from just before the publish to the receipt of the matching result.
   * @throws when the result is an error or does not come within `timeoutMs`
   */
  async time(
    base: string,
    name: string,
    body: Record<string, unknown>,
    timeoutMs = 10_000,
  ): Promise<number> {
    const tx = `b${++this.#seq}`;
    const t0 = performance.now();
    const result = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(tx);
        reject(new Error(`no result for ${base}/cmd/${name} in ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiting.set(tx, (at, doc) => {
        clearTimeout(timer);
        if (doc["status"] === "ok") resolve(at - t0);
        else reject(new Error(`${base}/cmd/${name} failed: ${JSON.stringify(doc)}`));
      });
    });
    await this.client.publishAsync(
      `${base}/cmd/${name}`,
      JSON.stringify({ ...body, transaction: tx }),
      { qos: 1 },
    );
    return result;
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}

/** Least-squares slope of y over x (units of y per unit of x); NaN with fewer than 2 points. */
export function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = Math.min(xs.length, ys.length);
  if (n < 2) return Number.NaN;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    sx += xs[i] ?? 0;
    sy += ys[i] ?? 0;
  }
  const mx = sx / n;
  const my = sy / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    const dx = (xs[i] ?? 0) - mx;
    num += dx * ((ys[i] ?? 0) - my);
    den += dx * dx;
  }
  return den === 0 ? Number.NaN : num / den;
}

/** The error a failed benchmark run throws: the cause plus the tail of the daemon's stderr. */
export function runFailure(e: unknown, rig: Rig): Error {
  return new Error(`run failed: ${String(e)}; daemon stderr: ${rig.bridge.stderr().slice(-2000)}`, {
    cause: e,
  });
}
