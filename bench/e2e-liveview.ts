/**
 * End-to-end liveview (issue 7): simulator at 30 fps → bridge (`qx10-mqtt run`, child process) →
 * Mosquitto (127.0.0.1, free port) → subscriber. Per frame: latency from the simulator writing its
 * packet (`liveview.onPacket`) to the subscriber's receipt, matched by the frame number in the
 * JPEG's COM segment (`readSimComment`). Per run: delivered fps, the bridge's CPU (% of one core,
 * /proc over the measured window) and RSS (sampled every `--sample-s`), RSS slope.
 * Targets: p99 ≤ 10 ms added by the bridge at 30 fps; ≤ 5 % of a core at 30 in / 2 out; RSS
 * flat and < 100 MB over 10 minutes (`--fps-out 2 --duration-s 600 --runs 1 --warmup 0`).
 *
 * The simulator runs in this process (see bench/e2e-rig.ts for why); each run gets a fresh broker,
 * simulator and daemon. A broker-only reference is measured first: a client publishing a payload of
 * the same size (25 kB) at 30 Hz through the same kind of broker to a subscriber in this process,
 * i.e. the part of the end-to-end latency that is not the bridge's (plus the simulator's HTTP hop,
 * which is loopback).
 *
 * Usage: node dist-bench/bench/e2e-liveview.js [--fps-in 30] [--fps-out 30,2] [--runs 3] [--warmup-s 5]
 *   [--duration-s 30] [--sample-s 1] [--bridge-cpu-prof-dir DIR] [--no-baseline]
 *   [--bridge-gc] (daemon with --expose-gc: the memusage lines follow a full GC)
 *   [--bridge-memusage] (the daemon logs process.memoryUsage() every 5 s: bench/memusage-preload.ts)
 */
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { startBroker, brokerKind } from "../test/helpers/broker.js";
import { connectClient, LiveviewSubscriber, slope, startRig, runFailure } from "./e2e-rig.js";
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
import { cpuPercent, readProc } from "./proc.js";

interface RunResult {
  fpsIn: number;
  fpsOut: number;
  latency: Summary;
  fpsDelivered: number;
  unmatched: number;
  cpuPercent: number;
  rssStartMB: number;
  rssEndMB: number;
  rssMaxMB: number;
  /** Least-squares RSS slope over the measured window, MB per minute. */
  rssSlopeMBPerMin: number;
  /** [seconds since the window's start, RSS MB]. */
  rssSamples: [number, number][];
  /** The daemon's `MEMUSAGE` lines (`--bridge-memusage`), JSON, oldest first. */
  memUsage: string[];
}

async function oneRun(
  fpsIn: number,
  fpsOut: number,
  warmupS: number,
  durationS: number,
  sampleS: number,
  nodeArgs: string[],
): Promise<RunResult> {
  const broker = await startBroker();
  const rig = await startRig({ brokerUrl: broker.url, fpsIn, fpsOut, nodeArgs });
  const sub = await LiveviewSubscriber.connect(broker.url, [rig]);
  try {
    await sub.firstFrame(rig, 20_000, () => rig.bridge.stderr());
    await delay(warmupS * 1000);
    const pid = rig.bridge.child.pid;
    if (pid === undefined) throw new Error("daemon has no pid");
    sub.reset();
    const p0 = readProc(pid);
    const samples: [number, number][] = [[0, p0.rssBytes / 1e6]];
    const steps = Math.round(durationS / sampleS);
    for (let i = 1; i <= steps; i++) {
      // Sleep to the next sample's due time, so sampling does not drift over a long run.
      await delay(Math.max(0, p0.at + i * sampleS * 1000 - performance.now()));
      const p = readProc(pid);
      samples.push([(p.at - p0.at) / 1000, p.rssBytes / 1e6]);
    }
    const p1 = readProc(pid);
    const received = sub.received.get(rig.base) ?? 0;
    const rss = samples.map((s) => s[1]);
    return {
      fpsIn,
      fpsOut,
      latency: summarize(sub.latencies),
      fpsDelivered: received / ((p1.at - p0.at) / 1000),
      unmatched: sub.unmatched,
      cpuPercent: cpuPercent(p0, p1),
      rssStartMB: rss[0] ?? Number.NaN,
      rssEndMB: rss[rss.length - 1] ?? Number.NaN,
      rssMaxMB: Math.max(...rss),
      rssSlopeMBPerMin: slope(
        samples.map((s) => s[0] / 60),
        rss,
      ),
      rssSamples: samples.map(([t, r]) => [round(t, 1), round(r, 1)]),
      memUsage: [...rig.bridge.stderr().matchAll(/MEMUSAGE (.*)/g)].map((m) => m[1] ?? ""),
    };
  } catch (e) {
    throw runFailure(e, rig);
  } finally {
    await sub.close();
    await rig.stop();
    await broker.stop();
  }
}

