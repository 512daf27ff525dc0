/**
 * `qx10-mqtt demo` (mqtt-api.md "Command line"): the whole job on one machine — the built-in camera
 * simulator, the bridge, and a broker: the one at `mqtt.url` when it accepts a TCP connection,
 * otherwise an embedded one (aedes, MQTT 3.1.1; the bridge falls back to 3.1.1 by itself with
 * `protocol_version: auto`) on 127.0.0.1 and a free port. Prints the `mosquitto_sub` line to watch
 * it and a `mosquitto_pub` line to take a picture; runs until SIGINT/SIGTERM.
 */
import { connect, createServer, type Server } from "node:net";
import { Aedes } from "aedes";
import { parseConfig, type Config } from "../config/load.js";
import { redactUrl } from "../config/redact.js";
import { startSimulator, type Simulator } from "../sim/simulator.js";
import { type CliCommand } from "./context.js";
import { configFromArgs, runApp } from "./run.js";

const HELP = `Usage: qx10-mqtt demo [--config FILE]

Starts the camera simulator, uses the MQTT broker at mqtt.url when it is reachable (else starts an
embedded one on 127.0.0.1), and runs the bridge against the simulator until Ctrl-C.

Options:
  --config FILE   configuration file (YAML or JSON); default: $QX10_CONFIG, else defaults.
                  camera.url is replaced by the simulator's.`;

/** True when `url` is a plain mqtt:// URL whose host accepts a TCP connection within `timeoutMs`. */
async function brokerReachable(url: string, timeoutMs: number): Promise<boolean> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  const port = Number(parsed.port || (parsed.protocol === "mqtts:" ? 8883 : 1883));
  const host = parsed.hostname.replace(/^\[|\]$/g, "");
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => {
      done(false);
    }, timeoutMs);
    socket.once("connect", () => {
      done(true);
    });
    socket.once("error", () => {
      done(false);
    });
  });
}

/** An embedded aedes broker on 127.0.0.1 and a free port. */
async function startEmbeddedBroker(): Promise<{ port: number; close: () => Promise<void> }> {
  const aedes = await Aedes.createBroker();
  const server: Server = createServer(aedes.handle);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    port,
    close: async () => {
      await new Promise<void>((resolve) => {
        aedes.close(() => {
          resolve();
        });
      });
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    },
  };
}

/** A shell-safe single-quoted word. */
function shellQuote(s: string): string {
  return /^[\w./:-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
}

/**
 * `qx10-mqtt demo`.
 * @returns 0 after SIGINT/SIGTERM; 1 on a runtime failure; 2 for an invalid configuration
 * @throws BridgeError USAGE for bad arguments (exit 2 in main.ts)
 */
export const runDemo: CliCommand = async (argv, ctx) => {
  const loaded = configFromArgs(argv, ctx, HELP);
  if (typeof loaded === "number") return loaded;

  let sim: Simulator | undefined;
  let embedded: { port: number; close: () => Promise<void> } | undefined;
  try {
    sim = await startSimulator({});
    ctx.out(`demo: camera simulator (${sim.model}) at ${sim.urls.ddXml}`);
    let mqttUrl = loaded.mqtt.url;
    let host: string;
    let port: number;
    if (await brokerReachable(mqttUrl, 1000)) {
      const u = new URL(mqttUrl);
      host = u.hostname;
      port = Number(u.port || (u.protocol === "mqtts:" ? 8883 : 1883));
      ctx.out(`demo: using the MQTT broker at ${redactUrl(mqttUrl)}`);
    } else {
      embedded = await startEmbeddedBroker();
      host = "127.0.0.1";
      port = embedded.port;
      mqttUrl = `mqtt://127.0.0.1:${port}`;
      ctx.out(
        `demo: no broker at ${redactUrl(loaded.mqtt.url)}; started an embedded MQTT broker (aedes, MQTT 3.1.1) at ${mqttUrl}`,
      );
    }
    const raw = structuredClone(loaded) as unknown as Record<string, Record<string, unknown>>;
    const config: Config = parseConfig({
      ...raw,
      mqtt: { ...raw["mqtt"], url: mqttUrl },
      camera: { ...raw["camera"], url: sim.urls.ddXml },
    });
    const base = config.mqtt.base_topic;
    const conn = `-h ${host} -p ${port}`;
    ctx.out(`demo: watch:  mosquitto_sub ${conn} -t ${shellQuote(`${base}/#`)} -v`);
    ctx.out(`demo: shoot:  mosquitto_pub ${conn} -t ${shellQuote(`${base}/cmd/shoot`)} -n`);
    ctx.out("demo: running until Ctrl-C");
    return await runApp(config, ctx);
  } finally {
    await sim?.close();
    await embedded?.close();
  }
};
