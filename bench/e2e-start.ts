/**
 * Start-up (issue 7): process start → retained `<base>/bridge/state` online, camera
 * `<base>/availability` online, `<base>/state`, `<base>/bridge/info` and Home Assistant discovery
 * all on the broker. Target ≤ 1.5 s.
 *
 * Each run gets a fresh Mosquitto (`mosquitto -p <free port>` on 127.0.0.1 through
 * test/helpers/broker.ts, no persistence, so nothing retained carries over) and a fresh simulator
 * (default, realistic timings); a subscriber connects first, then `node bin/qx10-mqtt.js run
 * --config <file>` is spawned and the time from just before spawn() to each first message is
 * taken. The daemon runs from dist/ (`npm run build` first; `npm run bench:start` does it).
 *
 * Usage: node dist-bench/bench/e2e-start.js [--runs 9] [--warmup 1] [--discovery]
 * `--discovery` also waits for the first Home Assistant discovery config (src/ha/ is not
 * implemented yet, so it is off by default and "all" then excludes discovery).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { parseArgs } from "node:util";
import { startSimulator } from "../src/sim/simulator.js";
import { startBroker, brokerKind } from "../test/helpers/broker.js";
import { MqttRecorder, testConfig } from "../test/helpers/daemon.js";
import {
  emitJson,
  fmtSpread,
  formatMachine,
  machineInfo,
  markdownTable,
  projectRoot,
  repeat,
  summarize,
} from "./lib.js";

/** What is timed, each as ms from spawn() to the first message (or its condition). */
const MILESTONES = [
  "bridge online",
  "camera available",
  "state",
  "bridge info",
  "discovery",
  "all",
] as const;
type Milestone = (typeof MILESTONES)[number];

async function oneRun(
  timeoutMs: number,
  withDiscovery: boolean,
): Promise<Record<Milestone, number>> {
  const broker = await startBroker();
  const sim = await startSimulator();
  const dir = mkdtempSync(join(tmpdir(), "qx10-bench-start-"));
  const rec = await MqttRecorder.connect(broker.url, ["qx10/#", "homeassistant/#"]);
  const configFile = join(dir, "config.json");
  writeFileSync(
    configFile,
    JSON.stringify(
      testConfig(broker.url, sim.urls.ddXml, { homeassistant: { enabled: true } }),
      null,
      2,
    ),
  );
  const root = projectRoot();
  const t0 = Date.now();
  const child = spawn(
    process.execPath,
    [join(root, "bin", "qx10-mqtt.js"), "run", "--config", configFile],
    {
      cwd: root,
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => {
    if (stderr.length < 65536) stderr += d.toString("utf8");
  });
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => {
      resolve();
    });
  });
  try {
    const parses = (r: { payload: Buffer }, match: (p: Record<string, unknown>) => boolean) => {
      try {
        return match(JSON.parse(r.payload.toString("utf8")) as Record<string, unknown>);
      } catch {
        return false;
      }
    };
    /** ms from spawn to the first JSON message on `topic` whose `key` is `value`. */
    const json = async (topic: string, key: string, value: string): Promise<number> => {
      const m = await rec.waitFor(topic, (r) => parses(r, (p) => p[key] === value), timeoutMs);
      return m.at - t0;
    };
    const first = async (pred: (topic: string) => boolean): Promise<number> => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = rec.messages.find((r) => pred(r.topic));
        if (m !== undefined) return m.at - t0;
        if (Date.now() > deadline) throw new Error("timed out waiting for discovery");
        await delay(10);
      }
    };
    const [online, available, state, info, discovery] = await Promise.all([
      json("qx10/bridge/state", "state", "online"),
      json("qx10/availability", "state", "online"),
      first((t) => t === "qx10/state"),
      first((t) => t === "qx10/bridge/info"),
      withDiscovery
        ? first((t) => t.startsWith("homeassistant/") && t.endsWith("/config"))
        : Promise.resolve(Number.NaN),
    ]);
    return {
      "bridge online": online,
      "camera available": available,
      state,
      "bridge info": info,
      discovery,
      all: Math.max(online, available, state, info, withDiscovery ? discovery : 0),
    };
  } catch (e) {
    throw new Error(`start-up run failed: ${String(e)}; daemon stderr: ${stderr.slice(-2000)}`, {
      cause: e,
    });
  } finally {
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
    await rec.close();
    await sim.close();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: "string", default: "9" },
      warmup: { type: "string", default: "1" },
      "timeout-ms": { type: "string", default: "15000" },
      discovery: { type: "boolean", default: false },
    },
  });
  if (brokerKind === null) throw new Error("no MQTT broker (install mosquitto)");
  const machine = machineInfo();
  console.log(
    `# Start-up: process start → everything on the broker\n\nMachine: ${formatMachine(machine)}\n`,
  );
  const results = await repeat(
    async (i) => {
      const r = await oneRun(Number(values["timeout-ms"]), values.discovery);
      const label = i < Number(values.warmup) ? "warm-up" : `run ${i + 1 - Number(values.warmup)}`;
      console.log(`${label}: ${MILESTONES.map((m) => `${m} ${r[m]} ms`).join(", ")}`);
      return r;
    },
    { runs: Number(values.runs), warmup: Number(values.warmup) },
  );
  // Reference: how long a bare node process takes from spawn to exit on this machine now.
  const bare = await repeat(
    () =>
      new Promise<number>((resolve, reject) => {
        const t0 = Date.now();
        const c = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
        c.once("error", reject);
        c.once("exit", () => {
          resolve(Date.now() - t0);
        });
      }),
    { runs: Number(values.runs), warmup: 1 },
  );
  const summaries = Object.fromEntries(
    MILESTONES.map((m) => [m, summarize(results.map((r) => r[m]))]),
  ) as Record<Milestone, ReturnType<typeof summarize>>;
  console.log("");
  console.log(
    markdownTable(
      ["milestone (ms after spawn)", "median (min–max)", "p90"],
      [
        ...MILESTONES.map((m) => [
          m,
          fmtSpread(summaries[m], 0),
          String(Math.round(summaries[m].p90)),
        ]),
        [
          "(reference: bare `node -e ''` spawn → exit)",
          fmtSpread(summarize(bare), 0),
          String(Math.round(summarize(bare).p90)),
        ],
      ],
    ),
  );
  const verdict =
    summaries.all.max <= 1500
      ? "met (every run)"
      : summaries.all.median <= 1500
        ? "met at the median, not every run"
        : "MISSED";
  console.log(`\ntarget ≤ 1500 ms for "all": ${verdict}`);
  console.log(`load at end: ${machineInfo().loadAvg.join(" / ")}`);
  emitJson("e2e-start", machine, { summaries, runs: results, bareNodeMs: summarize(bare) });
}

await main();
