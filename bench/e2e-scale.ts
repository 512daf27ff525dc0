/**
 * Scale (issue 7): N bridge processes on one Mosquitto, each with its own simulator (30 fps) and
 * base topic (`qx10_<i>`), liveview published at `--fps-out` (default 2). Per N, over a short
 * window after a warm-up: CPU of each bridge (/proc), liveview fps delivered per bridge to one
 * subscriber on every base topic, frame latency (simulator send → receipt), `cmd/self_timer`
 * round trip (one per bridge per second, sent in turn, one in flight), and the CPU of the broker
 * and of this process (which hosts the N simulators and the subscribers, see bench/e2e-rig.ts).
 *
 * On 2 cores the N simulators (≈ 3 % of a core each, BENCHMARKS.md §2) and the broker share the
 * machine with the bridges, so for large N the figures show contention, not only the bridges.
 *
 * Usage: node dist-bench/bench/e2e-scale.js [--n 1,4,8,16] [--runs 1] [--warmup-s 5]
 *   [--duration-s 20] [--fps-out 2]
 */
import { execFileSync } from "node:child_process";
import { setTimeout as delay } from "node:timers/promises";
import { parseArgs } from "node:util";
import { startBroker, brokerKind, type Broker } from "../test/helpers/broker.js";
import { CommandClient, LiveviewSubscriber, startRig, type Rig } from "./e2e-rig.js";
import {
  cpuMsSince,
  emitJson,
  fmtSpread,
  formatMachine,
  machineInfo,
  markdownTable,
  round,
  summarize,
  type Summary,
} from "./lib.js";
import { cpuPercent, readProc, type ProcSample } from "./proc.js";

interface ScaleResult {
  n: number;
  /** % of one core, per bridge. */
  bridgeCpu: Summary;
  bridgeCpuTotal: number;
  bridgeRssMB: Summary;
  /** Delivered liveview fps, per bridge. */
  fps: Summary;
  latency: Summary;
  command: Summary;
  commandErrors: number;
  brokerCpu: number;
  /** This process: the N simulators + subscriber + command client, % of one core. */
  benchCpu: number;
}

function listenerPid(port: number): number | undefined {
  try {
    const out = execFileSync("ss", ["-ltnpH", `sport = :${port}`], { encoding: "utf8" });
    const pid = /pid=(\d+)/.exec(out)?.[1];
    return pid === undefined ? undefined : Number(pid);
  } catch {
    return undefined;
  }
}

