/**
 * The doctor's I/O: reading the routing table, resolving host names, asking the camera and the
 * broker. Each function takes a short timeout and the run's AbortSignal, never throws for the
 * condition it checks (that becomes a `fail` result), and closes what it opened.
 */
import { randomBytes } from "node:crypto";
import { lookup } from "node:dns/promises";
import { readFile } from "node:fs/promises";
import { isIPv4 } from "node:net";
import { connect, ErrorWithReasonCode, type IClientOptions, type MqttClient } from "mqtt";
import { CameraApi } from "../camera/api.js";
import { CameraClient } from "../camera/client.js";
import { resolveCamera } from "../camera/discover.js";
import { type Config, effectiveClientId, type MqttConfig } from "../config/load.js";
import { redactUrl } from "../config/redact.js";
import { BridgeError, isBridgeError } from "../errors.js";
import { abortError } from "../util/abort.js";
import { parseProcNetRoute, type RouteEntry } from "./routes.js";
import {
  brokerFailureResult,
  brokerSuccessResult,
  type BridgeStateSeen,
  type BrokerFailure,
  cameraFailureResult,
  cameraSuccessResult,
  type CheckResult,
  parseBridgeState,
} from "./verdict.js";

/** Where Linux shows the main IPv4 routing table. */
export const PROC_NET_ROUTE = "/proc/net/route";

/**
 * Reads and parses a routing table file (default {@link PROC_NET_ROUTE}).
 * @returns the routes, or null when the file does not exist or cannot be read (not Linux)
 */
export async function readRouteTable(path: string = PROC_NET_ROUTE): Promise<RouteEntry[] | null> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return null;
  }
  return parseProcNetRoute(text).routes;
}

/**
 * The IPv4 address of `host`: itself when it is one, else the first A record (resolver of the
 * system, bounded by `timeoutMs`). Null when it does not resolve in time.
 */
