/**
 * Command round trip through MQTT (issue 7): `<base>/cmd/shoot` → `<base>/cmd/shoot/result` and a
 * setting change (`cmd/self_timer`, alternating 2 and 0) through a real Mosquitto and the real
 * daemon (child process), the simulator (this process, see bench/e2e-rig.ts) with capture, save
 * and setting delays at 0. Each command carries a `transaction` and is timed from just before the
 * QoS 1 publish to the receipt of its result; sequential, one in flight.
 *
 * Shots: default (`{}` = download the postview, publish `<base>/snapshot` + attributes + the
 * `picture_taken` event, then the result) and `{"download":false}`. The bridge's overhead is the
 * figure minus the same call without MQTT (`npm run bench:command`, BENCHMARKS.md §3, run again
 * here in-process against the same kind of simulator so both come from the same minute of load).
 * Also: an MQTT echo (QoS 1 publish to a topic the same client subscribes), the broker's share.
 *
 * Usage: node dist-bench/bench/e2e-command.js [--n 300] [--warmup 20] [--runs 3]
 *   [--gap-ms 0] [--bridge-cpu-prof-dir DIR]
 * `--bridge-nodelay` starts the daemon with bench/nodelay-preload.ts (TCP_NODELAY on its sockets).
 * `--broker-nodelay` adds `set_tcp_nodelay true` to mosquitto.conf (Mosquitto's default is off).
 * `--gap-ms` pauses between commands (untimed), so each starts with the camera idle.
 */
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { CameraApi } from "../src/camera/api.js";
import { CameraClient } from "../src/camera/client.js";
import { startSimulator } from "../src/sim/simulator.js";
import { startBroker, brokerKind } from "../test/helpers/broker.js";
import { CommandClient, startRig, runFailure } from "./e2e-rig.js";
import {
  emitJson,
  fmtSpread,
  formatMachine,
  machineInfo,
  markdownTable,
  round,
  summarize,
  type Summary,
} from "./lib.js";

/** The diagnostic TCP_NODELAY preload (bench/nodelay-preload.ts), compiled next to this file. */
const nodelayPreload = fileURLToPath(new URL("./nodelay-preload.js", import.meta.url));

const ZERO = { captureMs: 0, saveMs: 0, settingDelayMs: 0 };

/** Pause between two commands (not timed), ms: `--gap-ms`. */
let gapMs = 0;
/** Extra mosquitto.conf lines: `--broker-nodelay` adds `set_tcp_nodelay true`. */
let brokerConfig: string[] = [];

async function timeEach(
  n: number,
  warmup: number,
  op: (i: number) => Promise<unknown>,
): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < warmup + n; i++) {
    if (gapMs > 0) await delay(gapMs);
    const t0 = performance.now();
    await op(i);
    if (i >= warmup) out.push(performance.now() - t0);
  }
  return out;
}

type Case = "shoot" | "shoot download:false" | "self_timer" | "mqtt echo";
type Direct = "takePicture (no MQTT)" | "setSelfTimer (no MQTT)";

