/**
 * A real MQTT broker for tests.
 *
 * Order of preference:
 * 1. `mosquitto`: the local binary (`/usr/sbin/mosquitto` or on PATH), spawned per test file with a
 *    generated config on a free loopback port (`listener <port> 127.0.0.1`). Supports stop() then
 *    restart() on the same port, users (password file), TLS and `max_packet_size`.
 * 2. `container`: `eclipse-mosquitto:2` through testcontainers, when a Docker engine answers
 *    (detected with a 1.5 s `/_ping`; none runs on the dev/CI machines). No restart(): Docker may
 *    map a different host port after a restart.
 * 3. `embedded`: aedes in this process (test/helpers/embedded-broker.ts), so the suite runs on a
 *    machine with only Node and npm. MQTT 3.1.1 only: no MQTT 5 properties, no retain-as-published,
 *    no `max_packet_size`, no persistence, no mosquitto.conf lines. Supports restart() and users.
 * 4. none (only when forced): {@link brokerKind} is `null`, a warning says so once, tests use
 *    `describe.skipIf(!brokerKind)`.
 *
 * What each kind can do is in {@link brokerCaps}; a test that needs more skips with
 * `it.skipIf(lacks("mqtt5", "why"))`, which prints the reason once per test file.
 *
 * `QX10_TEST_BROKER=mosquitto|container|embedded|none` forces a choice (e.g. to exercise the
 * fallback).
 * Every spawned broker is killed on stop(), on process exit, and — through a tiny watchdog shell
 * that waits on a pipe from this process — even when the test runner is killed.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { aedesVersion, startEmbeddedBroker } from "./embedded-broker.js";

/** Which kind of broker {@link startBroker} runs. */
export type BrokerKind = "mosquitto" | "container" | "embedded";

/** What a broker kind can do; tests that need a missing capability skip (see {@link lacks}). */
export interface BrokerCaps {
  /** MQTT 5: CONNACK properties, response topic/correlation data, content type, rap. */
  mqtt5: boolean;
  /** `stop()` then `restart()` on the same port. */
  restart: boolean;
  /** `users` (username/password; anonymous refused). */
  users: boolean;
  /** `tls` (a TLS listener). */
  tls: boolean;
  /** `maxPacketSize` (enforced and sent to MQTT 5 clients in CONNACK). */
  maxPacketSize: boolean;
  /** `persistence` and `extraConfig` (mosquitto.conf lines). */
  mosquittoConfig: boolean;
}

const CAPS: Record<BrokerKind, BrokerCaps> = {
  mosquitto: {
    mqtt5: true,
    restart: true,
    users: true,
    tls: true,
    maxPacketSize: true,
    mosquittoConfig: true,
  },
  container: {
    mqtt5: true,
    restart: false,
    users: false,
    tls: false,
    maxPacketSize: true,
    mosquittoConfig: true,
  },
  embedded: {
    mqtt5: false,
    restart: true,
    users: true,
    tls: true,
    maxPacketSize: false,
    mosquittoConfig: false,
  },
};

const NO_CAPS: BrokerCaps = {
  mqtt5: false,
  restart: false,
  users: false,
  tls: false,
  maxPacketSize: false,
  mosquittoConfig: false,
};

const CAP_TEXT: Record<keyof BrokerCaps, string> = {
  mqtt5: "MQTT 5",
  restart: "a broker restart on the same port",
  users: "broker users",
  tls: "a TLS listener",
  maxPacketSize: "max_packet_size",
  mosquittoConfig: "mosquitto configuration",
};

/** A running broker. */
export interface Broker {
  kind: BrokerKind;
  /** What this broker can do (the same as {@link brokerCaps}). */
  caps: BrokerCaps;
  /** Shorthand for `caps.mqtt5`: false for the embedded MQTT 3.1.1 broker. */
  mqtt5: boolean;
  /** e.g. `mqtt://127.0.0.1:41234` (or `mqtts://` when TLS is on). */
  url: string;
  host: string;
  port: number;
  /** Broker version when known, e.g. `2.0.11`. */
  version: string | undefined;
  /** Stops the broker (idempotent). Retained messages are lost unless `persistence` was set. */
  stop(): Promise<void>;
  /** Starts it again on the same port after {@link Broker.stop}; undefined for containers. */
  restart: (() => Promise<void>) | undefined;
}