async function oneRun(
  n: number,
  fpsOut: number,
  warmupS: number,
  durationS: number,
): Promise<ScaleResult> {
  const broker: Broker = await startBroker();
  const rigs: Rig[] = [];
  let sub: LiveviewSubscriber | undefined;
  let cmd: CommandClient | undefined;
  try {
    for (let i = 0; i < n; i++) {
      rigs.push(await startRig({ brokerUrl: broker.url, base: `qx10_${i}`, fpsIn: 30, fpsOut }));
    }
    sub = await LiveviewSubscriber.connect(broker.url, rigs);
    cmd = await CommandClient.connect(
      broker.url,
      rigs.map((r) => r.base),
    );
    const s = sub;
    await Promise.all(
      rigs.map((r) => s.firstFrame(r, 60_000, () => r.bridge.stderr().slice(-2000))),
    );
    await delay(warmupS * 1000);
    const pids = rigs.map((r) => {
      const pid = r.bridge.child.pid;
      if (pid === undefined) throw new Error("daemon has no pid");
      return pid;
    });
    const brokerPid = listenerPid(broker.port);
    sub.reset();
    const p0 = pids.map((p) => readProc(p));
    const b0: ProcSample | undefined = brokerPid === undefined ? undefined : readProc(brokerPid);
    const self0 = process.cpuUsage();
    const t0 = performance.now();
    const rtts: number[] = [];
    let errors = 0;
    // One command per bridge per second (so each bridge's command load is the same for every
    // N), sequential; the round's remainder is idle.
    for (let tick = 1; performance.now() - t0 < durationS * 1000; tick++) {
      for (const rig of rigs) {
        try {
          rtts.push(await cmd.time(rig.base, "self_timer", { value: 0 }, 5000));
        } catch {
          errors++;
        }
      }
      await delay(Math.max(0, t0 + tick * 1000 - performance.now()));
    }
    const elapsedS = (performance.now() - t0) / 1000;
    const p1 = pids.map((p) => readProc(p));
    const b1 = brokerPid === undefined ? undefined : readProc(brokerPid);
    const cpus = p1.map((p, i) => {
      const from = p0[i];
      return from === undefined ? Number.NaN : cpuPercent(from, p);
    });
    return {
      n,
      bridgeCpu: summarize(cpus),
      bridgeCpuTotal: cpus.reduce((a, b) => a + b, 0),
      bridgeRssMB: summarize(p1.map((p) => p.rssBytes / 1e6)),
      fps: summarize(rigs.map((r) => (s.received.get(r.base) ?? 0) / elapsedS)),
      latency: summarize(s.latencies),
      command: summarize(rtts),
      commandErrors: errors,
      brokerCpu: b0 === undefined || b1 === undefined ? Number.NaN : cpuPercent(b0, b1),
      benchCpu: (100 * cpuMsSince(self0)) / (elapsedS * 1000),
    };
  } catch (e) {
    throw new Error(
      `N=${n} failed: ${String(e)}; first daemon stderr: ${rigs[0]?.bridge.stderr().slice(-2000) ?? ""}`,
      { cause: e },
    );
  } finally {
    await cmd?.close();
    await sub?.close();
    await Promise.all(rigs.map((r) => r.stop()));
    await broker.stop();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      n: { type: "string", default: "1,4,8,16" },
      runs: { type: "string", default: "1" },
      "warmup-s": { type: "string", default: "5" },
      "duration-s": { type: "string", default: "20" },
      "fps-out": { type: "string", default: "2" },
    },
  });
  if (brokerKind !== "mosquitto") throw new Error("needs a local mosquitto");
  const machine = machineInfo();
  console.log(`# Scale: N bridges on one broker\n\nMachine: ${formatMachine(machine)}\n`);
  const fpsOut = Number(values["fps-out"]);
  const results: ScaleResult[] = [];
  for (const n of values.n.split(",").map(Number)) {
    for (let i = 0; i < Number(values.runs); i++) {
      const r = await oneRun(n, fpsOut, Number(values["warmup-s"]), Number(values["duration-s"]));
      results.push(r);
      console.log(
        `N=${n} run ${i + 1}: bridge CPU ${fmtSpread(r.bridgeCpu, 2)} % each (total ${round(r.bridgeCpuTotal, 1)} %), ` +
          `RSS ${fmtSpread(r.bridgeRssMB)} MB, fps ${fmtSpread(r.fps, 2)}, latency p50 ${round(r.latency.median, 2)} p99 ${round(r.latency.p99, 2)} ms, ` +
          `self_timer p50 ${round(r.command.median, 2)} p99 ${round(r.command.p99, 2)} ms (n ${r.command.n}, errors ${r.commandErrors}), ` +
          `broker CPU ${round(r.brokerCpu, 1)} %, bench process (simulators) CPU ${round(r.benchCpu, 1)} %, load ${machineInfo().loadAvg.join(" / ")}`,
      );
    }
  }
  console.log("");
  console.log(
    markdownTable(
      [
        "N",
        "bridge CPU % each, median (min–max)",
        "all bridges %",
        "bridge RSS MB",
        `fps delivered each (of ${fpsOut})`,
        "frame latency p50 / p99 ms",
        "self_timer p50 / p99 ms",
        "broker CPU %",
        "simulators + subscriber CPU %",
      ],
      results.map((r) => [
        String(r.n),
        fmtSpread(r.bridgeCpu, 2),
        String(round(r.bridgeCpuTotal, 1)),
        fmtSpread(r.bridgeRssMB),
        fmtSpread(r.fps, 2),
        `${round(r.latency.median, 2)} / ${round(r.latency.p99, 2)}`,
        `${round(r.command.median, 2)} / ${round(r.command.p99, 2)}`,
        String(round(r.brokerCpu, 1)),
        String(round(r.benchCpu, 1)),
      ]),
    ),
  );
  console.log(`load at end: ${machineInfo().loadAvg.join(" / ")}`);
  emitJson("e2e-scale", machine, { fpsOut, results });
}

await main();
