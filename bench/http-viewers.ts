/**
 * MJPEG viewers (issue 9): simulator at 30 fps → bridge (`qx10-mqtt run`, child process, HTTP on a
 * free loopback port, MQTT liveview publishing off, so only the viewers keep the camera stream
 * running) → N clients reading `/liveview.mjpeg` with the strict multipart parser of the tests.
 *
 * Per frame and viewer: latency from the simulator writing the packet (`liveview.onPacket`) to the
 * viewer having the whole part, matched by the frame number in the JPEG's COM segment
 * (`readSimComment`), the same clock and method as bench/e2e-liveview.ts. Per run: frames per
 * second delivered to each viewer (min and median over the viewers), frames a viewer missed
 * (sent by the simulator, never received), and the bridge's CPU (% of one core, /proc) and RSS.
 *
 * The simulator and the N readers share this process (bench/e2e-rig.ts explains why the simulator
 * is here); with 50 viewers their parsing also runs on this event loop, which can only add to the
 * measured latency, never hide any. The bridge's CPU is the daemon's alone.
 *
 * Usage: node dist-bench/bench/http-viewers.js [--viewers 1,10,50] [--fps-in 30] [--runs 3]
 *   [--warmup-s 3] [--duration-s 10]
 */
import { setTimeout as delay } from "node:timers/promises";
import { parseArgs } from "node:util";
import { readSimComment } from "../src/sim/pattern.js";
import { brokerKind, freePort, startBroker } from "../test/helpers/broker.js";
import {
  openMjpeg,
  type MjpegPart,
  type MjpegReader,
} from "../test/integration/http-mjpeg-reader.js";
import { startRig } from "./e2e-rig.js";
import {
  emitJson,
  fmtSpread,
  formatMachine,
  machineInfo,
  markdownTable,
  median,
  round,
  summarize,
  type Summary,
} from "./lib.js";
import { cpuPercent, readProc } from "./proc.js";

interface RunResult {
  viewers: number;
  fpsIn: number;
  /** All viewers' per-frame latencies pooled. */
  latency: Summary;
  /** Frames per second delivered, per viewer: the slowest and the median viewer. */
  fpsMin: number;
  fpsMedian: number;
  /** Frames the simulator sent in the window. */
  framesSent: number;
  /** Frames per viewer sent but not received (median over viewers), % of framesSent. */
  missedPercent: number;
  unmatched: number;
  cpuPercent: number;
  rssStartMB: number;
  rssEndMB: number;
}