export async function resolveIPv4(host: string, timeoutMs: number): Promise<string | null> {
  const bare = host.replace(/^\[|\]$/g, "");
  if (isIPv4(bare)) return bare;
  if (bare === "localhost") return "127.0.0.1";
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => {
        resolve(null);
      }, timeoutMs);
    });
    const found = lookup(bare, { family: 4 }).then(
      (r) => r.address,
      () => null,
    );
    return await Promise.race([found, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Host part of a URL, or null when it is not a URL. */
export function urlHost(url: string): string | null {
  if (!URL.canParse(url)) return null;
  const host = new URL(url).hostname;
  return host === "" ? null : host;
}

/** Options of the camera and broker checks. */
export interface CheckOptions {
  signal: AbortSignal;
  /** Per-check timeout, ms. */
  timeoutMs: number;
}

/**
 * The `camera` check: with `camera.url`, resolve it (fetching dd.xml when it names one) and call
 * `getVersions`; without, a short SSDP search (camera.discovery settings, window = timeout) first.
 * @throws BridgeError ABORTED when the signal fires
 */
export async function checkCamera(config: Config, options: CheckOptions): Promise<CheckResult> {
  const { signal, timeoutMs } = options;
  const cameraUrl = config.camera.url;
  const d = config.camera.discovery;
  let client: CameraClient | undefined;
  try {
    const camera = await resolveCamera({
      signal,
      cameraUrl: cameraUrl ?? undefined,
      timeoutMs,
      target: { address: d.address, port: d.port },
      bindAddress: d.interface ?? undefined,
      descriptionTimeoutMs: timeoutMs,
    });
    client = new CameraClient({ endpoints: camera.endpoints, connectTimeoutMs: timeoutMs });
    const versions = await new CameraApi(client).getVersions("camera", { signal, timeoutMs });
    return cameraSuccessResult(
      camera.friendlyName ?? camera.modelName,
      camera.endpoints.camera ?? "",
      versions,
    );
  } catch (e) {
    if (signal.aborted) throw abortError(signal);
    return cameraFailureResult({
      code: isBridgeError(e) ? e.code : undefined,
      message: e instanceof Error ? e.message : String(e),
      cameraUrl,
      searchSeconds: timeoutMs / 1000,
      cameraCode: isBridgeError(e) ? e.cameraCode : undefined,
    });
  } finally {
    await client?.close();
  }
}

/** Result of {@link checkBroker}. */
export interface BrokerCheck {
  result: CheckResult;
  /** `<base>/bridge/state` as retained on the broker; null when we did not get connected. */
  bridge: BridgeStateSeen | null;
}

async function tlsOptions(c: MqttConfig): Promise<Partial<IClientOptions>> {
  const out: Partial<IClientOptions> = { rejectUnauthorized: c.tls.reject_unauthorized };
  const read = async (key: string, path: string | null): Promise<Buffer | undefined> => {
    if (path === null) return undefined;
    try {
      return await readFile(path);
    } catch (e) {
      throw new BridgeError("CONFIG_INVALID", `mqtt.tls.${key}: cannot read ${path}`, { cause: e });
    }
  };
  const [ca, cert, key] = await Promise.all([
    read("ca", c.tls.ca),
    read("cert", c.tls.cert),
    read("key", c.tls.key),
  ]);
  if (ca !== undefined) out.ca = ca;
  if (cert !== undefined) out.cert = cert;
  if (key !== undefined) out.key = key;
  if (c.tls.servername !== null) out.servername = c.tls.servername;
  return out;
}

type Attempt =
  | { ok: true; client: MqttClient; maximumPacketSize: number | undefined }
  | { ok: false; failure: BrokerFailure };

function errorCodeOf(e: unknown): string | undefined {
  if (typeof e !== "object" || e === null || !("code" in e)) return undefined;
  return typeof e.code === "string" ? e.code : undefined;
}

/** One CONNECT with `version`; settles on CONNACK, error, timeout or abort. */
function attempt(
  c: MqttConfig,
  version: 4 | 5,
  tls: Partial<IClientOptions>,
  options: CheckOptions,
): Promise<Attempt> {
  const { signal, timeoutMs } = options;
  // A client id of its own: reusing the bridge's would disconnect the running bridge (MQTT §3.1.4).
  const clientId = `${effectiveClientId(c).slice(0, 40)}_doctor_${randomBytes(4).toString("hex")}`;
  const opts: IClientOptions = {
    ...tls,
    clientId,
    protocolVersion: version,
    clean: true,
    keepalive: 30,
    // Our own timer decides the timeout (a verdict by kind, not by mqtt.js's message text).
    connectTimeout: timeoutMs + 1000,
    reconnectPeriod: 0,
  };
  if (c.username !== null) opts.username = c.username;
  if (c.password !== null) opts.password = c.password;
  return new Promise<Attempt>((resolve, reject) => {
    const client = connect(c.url, opts);
    let settled = false;
    const finish = (outcome: Attempt | Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      if (outcome instanceof Error || !outcome.ok) client.end(true);
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const timer = setTimeout(() => {
      finish({ ok: false, failure: { kind: "timeout", seconds: timeoutMs / 1000 } });
    }, timeoutMs);
    const onAbort = (): void => {
      finish(abortError(signal));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    client.on("connect", (connack) => {
      finish({
        ok: true,
        client,
        maximumPacketSize: version === 5 ? connack.properties?.maximumPacketSize : undefined,
      });
    });
    client.on("error", (err) => {
      if (err instanceof ErrorWithReasonCode) {
        finish({
          ok: false,
          failure: { kind: "connack", code: err.code, protocolVersion: version },
        });
      } else {
        finish({
          ok: false,
          failure: { kind: "error", code: errorCodeOf(err), message: err.message },
        });
      }
    });
  });
}

/**
 * Subscribes to `<base>/bridge/state`, then unsubscribes; the UNSUBACK comes after the retained
 * copy. Gives up after `options.timeoutMs` (a broker that never acknowledges) with "none".
 * @throws BridgeError ABORTED when the signal fires
 */
async function readBridgeState(
  client: MqttClient,
  base: string,
  options: CheckOptions,
): Promise<BridgeStateSeen> {
  const { signal, timeoutMs } = options;
  const topic = `${base}/bridge/state`;
  let payload: Buffer | null = null;
  const onMessage = (t: string, p: Buffer): void => {
    if (t === topic) payload = p;
  };
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const gaveUp = new Promise<"timeout">((resolve, reject) => {
    timer = setTimeout(() => {
      resolve("timeout");
    }, timeoutMs);
    onAbort = () => {
      reject(abortError(signal));
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
  client.on("message", onMessage);
  try {
    const exchange = (async () => {
      await client.subscribeAsync(topic, { qos: 0 });
      // The broker handles our packets in order: the retained message it queues for the
      // subscription goes out before the UNSUBACK, so once that arrives we have seen it (if any).
      await client.unsubscribeAsync(topic);
      return "done" as const;
    })();
    // A late rejection after a timeout has nobody to report to: the client is being closed.
    exchange.catch(() => undefined);
    if ((await Promise.race([exchange, gaveUp])) === "timeout") return "none";
  } catch (e) {
    if (signal.aborted) throw abortError(signal);
    if (isBridgeError(e, "ABORTED")) throw e;
    return "none";
  } finally {
    clearTimeout(timer);
    if (onAbort !== undefined) signal.removeEventListener("abort", onAbort);
    client.off("message", onMessage);
  }
  return parseBridgeState(payload);
}

/**
 * The `broker` check: TCP + MQTT CONNECT with the configured URL, credentials and TLS, under a
 * client id of its own and without a will; with `protocol_version: auto`, a broker that refuses
 * MQTT 5 is retried with 3.1.1. When connected, also reads the retained `<base>/bridge/state`.
 * @throws BridgeError ABORTED when the signal fires; CONFIG_INVALID when a TLS file cannot be read
 */
export async function checkBroker(config: Config, options: CheckOptions): Promise<BrokerCheck> {
  const c = config.mqtt;
  const tls = await tlsOptions(c);
  const first: 4 | 5 = c.protocol_version === 4 ? 4 : 5;
  let outcome = await attempt(c, first, tls, options);
  let fellBack = false;
  if (
    !outcome.ok &&
    c.protocol_version === "auto" &&
    outcome.failure.kind === "connack" &&
    (outcome.failure.code === 1 || outcome.failure.code === 0x84)
  ) {
    fellBack = true;
    outcome = await attempt(c, 4, tls, options);
  }
  if (!outcome.ok)
    return { result: brokerFailureResult(redactUrl(c.url), outcome.failure), bridge: null };
  const { client } = outcome;
  try {
    const bridge = await readBridgeState(client, c.base_topic, options);
    return {
      result: brokerSuccessResult({
        url: redactUrl(c.url),
        protocolVersion: fellBack ? 4 : first,
        maximumPacketSize: outcome.maximumPacketSize,
        snapshotMaxBytes: config.snapshot.max_bytes,
        fellBack,
      }),
      bridge,
    };
  } finally {
    await client.endAsync();
  }
}
