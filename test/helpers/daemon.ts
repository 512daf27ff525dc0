/**
 * The real daemon in a child process, for end-to-end bridge tests: `node bin/qx10-mqtt.js run
 * --config <tmp file>` against a real broker (test/helpers/broker.ts) and the camera simulator,
 * everything on 127.0.0.1. Tests assert only on what the broker delivers, collected by
 * {@link MqttRecorder} (an mqtt.js subscriber).
 *
 * The daemon runs from dist/: {@link ensureBuilt} compiles once (`tsc -p tsconfig.build.json`) when
 * any file under src/ or schemas/ is newer than dist/main.js, under a lock directory so parallel
 * test files do not compile over each other.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { connectAsync, type IClientPublishOptions, type MqttClient } from "mqtt";
import { brokerCaps } from "./broker.js";

/** Project root. */
export const projectRoot = fileURLToPath(new URL("../..", import.meta.url));

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

function distFresh(): boolean {
  const main = join(projectRoot, "dist", "main.js");
  const run = join(projectRoot, "dist", "cli", "run.js");
  if (!existsSync(main) || !existsSync(run)) return false;
  const built = Math.min(statSync(main).mtimeMs, statSync(run).mtimeMs);
  return (
    built >= newestMtime(join(projectRoot, "src")) &&
    built >= newestMtime(join(projectRoot, "schemas"))
  );
}

/**
 * Compiles src/ to dist/ unless dist is fresher than every source file. Type errors elsewhere do
 * not stop the emit (tsc emits anyway); a missing output does.
 */
export async function ensureBuilt(): Promise<void> {
  const lock = join(projectRoot, "dist", ".test-build-lock");
  mkdirSync(join(projectRoot, "dist"), { recursive: true });
  for (let waited = 0; ; waited += 100) {
    if (distFresh()) return;
    try {
      mkdirSync(lock);
      break;
    } catch {
      // Another test file is building; a lock older than 2 minutes is stale.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 120_000) rmSync(lock, { recursive: true });
      } catch {
        // gone meanwhile
      }
      if (waited > 120_000) throw new Error("timed out waiting for another build");
      await delay(100);
    }
  }
  try {
    if (distFresh()) return;
    const tsc = join(projectRoot, "node_modules", "typescript", "bin", "tsc");
    const r = spawnSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], {
      cwd: projectRoot,
      encoding: "utf8",
      timeout: 120_000,
    });
    if (!existsSync(join(projectRoot, "dist", "cli", "run.js"))) {
      throw new Error(`build failed: ${r.stdout}${r.stderr}`);
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** How a daemon ended. */
export interface DaemonExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running daemon. */
export interface Daemon {
  readonly child: ChildProcess;
  /** Path of its config file. */
  readonly configFile: string;
  /** Standard output and error so far (capped at 256 KiB each). */
  output(): { stdout: string; stderr: string };
  /** Resolves when the process exits. */
  readonly exited: Promise<DaemonExit>;
  /** Sends `signal` (default SIGTERM) and waits for the exit (SIGKILL after `timeoutMs`). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<DaemonExit>;
}

/** Options of {@link startDaemon}. */
export interface StartDaemonOptions {
  /** The configuration (written as JSON to a temp file). */
  config: Record<string, unknown>;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Extra arguments after `run --config FILE`. */
  args?: string[];
}

const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const c of running) c.kill("SIGKILL");
});

