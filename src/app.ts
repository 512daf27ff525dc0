/**
 * The composition root (style.md Part 3): builds the logger, the MQTT connection, the camera session
 * and the bridge; starts them in order and stops them in reverse under a deadline.
 *
 * Start order: camera session (runs in the background, finding the camera), bridge (wires MQTT
 * handlers, retained topics and subscriptions, liveview), the HTTP server when `http.enabled`
 * (issue 9; it needs no broker), then the MQTT connection, which waits as long as it takes for a
 * broker that is not up yet. Stop order: HTTP (ends the MJPEG streams), bridge (liveview camera
 * stream, commands, snapshots, retained availability `offline`), camera session (closes the
 * client), MQTT (retained `offline` on `<base>/bridge/state`, DISCONNECT).
 */
import { readFileSync } from "node:fs";
import { type ResolveCameraOptions } from "./camera/discover.js";
import { type Config } from "./config/load.js";
import { BridgeError } from "./errors.js";
import { createLogger, type Logger } from "./log.js";
import { MqttConnection } from "./mqtt/connection.js";
import { Bridge, type BridgeOptions } from "./bridge/bridge.js";
import { CameraSession } from "./bridge/camera-session.js";
import { HttpServer, type HttpServerOptions } from "./http/server.js";
import { settleWithin } from "./util/abort.js";

/** Default deadline of {@link App.stop}, ms. */
export const DEFAULT_STOP_DEADLINE_MS = 5_000;

/** Options of {@link createApp}. */
export interface AppOptions {
  config: Config;
  /** Root logger; default one from `config.log.level` on standard output. */
  logger?: Logger;
  /** Pretty-print the default logger's lines (standard output is a terminal). */
  prettyLogs?: boolean;
  /** Extra discovery options (tests: an SSDP target on loopback). */
  discovery?: Partial<ResolveCameraOptions>;
  /** Bridge tuning (tests). */
  bridge?: Pick<BridgeOptions, "stateCoalesceMs" | "liveviewLingerMs" | "pictureClaimDelayMs">;
  /** HTTP server tuning (tests, benchmarks); used only when `config.http.enabled`. */
  http?: Pick<HttpServerOptions, "stillWaitMs" | "freshFrameMs" | "stallTimeoutMs">;
  /** Deadline of stop(), ms (default {@link DEFAULT_STOP_DEADLINE_MS}). */
  stopDeadlineMs?: number;
}

/** The running application. */
export interface App {
  readonly logger: Logger;
  readonly mqtt: MqttConnection;
  readonly session: CameraSession;
  readonly bridge: Bridge;
  /** The HTTP server (issue 9), or undefined when `http.enabled` is false. */
  readonly http: HttpServer | undefined;
  /**
   * Starts everything; resolves once the broker accepted the first connection.
   * @throws BridgeError ABORTED when `signal` fires first; MQTT_UNAVAILABLE when the broker
   *   refuses us for good (credentials); CONFIG_INVALID for unreadable TLS files or an HTTP
   *   address that cannot be listened on
   */
  start(signal: AbortSignal): Promise<void>;
  /** Stops in reverse order; gives up waiting after the deadline. Idempotent. */
  stop(): Promise<void>;
}

/** The version in package.json ("0.0.0" when it cannot be read). */
export function bridgeVersion(): string {
  try {
    const pkg: unknown = JSON.parse(
      readFileSync(new URL("../package.json", import.meta.url), "utf8"),
    );
    if (typeof pkg === "object" && pkg !== null && "version" in pkg) {
      return typeof pkg.version === "string" ? pkg.version : "0.0.0";
    }
  } catch {
    // fall through
  }
  return "0.0.0";
}

/** Builds the application (no I/O until start). */
export function createApp(options: AppOptions): App {
  const { config } = options;
  const logger =
    options.logger ??
    createLogger({
      level: config.log.level,
      bindings: { base: config.mqtt.base_topic },
      pretty: options.prettyLogs === true,
    });
  const mqtt = new MqttConnection(config.mqtt, { logger });
  const session = new CameraSession({
    config: config.camera,
    logger,
    ...(options.discovery === undefined ? {} : { discovery: options.discovery }),
  });
  const bridge = new Bridge({
    config,
    mqtt,
    session,
    logger,
    version: bridgeVersion(),
    ...options.bridge,
  });
  const http = config.http.enabled
    ? new HttpServer({ config: config.http, bridge, logger, ...options.http })
    : undefined;
  const deadlineMs = options.stopDeadlineMs ?? DEFAULT_STOP_DEADLINE_MS;
  let stopPromise: Promise<void> | undefined;
  const life = new AbortController();

  const stop = async (): Promise<void> => {
    const steps: [string, () => Promise<void>][] = [
      ["http", () => http?.stop() ?? Promise.resolve()],
      ["bridge", () => bridge.stop()],
      ["camera", () => session.stop()],
      ["mqtt", () => mqtt.stop()],
    ];
    const deadline = Date.now() + deadlineMs;
    for (const [name, step] of steps) {
      const left = deadline - Date.now();
      // MQTT always gets a moment: `offline` on bridge/state matters more than a tidy camera.
      const budget = name === "mqtt" ? Math.max(left, 1000) : Math.max(left - 1000, 100);
      const ok = await settleWithin(step(), budget, (e) => {
        logger.warn({ err: e, component: name }, "error while stopping");
      });
      if (!ok)
        logger.warn({ component: name, budgetMs: budget }, "stop deadline passed; moving on");
    }
    life.abort(new BridgeError("ABORTED", "stopped"));
    logger.info("stopped");
  };

  return {
    logger,
    mqtt,
    session,
    bridge,
    http,
    async start(signal) {
      if (signal.aborted) throw new BridgeError("ABORTED", "aborted before start");
      logger.info({ version: bridgeVersion() }, "starting");
      // The session and the bridge live until stop(), not until `signal`: stop() must still find
      // the camera to end its liveview stream (battery), and it runs in its own order.
      session.start(life.signal);
      await bridge.start(life.signal);
      await http?.start(life.signal);
      await mqtt.start(signal);
    },
    stop() {
      stopPromise ??= stop();
      return stopPromise;
    },
  };
}