/** Broker-only reference: 25 kB payloads at 30 Hz, publisher → Mosquitto → subscriber. */
async function brokerBaseline(seconds: number): Promise<Summary> {
  const broker = await startBroker();
  const pub = await connectClient(broker.url, "bench-pub");
  const sub = await connectClient(broker.url, "bench-sub");
  try {
    await sub.subscribeAsync("bench/frame", { qos: 0 });
    const sentAt = new Map<number, number>();
    const lat: number[] = [];
    sub.on("message", (_t, payload) => {
      const t = sentAt.get(payload.readUInt32BE(0));
      if (t !== undefined) lat.push(performance.now() - t);
    });
    const payload = Buffer.alloc(25_000, 0x55);
    const frames = Math.round(seconds * 30);
    for (let n = 0; n < frames; n++) {
      payload.writeUInt32BE(n, 0);
      sentAt.set(n, performance.now());
      pub.publish("bench/frame", payload, { qos: 0 });
      await delay(1000 / 30);
    }
    await delay(200);
    return summarize(lat.slice(30));
  } finally {
    await pub.endAsync(true);
    await sub.endAsync(true);
    await broker.stop();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      "fps-in": { type: "string", default: "30" },
      "fps-out": { type: "string", default: "30,2" },
      runs: { type: "string", default: "3" },
      "warmup-s": { type: "string", default: "5" },
      "duration-s": { type: "string", default: "30" },
      "sample-s": { type: "string", default: "1" },
      "bridge-cpu-prof-dir": { type: "string" },
      "no-baseline": { type: "boolean", default: false },
      "bridge-memusage": { type: "boolean", default: false },
      "bridge-gc": { type: "boolean", default: false },
    },
  });
  if (brokerKind !== "mosquitto") throw new Error("needs a local mosquitto");
  const machine = machineInfo();
  console.log(`# End-to-end liveview\n\nMachine: ${formatMachine(machine)}\n`);
  const profDir = values["bridge-cpu-prof-dir"];
  const nodeArgs = profDir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${profDir}`];
  if (values["bridge-gc"]) nodeArgs.push("--expose-gc");
  if (values["bridge-memusage"]) {
    nodeArgs.push("--import", fileURLToPath(new URL("./memusage-preload.js", import.meta.url)));
  }
  const baseline = values["no-baseline"] ? undefined : await brokerBaseline(10);
  if (baseline !== undefined) {
    console.log(
      `broker-only reference (25 kB at 30 Hz): p50 ${round(baseline.median, 2)} ms, p99 ${round(baseline.p99, 2)} ms, max ${round(baseline.max, 2)} ms (n ${baseline.n})\n`,
    );
  }
  const fpsIn = Number(values["fps-in"]);
  const results: RunResult[] = [];
  for (const fpsOut of values["fps-out"].split(",").map(Number)) {
    for (let i = 0; i < Number(values.runs); i++) {
      const r = await oneRun(
        fpsIn,
        fpsOut,
        Number(values["warmup-s"]),
        Number(values["duration-s"]),
        Number(values["sample-s"]),
        nodeArgs,
      );
      results.push(r);
      if (r.memUsage.length > 0) {
        console.log(`daemon memory, first: ${r.memUsage[0] ?? ""}`);
        console.log(`daemon memory, last: ${r.memUsage[r.memUsage.length - 1] ?? ""}`);
      }
      console.log(
        `${fpsIn} in / ${fpsOut} out, run ${i + 1}: latency p50 ${round(r.latency.median, 2)} p99 ${round(r.latency.p99, 2)} max ${round(r.latency.max, 2)} ms (n ${r.latency.n}), ` +
          `${round(r.fpsDelivered, 2)} fps, CPU ${round(r.cpuPercent, 2)} %, RSS ${round(r.rssStartMB)} → ${round(r.rssEndMB)} (max ${round(r.rssMaxMB)}) MB, slope ${round(r.rssSlopeMBPerMin, 3)} MB/min`,
      );
    }
  }
  const rows: string[][] = [];
  for (const fpsOut of [...new Set(results.map((r) => r.fpsOut))]) {
    const rs = results.filter((r) => r.fpsOut === fpsOut);
    const s = (f: (r: RunResult) => number, d = 1): string => fmtSpread(summarize(rs.map(f)), d);
    rows.push([
      `${fpsIn} in / ${fpsOut} out`,
      String(rs.length),
      s((r) => r.latency.median, 2),
      s((r) => r.latency.p99, 2),
      s((r) => r.latency.max, 1),
      s((r) => r.fpsDelivered, 2),
      s((r) => r.cpuPercent, 2),
      s((r) => r.rssStartMB),
      s((r) => r.rssEndMB),
      s((r) => r.rssMaxMB),
      s((r) => r.rssSlopeMBPerMin, 3),
    ]);
  }
  console.log("");
  console.log(
    markdownTable(
      [
        "fps",
        "runs",
        "latency p50 ms",
        "latency p99 ms",
        "latency max ms",
        "fps delivered",
        "bridge CPU % of a core",
        "RSS start MB",
        "RSS end MB",
        "RSS max MB",
        "RSS slope MB/min",
      ],
      rows,
    ),
  );
  console.log("\n(each cell: median (min–max) over the runs)");
  console.log(`load at end: ${machineInfo().loadAvg.join(" / ")}`);
  emitJson("e2e-liveview", machine, { baseline, runs: results });
}

await main();