async function oneRun(
  viewers: number,
  fpsIn: number,
  warmupS: number,
  durationS: number,
): Promise<RunResult> {
  const broker = await startBroker();
  const port = await freePort();
  const rig = await startRig({
    brokerUrl: broker.url,
    fpsIn,
    liveview: false,
    config: { http: { enabled: true, port } },
  });
  const readers: MjpegReader[] = [];
  let measuring = false;
  let latencies: number[] = [];
  let unmatched = 0;
  const received: number[] = new Array<number>(viewers).fill(0);
  try {
    const onPart =
      (i: number) =>
      (part: MjpegPart): void => {
        if (!measuring) return;
        received[i] = (received[i] ?? 0) + 1;
        const n = readSimComment(part.jpeg)?.n;
        const t = n === undefined ? undefined : rig.sentAt.get(n);
        if (t === undefined) unmatched++;
        else latencies.push(part.at - t);
      };
    const url = `http://127.0.0.1:${port}/liveview.mjpeg`;
    // The daemon needs a moment to start listening: retry the first viewer.
    for (let attempt = 0; readers.length === 0; attempt++) {
      try {
        readers.push(await openMjpeg(url, { keep: false, onPart: onPart(0) }));
      } catch (e) {
        if (attempt > 100) throw e;
        await delay(100);
      }
    }
    for (let i = 1; i < viewers; i++) {
      readers.push(await openMjpeg(url, { keep: false, onPart: onPart(i) }));
    }
    const deadline = performance.now() + 20_000;
    while (readers.some((r) => r.count() === 0)) {
      if (performance.now() > deadline) {
        throw new Error(`no frames within 20 s: ${rig.bridge.stderr().slice(-2000)}`);
      }
      await delay(50);
    }
    await delay(warmupS * 1000);
    const pid = rig.bridge.child.pid;
    if (pid === undefined) throw new Error("daemon has no pid");
    latencies = [];
    unmatched = 0;
    const sent0 = rig.sent();
    const p0 = readProc(pid);
    measuring = true;
    await delay(durationS * 1000);
    measuring = false;
    const p1 = readProc(pid);
    const framesSent = rig.sent() - sent0;
    const seconds = (p1.at - p0.at) / 1000;
    const fps = received.map((n) => n / seconds);
    return {
      viewers,
      fpsIn,
      latency: summarize(latencies),
      fpsMin: Math.min(...fps),
      fpsMedian: median(fps),
      framesSent,
      missedPercent: (100 * Math.max(0, framesSent - median(received))) / Math.max(1, framesSent),
      unmatched,
      cpuPercent: cpuPercent(p0, p1),
      rssStartMB: p0.rssBytes / 1e6,
      rssEndMB: p1.rssBytes / 1e6,
    };
  } finally {
    for (const r of readers) r.close();
    await rig.stop();
    await broker.stop();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      viewers: { type: "string", default: "1,10,50" },
      "fps-in": { type: "string", default: "30" },
      runs: { type: "string", default: "3" },
      "warmup-s": { type: "string", default: "3" },
      "duration-s": { type: "string", default: "10" },
    },
  });
  if (brokerKind !== "mosquitto") throw new Error("needs a local mosquitto");
  const machine = machineInfo();
  console.log(`# MJPEG viewers\n\nMachine: ${formatMachine(machine)}\n`);
  const fpsIn = Number(values["fps-in"]);
  const results: RunResult[] = [];
  for (const viewers of values.viewers.split(",").map(Number)) {
    for (let i = 0; i < Number(values.runs); i++) {
      const r = await oneRun(
        viewers,
        fpsIn,
        Number(values["warmup-s"]),
        Number(values["duration-s"]),
      );
      results.push(r);
      console.log(
        `${viewers} viewer(s), run ${i + 1}: latency p50 ${round(r.latency.median, 2)} p99 ${round(r.latency.p99, 2)} max ${round(r.latency.max, 2)} ms (n ${r.latency.n}), ` +
          `fps min ${round(r.fpsMin, 2)} median ${round(r.fpsMedian, 2)}, missed ${round(r.missedPercent, 2)} %, CPU ${round(r.cpuPercent, 2)} %, RSS ${round(r.rssStartMB)} → ${round(r.rssEndMB)} MB`,
      );
    }
  }
  const rows: string[][] = [];
  for (const viewers of [...new Set(results.map((r) => r.viewers))]) {
    const rs = results.filter((r) => r.viewers === viewers);
    const s = (f: (r: RunResult) => number, d = 1): string => fmtSpread(summarize(rs.map(f)), d);
    rows.push([
      String(viewers),
      String(rs.length),
      s((r) => r.latency.median, 2),
      s((r) => r.latency.p99, 2),
      s((r) => r.latency.max, 1),
      s((r) => r.fpsMin, 2),
      s((r) => r.fpsMedian, 2),
      s((r) => r.missedPercent, 2),
      s((r) => r.cpuPercent, 2),
      s((r) => r.rssEndMB),
    ]);
  }
  console.log("");
  console.log(
    markdownTable(
      [
        "viewers",
        "runs",
        "latency p50 ms",
        "latency p99 ms",
        "latency max ms",
        "fps slowest viewer",
        "fps median viewer",
        "frames missed %",
        "bridge CPU % of a core",
        "bridge RSS MB",
      ],
      rows,
    ),
  );
  console.log(`\n(${fpsIn} fps from the simulator; each cell: median (min–max) over the runs)`);
  console.log(`load at end: ${machineInfo().loadAvg.join(" / ")}`);
  emitJson("http-viewers", machine, { runs: results });
}

await main();