/** Options of {@link startBroker}. */
export interface StartBrokerOptions {
  /** user → password; turns `allow_anonymous` off (mosquitto, embedded). */
  users?: Record<string, string>;
  /** PEM files for a TLS listener (mosquitto, embedded). */
  tls?: { certFile: string; keyFile: string; caFile?: string; requireCertificate?: boolean };
  /** `max_packet_size` in bytes (sent to MQTT 5 clients in CONNACK; not embedded). */
  maxPacketSize?: number;
  /** Keep retained messages across stop()/restart() (`persistence true` in a temp dir; mosquitto). */
  persistence?: boolean;
  /** Extra `mosquitto.conf` lines (not embedded). */
  extraConfig?: string[];
}

const HOST = "127.0.0.1";

function findMosquitto(): string | undefined {
  const candidates = ["/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto"];
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    if (dir !== "") candidates.push(join(dir, "mosquitto"));
  }
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

/** True when a Docker engine answers `/_ping` within 1.5 s (unix socket or DOCKER_HOST tcp://). */
async function dockerAnswers(): Promise<boolean> {
  const dockerHost = process.env["DOCKER_HOST"];
  let target: { socketPath: string } | { host: string; port: number };
  if (dockerHost?.startsWith("tcp://") === true) {
    const u = new URL(dockerHost.replace(/^tcp:/, "http:"));
    target = { host: u.hostname, port: Number(u.port || "2375") };
  } else {
    const socketPath =
      dockerHost?.startsWith("unix://") === true
        ? dockerHost.slice("unix://".length)
        : "/var/run/docker.sock";
    try {
      accessSync(socketPath, constants.W_OK);
    } catch {
      return false;
    }
    target = { socketPath };
  }
  return new Promise((resolve) => {
    const req = request({ ...target, path: "/_ping", method: "GET", timeout: 1500 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => {
      resolve(false);
    });
    req.end();
  });
}

const mosquittoPath = findMosquitto();

async function detect(): Promise<BrokerKind | null> {
  const forced = process.env["QX10_TEST_BROKER"];
  if (forced === "none") return null;
  if (forced === "mosquitto") return mosquittoPath === undefined ? null : "mosquitto";
  if (forced === "container") return (await dockerAnswers()) ? "container" : null;
  if (forced === "embedded") return "embedded";
  if (mosquittoPath !== undefined) return "mosquitto";
  if (await dockerAnswers()) return "container";
  return "embedded";
}

/**
 * The broker kind tests will get, decided once per test file at import time; `null` when none is
 * available (then use `describe.skipIf(!brokerKind)`).
 */
export const brokerKind: BrokerKind | null = await detect();

/** What the broker of {@link brokerKind} can do (all false when there is none). */
export const brokerCaps: BrokerCaps = brokerKind === null ? NO_CAPS : CAPS[brokerKind];

const skipNoticesShown = new Set<string>();

/**
 * True when the broker lacks `cap` — for `it.skipIf(lacks("mqtt5", "response topic"))`. Prints,
 * once per test file and reason, which tests are skipped and why (nothing when there is no broker
 * at all: the warning at import time says that already).
 */
export function lacks(cap: keyof BrokerCaps, what: string): boolean {
  if (brokerCaps[cap]) return false;
  if (brokerKind !== null && !skipNoticesShown.has(what)) {
    skipNoticesShown.add(what);
    console.warn(
      `[test broker] skipped on the ${brokerKind} broker (needs ${CAP_TEXT[cap]}, e.g. the real ` +
        `Mosquitto): ${what}`,
    );
  }
  return true;
}

const mosquittoVersion: string | undefined = (() => {
  if (mosquittoPath === undefined) return undefined;
  const r = spawnSync(mosquittoPath, ["-h"], { encoding: "utf8", timeout: 5000 });
  return /mosquitto version (\S+)/.exec(`${r.stdout}${r.stderr}`)?.[1];
})();

let announced = false;
function announce(text: string, warn = false): void {
  if (announced) return;
  announced = true;
  if (warn) console.warn(`[test broker] ${text}`);
  else console.log(`[test broker] ${text}`);
}

if (brokerKind === null) {
  announce(
    process.env["QX10_TEST_BROKER"] === "none"
      ? "QX10_TEST_BROKER=none: broker tests are skipped"
      : `QX10_TEST_BROKER=${process.env["QX10_TEST_BROKER"] ?? ""} is not available ` +
          "(install mosquitto, run a Docker engine, or use embedded); broker tests are skipped",
    true,
  );
}

/** A free TCP port on 127.0.0.1 (the OS picks it; we release it for the broker right away). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, HOST, () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr !== null ? addr.port : 0;
      srv.close(() => {
        resolve(port);
      });
    });
  });
}

/** Resolves once `port` accepts a TCP connection; retries quickly, no fixed sleeps. */
export async function waitForPort(
  port: number,
  timeoutMs: number,
  alive: () => boolean = () => true,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: HOST, port });
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => {
        s.destroy();
        resolve(false);
      });
    });
    if (ok) return;
    if (!alive()) throw new Error(`broker process exited before accepting on port ${port}`);
    if (Date.now() > deadline) throw new Error(`nothing accepted on ${HOST}:${port} in time`);
    await delay(20);
  }
}