/** Builds when needed and spawns `qx10-mqtt run --config <file>`. */
export async function startDaemon(options: StartDaemonOptions): Promise<Daemon> {
  await ensureBuilt();
  const dir = mkdtempSync(join(tmpdir(), "qx10-daemon-"));
  const configFile = join(dir, "config.json");
  writeFileSync(configFile, JSON.stringify(options.config, null, 2));
  const entry = [join(projectRoot, "bin", "qx10-mqtt.js"), "run"];
  const child = spawn(
    process.execPath,
    [...entry, "--config", configFile, ...(options.args ?? [])],
    {
      cwd: projectRoot,
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  running.add(child);
  let stdout = "";
  let stderr = "";
  const cap = 256 * 1024;
  child.stdout.on("data", (d: Buffer) => {
    if (stdout.length < cap) stdout += d.toString("utf8");
  });
  child.stderr.on("data", (d: Buffer) => {
    if (stderr.length < cap) stderr += d.toString("utf8");
  });
  const exited = new Promise<DaemonExit>((resolve) => {
    child.once("exit", (code, signal) => {
      running.delete(child);
      rmSync(dir, { recursive: true, force: true });
      resolve({ code, signal });
    });
  });
  return {
    child,
    configFile,
    output: () => ({ stdout, stderr }),
    exited,
    async stop(signal = "SIGTERM", timeoutMs = 10_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** A message the broker delivered to the recorder. */
export interface Recorded {
  topic: string;
  payload: Buffer;
  retain: boolean;
  qos: number;
  properties: Record<string, unknown>;
  /** Date.now() when received. */
  at: number;
}

/** An mqtt.js subscriber that records everything it receives. */
export class MqttRecorder {
  readonly messages: Recorded[] = [];
  private constructor(readonly client: MqttClient) {
    client.on("message", (topic, payload, packet) => {
      this.messages.push({
        topic,
        payload,
        retain: packet.retain,
        qos: packet.qos,
        properties: packet.properties ?? {},
        at: Date.now(),
      });
    });
  }

  /**
   * Connects and subscribes `filters`: over MQTT 5 with retain-as-published (live retained
   * messages keep their flag) when the test broker speaks MQTT 5, else over MQTT 3.1.1 (the
   * embedded broker; live messages then arrive with retain 0, MQTT-3.3.1-9).
   */
  static async connect(
    url: string,
    filters: string[],
    options: { protocolVersion?: 4 | 5 } = {},
  ): Promise<MqttRecorder> {
    const v5 = (options.protocolVersion ?? (brokerCaps.mqtt5 ? 5 : 4)) === 5;
    const client = await connectAsync(url, {
      protocolVersion: v5 ? 5 : 4,
      reconnectPeriod: 200,
      connectTimeout: 5000,
      clientId: `rec-${Math.random().toString(16).slice(2, 10)}`,
    });
    const recorder = new MqttRecorder(client);
    await client.subscribeAsync(filters, v5 ? { qos: 1, rap: true } : { qos: 1 });
    return recorder;
  }

  /** Messages on `topic`. */
  on(topic: string): Recorded[] {
    return this.messages.filter((m) => m.topic === topic);
  }

  /** JSON payloads on `topic`. */
  json(topic: string): unknown[] {
    return this.on(topic).map((m) => JSON.parse(m.payload.toString("utf8")) as unknown);
  }

  /** Waits until a message on `topic` (received after index `from`) satisfies `match`. */
  async waitFor(
    topic: string,
    match: (m: Recorded) => boolean = () => true,
    timeoutMs = 10_000,
    from = 0,
  ): Promise<Recorded> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.slice(from).find((m) => m.topic === topic && match(m));
      if (found !== undefined) return found;
      if (Date.now() > deadline) {
        const seen = [...new Set(this.messages.map((m) => m.topic))].join(", ");
        throw new Error(`no matching message on ${topic} within ${timeoutMs} ms (seen: ${seen})`);
      }
      await delay(20);
    }
  }

  /** Waits for a JSON message on `topic` satisfying `match`. */
  async waitForJson<T = Record<string, unknown>>(
    topic: string,
    match: (v: T) => boolean = () => true,
    timeoutMs = 10_000,
    from = 0,
  ): Promise<T> {
    const m = await this.waitFor(
      topic,
      (r) => {
        try {
          return match(JSON.parse(r.payload.toString("utf8")) as T);
        } catch {
          return false;
        }
      },
      timeoutMs,
      from,
    );
    return JSON.parse(m.payload.toString("utf8")) as T;
  }

  /** Publishes (QoS 1 by default). */
  async publish(
    topic: string,
    payload: string | Buffer,
    options: IClientPublishOptions = {},
  ): Promise<void> {
    await this.client.publishAsync(topic, payload, { qos: 1, ...options });
  }

  /** Disconnects (forcefully; idempotent). */
  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}

/**
 * A daemon configuration for tests: broker `url`, camera `cameraUrl`, fast reconnects, `warn`
 * logs; `overrides` are merged per section.
 */
export function testConfig(
  url: string,
  cameraUrl: string,
  overrides: Record<string, Record<string, unknown>> = {},
): Record<string, unknown> {
  const base: Record<string, Record<string, unknown>> = {
    mqtt: { url, base_topic: "qx10", reconnect_min_s: 0.1, reconnect_max_s: 0.5 },
    camera: { url: cameraUrl, request_timeout_s: 5 },
    homeassistant: { enabled: false },
    log: { level: "warn" },
  };
  for (const [section, values] of Object.entries(overrides)) {
    base[section] = { ...base[section], ...values };
  }
  return base;
}