async function throughMqtt(
  n: number,
  warmup: number,
  nodeArgs: string[],
): Promise<Record<Case, number[]>> {
  const broker = await startBroker({ extraConfig: brokerConfig });
  const rig = await startRig({ brokerUrl: broker.url, liveview: false, timings: ZERO, nodeArgs });
  const cmd = await CommandClient.connect(broker.url, [rig.base]);
  try {
    // Ready when the camera answers a refresh (the bridge refuses commands while it is offline).
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        await cmd.time(rig.base, "refresh", {}, 2000);
        break;
      } catch (e) {
        if (Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const shoot = await timeEach(n, warmup, () => cmd.time(rig.base, "shoot", {}));
    const noDl = await timeEach(n, warmup, () => cmd.time(rig.base, "shoot", { download: false }));
    const timer = await timeEach(n, warmup, (i) =>
      cmd.time(rig.base, "self_timer", { value: i % 2 === 0 ? 2 : 0 }),
    );
    // Broker share: the same client publishes QoS 1 to a topic it subscribes to.
    await cmd.client.subscribeAsync("bench/echo", { qos: 1 });
    const echo = await timeEach(n, warmup, async () => {
      const got = new Promise<void>((resolve) => {
        cmd.client.once("message", () => {
          resolve();
        });
      });
      await cmd.client.publishAsync("bench/echo", "x", { qos: 1 });
      await got;
    });
    return {
      shoot,
      "shoot download:false": noDl,
      self_timer: timer,
      "mqtt echo": echo,
    };
  } catch (e) {
    throw runFailure(e, rig);
  } finally {
    await cmd.close();
    await rig.stop();
    await broker.stop();
  }
}

async function direct(n: number, warmup: number): Promise<Record<Direct, number[]>> {
  const sim = await startSimulator({ timings: ZERO });
  try {
    const api = new CameraApi(new CameraClient({ endpoints: sim.urls.endpoints }));
    const shots = await timeEach(n, warmup, () => api.takePicture());
    const timer = await timeEach(n, warmup, (i) => api.setSelfTimer(i % 2 === 0 ? 2 : 0));
    return { "takePicture (no MQTT)": shots, "setSelfTimer (no MQTT)": timer };
  } finally {
    await sim.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      n: { type: "string", default: "300" },
      warmup: { type: "string", default: "20" },
      runs: { type: "string", default: "3" },
      "gap-ms": { type: "string", default: "0" },
      "bridge-nodelay": { type: "boolean", default: false },
      "broker-nodelay": { type: "boolean", default: false },
      "bridge-cpu-prof-dir": { type: "string" },
    },
  });
  if (brokerKind !== "mosquitto") throw new Error("needs a local mosquitto");
  const machine = machineInfo();
  console.log(`# Command round trip through MQTT\n\nMachine: ${formatMachine(machine)}\n`);
  gapMs = Number(values["gap-ms"]);
  brokerConfig = values["broker-nodelay"] ? ["set_tcp_nodelay true"] : [];
  const n = Number(values.n);
  const warmup = Number(values.warmup);
  const profDir = values["bridge-cpu-prof-dir"];
  const nodeArgs = profDir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${profDir}`];
  if (values["bridge-nodelay"]) nodeArgs.push("--import", nodelayPreload);
  const runs: Record<string, Summary>[] = [];
  for (let i = 0; i < Number(values.runs); i++) {
    const m = await throughMqtt(n, warmup, nodeArgs);
    const d = await direct(n, warmup);
    const s = Object.fromEntries(Object.entries({ ...m, ...d }).map(([k, v]) => [k, summarize(v)]));
    runs.push(s);
    console.log(
      `run ${i + 1}: ` +
        Object.entries(s)
          .map(([k, v]) => `${k} p50 ${round(v.median, 2)} p99 ${round(v.p99, 2)}`)
          .join(", "),
    );
  }
  const keys = Object.keys(runs[0] ?? {});
  const over = (k: string, f: (s: Summary) => number): Summary =>
    summarize(runs.map((r) => (r[k] === undefined ? Number.NaN : f(r[k]))));
  console.log("");
  console.log(
    markdownTable(
      ["call", "n per run", "p50 ms", "p90 ms", "p99 ms", "max ms"],
      keys.map((k) => [
        k,
        String(n),
        fmtSpread(
          over(k, (s) => s.median),
          2,
        ),
        fmtSpread(
          over(k, (s) => s.p90),
          2,
        ),
        fmtSpread(
          over(k, (s) => s.p99),
          2,
        ),
        fmtSpread(
          over(k, (s) => s.max),
          1,
        ),
      ]),
    ),
  );
  // Overhead = through MQTT minus the same camera call without MQTT, per run, then over runs.
  const pairs: [string, string][] = [
    ["shoot", "takePicture (no MQTT)"],
    ["shoot download:false", "takePicture (no MQTT)"],
    ["self_timer", "setSelfTimer (no MQTT)"],
  ];
  console.log("");
  console.log(
    markdownTable(
      ["bridge overhead (MQTT − direct)", "p50 ms", "p99 ms"],
      pairs.map(([a, b]) => [
        `${a} − ${b}`,
        fmtSpread(
          summarize(runs.map((r) => (r[a]?.median ?? Number.NaN) - (r[b]?.median ?? Number.NaN))),
          2,
        ),
        fmtSpread(
          summarize(runs.map((r) => (r[a]?.p99 ?? Number.NaN) - (r[b]?.p99 ?? Number.NaN))),
          2,
        ),
      ]),
    ),
  );
  console.log("\n(each cell: median (min–max) over the runs)");
  console.log(`load at end: ${machineInfo().loadAvg.join(" / ")}`);
  emitJson("e2e-command", machine, { runs });
}

await main();