const liveChildren = new Set<ChildProcess>();
const tempDirs = new Set<string>();
process.on("exit", () => {
  for (const c of liveChildren) c.kill("SIGKILL");
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

function mosquittoConfig(dir: string, port: number, o: StartBrokerOptions): string {
  const lines = [
    `listener ${port} ${HOST}`,
    "log_dest stderr",
    "log_type error",
    "log_type warning",
  ];
  // Started as root, mosquitto drops to user "mosquitto", which cannot read our 0700 temp dir.
  if (process.getuid?.() === 0) lines.push("user root");
  if (o.users !== undefined) {
    const pwFile = join(dir, "passwd");
    writeFileSync(
      pwFile,
      Object.entries(o.users)
        .map(([u, p]) => `${u}:${p}\n`)
        .join(""),
    );
    // mosquitto_passwd -U hashes a plain "user:password" file in place.
    const r = spawnSync("mosquitto_passwd", ["-U", pwFile], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`mosquitto_passwd failed: ${r.stderr || String(r.error)}`);
    lines.push("allow_anonymous false", `password_file ${pwFile}`);
  } else {
    lines.push("allow_anonymous true");
  }
  if (o.tls !== undefined) {
    lines.push(`certfile ${o.tls.certFile}`, `keyfile ${o.tls.keyFile}`);
    if (o.tls.caFile !== undefined) lines.push(`cafile ${o.tls.caFile}`);
    if (o.tls.requireCertificate === true) lines.push("require_certificate true");
  }
  if (o.maxPacketSize !== undefined) lines.push(`max_packet_size ${o.maxPacketSize}`);
  if (o.persistence === true) {
    lines.push("persistence true", `persistence_location ${dir}/`, "autosave_interval 0");
  } else {
    lines.push("persistence false");
  }
  lines.push(...(o.extraConfig ?? []));
  const file = join(dir, "mosquitto.conf");
  writeFileSync(file, lines.join("\n") + "\n");
  return file;
}

async function startMosquitto(binary: string, o: StartBrokerOptions): Promise<Broker> {
  const dir = mkdtempSync(join(tmpdir(), "qx10-mosquitto-"));
  let port = 0;
  let conf = "";
  let child: ChildProcess | undefined;
  let watchdog: ChildProcess | undefined;
  let stderr = "";

  const spawnOnce = async (): Promise<void> => {
    stderr = "";
    const c = spawn(binary, ["-c", conf], { stdio: ["ignore", "ignore", "pipe"] });
    child = c;
    liveChildren.add(c);
    let exited = false;
    c.once("exit", () => {
      exited = true;
      liveChildren.delete(c);
    });
    c.stderr.on("data", (d: Buffer) => {
      if (stderr.length < 8192) stderr += d.toString("utf8");
    });
    // Watchdog: when this process dies its pipe closes, `read` returns and the broker is killed.
    if (c.pid !== undefined) {
      const w = spawn("sh", ["-c", `read _; kill -9 ${c.pid} 2>/dev/null`], {
        stdio: ["pipe", "ignore", "ignore"],
      });
      w.unref();
      watchdog = w;
      liveChildren.add(w);
      w.once("exit", () => liveChildren.delete(w));
    }
    try {
      await waitForPort(port, 10_000, () => !exited);
    } catch (e) {
      await killChild();
      throw new Error(`${(e as Error).message}; mosquitto said: ${stderr.trim()}`);
    }
  };

  const killChild = async (): Promise<void> => {
    const c = child;
    const w = watchdog;
    child = undefined;
    watchdog = undefined;
    w?.kill("SIGKILL");
    if (c?.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((resolve) =>
      c.once("exit", () => {
        resolve();
      }),
    );
    c.kill("SIGTERM");
    const timer = setTimeout(() => c.kill("SIGKILL"), 3000);
    await exited;
    clearTimeout(timer);
  };

  // The port from freePort() may be taken by someone else before mosquitto binds: retry.
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    conf = mosquittoConfig(dir, port, o);
    try {
      await spawnOnce();
      break;
    } catch (e) {
      if (attempt >= 2) {
        rmSync(dir, { recursive: true, force: true });
        throw e;
      }
    }
  }

  tempDirs.add(dir);
  announce(`using mosquitto ${mosquittoVersion ?? "(unknown version)"} (${binary})`);
  return {
    kind: "mosquitto",
    caps: CAPS.mosquitto,
    mqtt5: true,
    url: `${o.tls === undefined ? "mqtt" : "mqtts"}://${HOST}:${port}`,
    host: HOST,
    port,
    version: mosquittoVersion,
    stop: killChild,
    restart: async () => {
      await killChild();
      await spawnOnce();
    },
  };
}

async function startContainer(o: StartBrokerOptions): Promise<Broker> {
  if (o.users !== undefined || o.tls !== undefined || o.persistence === true) {
    throw new Error("the container broker supports only anonymous, plain, in-memory setups");
  }
  const { GenericContainer, Wait } = await import("testcontainers");
  const conf = ["listener 1883", "allow_anonymous true"];
  if (o.maxPacketSize !== undefined) conf.push(`max_packet_size ${o.maxPacketSize}`);
  conf.push(...(o.extraConfig ?? []));
  const container = await new GenericContainer("eclipse-mosquitto:2")
    .withExposedPorts(1883)
    .withCopyContentToContainer([
      { content: conf.join("\n") + "\n", target: "/mosquitto/config/mosquitto.conf" },
    ])
    .withWaitStrategy(Wait.forListeningPorts())
    .start();
  const host = container.getHost();
  const port = container.getMappedPort(1883);
  let stopPromise: Promise<void> | undefined;
  announce(`using a container: eclipse-mosquitto:2 at ${host}:${port}`);
  return {
    kind: "container",
    caps: CAPS.container,
    mqtt5: true,
    url: `mqtt://${host}:${port}`,
    host,
    port,
    version: undefined,
    stop: () => {
      stopPromise ??= container.stop().then(() => undefined);
      return stopPromise;
    },
    restart: undefined,
  };
}

async function startEmbedded(o: StartBrokerOptions): Promise<Broker> {
  const unsupported = [
    o.maxPacketSize === undefined ? "" : "maxPacketSize",
    o.persistence === true ? "persistence" : "",
    (o.extraConfig ?? []).length > 0 ? "extraConfig" : "",
  ].filter((x) => x !== "");
  if (unsupported.length > 0) {
    throw new Error(
      `the embedded broker (aedes, MQTT 3.1.1) does not support ${unsupported.join(", ")}: ` +
        "skip this test with lacks(...)",
    );
  }
  const b = await startEmbeddedBroker({
    ...(o.users === undefined ? {} : { users: o.users }),
    ...(o.tls === undefined ? {} : { tls: o.tls }),
  });
  announce(
    `using the embedded broker: aedes ${aedesVersion ?? "(unknown version)"}, MQTT 3.1.1 only, ` +
      "in this process (install mosquitto to run the MQTT 5 tests too)",
  );
  return {
    kind: "embedded",
    caps: CAPS.embedded,
    mqtt5: false,
    url: `${o.tls === undefined ? "mqtt" : "mqtts"}://${b.host}:${b.port}`,
    host: b.host,
    port: b.port,
    version: b.version,
    stop: () => b.stop(),
    restart: () => b.restart(),
  };
}

/**
 * Starts a broker of kind {@link brokerKind}.
 * @throws when none is available (check `brokerKind` first) or it does not come up within 10 s.
 */
export async function startBroker(options: StartBrokerOptions = {}): Promise<Broker> {
  if (brokerKind === "mosquitto" && mosquittoPath !== undefined) {
    return startMosquitto(mosquittoPath, options);
  }
  if (brokerKind === "container") return startContainer(options);
  if (brokerKind === "embedded") return startEmbedded(options);
  throw new Error("no MQTT broker available (see the warning above)");
}
