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
 *   [--bridge-cpu-prof-dir DIR] (the daemon writes a CPU profile per run there on exit)
 * `--discovery` also waits for the first Home Assistant discovery config (off by default while
 * the daemon does not publish discovery yet; "all" then excludes it).
 */
import { spawn } from "node:child_process";
import { setTimeout as delay } from "node:timers/promises";
import { parseArgs } from "node:util";
import { startSimulator } from "../src/sim/simulator.js";
import { startBroker, brokerKind } from "../test/helpers/broker.js";
import { MqttRecorder, testConfig } from "../test/helpers/daemon.js";
import { readProc, spawnBridge } from "./proc.js";
import {
  emitJson,
  fmtSpread,
  formatMachine,
  machineInfo,
  markdownTable,
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
  // Not times: the bridge's CPU time used so far (ms) and its RSS (MB), read from /proc once
  // everything is on the broker.
  "bridge CPU ms",
  "bridge RSS MB",
] as const;
type Milestone = (typeof MILESTONES)[number];

function bridgeCost(
  pid: number | undefined,
): Pick<Record<Milestone, number>, "bridge CPU ms" | "bridge RSS MB"> {
  if (pid === undefined) return { "bridge CPU ms": Number.NaN, "bridge RSS MB": Number.NaN };
  const p = readProc(pid);
  return { "bridge CPU ms": p.cpuMs, "bridge RSS MB": p.rssBytes / 1e6 };
}

async function oneRun(
  timeoutMs: number,
  withDiscovery: boolean,
  nodeArgs: string[],
): Promise<Record<Milestone, number>> {
  const broker = await startBroker();
  const sim = await startSimulator();
  const rec = await MqttRecorder.connect(broker.url, ["qx10/#", "homeassistant/#"]);
  const bridge = spawnBridge(
    testConfig(broker.url, sim.urls.ddXml, { homeassistant: { enabled: true } }),
    nodeArgs,
  );
  const t0 = bridge.startedAt;
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
      ...bridgeCost(bridge.child.pid),
    };
  } catch (e) {
    throw new Error(
      `start-up run failed: ${String(e)}; daemon stderr: ${bridge.stderr().slice(-2000)}`,
      {
        cause: e,
      },
    );
  } finally {
    await bridge.stop();
    await rec.close();
    await sim.close();
    await broker.stop();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: "string", default: "9" },
      warmup: { type: "string", default: "1" },
      "timeout-ms": { type: "string", default: "15000" },
      discovery: { type: "boolean", default: false },
      "bridge-cpu-prof-dir": { type: "string" },
    },
  });
  if (brokerKind === null) throw new Error("no MQTT broker (install mosquitto)");
  const machine = machineInfo();
  console.log(
    `# Start-up: process start → everything on the broker\n\nMachine: ${formatMachine(machine)}\n`,
  );
  const results = await repeat(
    async (i) => {
      const profDir = values["bridge-cpu-prof-dir"];
      const nodeArgs = profDir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${profDir}`];
      const r = await oneRun(Number(values["timeout-ms"]), values.discovery, nodeArgs);
      const label = i < Number(values.warmup) ? "warm-up" : `run ${i + 1 - Number(values.warmup)}`;
      console.log(`${label}: ${MILESTONES.map((m) => `${m} ${Math.round(r[m])}`).join(", ")}`);
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
      ["milestone (ms after spawn, unless named)", "median (min–max)", "p90"],
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
