/**
 * Simulator cost (issue 7): CPU time of the camera simulator per liveview frame at 30 fps, with a
 * reader connected. The simulator runs in this process (its CPU is measured with
 * process.cpuUsage over fixed windows); the reader runs in a child process (plain node:http GET
 * that discards the bytes) so its cost is not counted. Every end-to-end figure later includes
 * this cost when the simulator shares the machine.
 *
 * Usage: node dist-bench/bench/sim-cost.js [--fps 30] [--width 640] [--height 480]
 *   [--seconds 10] [--runs 7] [--warmup-seconds 3]
 */
import { spawn } from "node:child_process";
import { setTimeout as delay } from "node:timers/promises";
import { parseArgs } from "node:util";
import { CameraApi } from "../src/camera/api.js";
import { CameraClient } from "../src/camera/client.js";
import { startSimulator } from "../src/sim/simulator.js";
import {
  cpuMsSince,
  emitJson,
  fmtSpread,
  formatMachine,
  machineInfo,
  markdownTable,
  round,
  summarize,
} from "./lib.js";

/** The reader: GET the stream, discard the body, report bytes on exit. */
const READER = `
const http = require("node:http");
let bytes = 0;
http.get(process.argv[1], (res) => {
  res.on("data", (d) => { bytes += d.length; });
  res.on("end", () => process.exit(0));
}).on("error", (e) => { console.error(String(e)); process.exit(1); });
process.on("SIGTERM", () => { process.stdout.write(String(bytes)); process.exit(0); });
`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      fps: { type: "string", default: "30" },
      width: { type: "string", default: "640" },
      height: { type: "string", default: "480" },
      seconds: { type: "string", default: "10" },
      runs: { type: "string", default: "7" },
      "warmup-seconds": { type: "string", default: "3" },
    },
  });
  const fps = Number(values.fps);
  const width = Number(values.width);
  const height = Number(values.height);
  const windowMs = Number(values.seconds) * 1000;
  const runs = Number(values.runs);

  const machine = machineInfo();
  console.log(`# Simulator cost per liveview frame\n\nMachine: ${formatMachine(machine)}\n`);
  const sim = await startSimulator({ liveview: { fps, width, height } });
  const client = new CameraClient({ endpoints: sim.urls.endpoints });
  const api = new CameraApi(client);
  try {
    const url = await api.startLiveview();
    const child = spawn(process.execPath, ["-e", READER, url], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString("utf8");
    });
    const exited = new Promise<void>((resolve) =>
      child.once("exit", () => {
        resolve();
      }),
    );
    try {
      await delay(Number(values["warmup-seconds"]) * 1000);
      const cpuPerFrame: number[] = [];
      const corePct: number[] = [];
      const fpsSeen: number[] = [];
      for (let i = 0; i < runs; i++) {
        const sent0 = sim.liveview.stats.packetsSent;
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        await delay(windowMs);
        const cpuMs = cpuMsSince(cpu0);
        const wallMs = performance.now() - t0;
        const frames = sim.liveview.stats.packetsSent - sent0;
        cpuPerFrame.push(cpuMs / frames);
        corePct.push((100 * cpuMs) / wallMs);
        fpsSeen.push((frames * 1000) / wallMs);
        console.log(
          `window ${i + 1}: ${frames} frames, ${round(cpuMs, 0)} ms CPU, ` +
            `${round(cpuMs / frames, 3)} ms/frame, ${round((100 * cpuMs) / wallMs, 2)}% of a core`,
        );
      }
      const stats = sim.liveview.stats;
      child.kill("SIGTERM");
      await exited;
      const s = {
        cpuMsPerFrame: summarize(cpuPerFrame),
        percentOfCore: summarize(corePct),
        fps: summarize(fpsSeen),
      };
      console.log("");
      console.log(
        markdownTable(
          [
            "frames",
            "fps delivered",
            "CPU ms / frame",
            "% of one core",
            "skipped frames",
            "reader bytes",
          ],
          [
            [
              `${width}×${height} @ ${fps}`,
              fmtSpread(s.fps, 1),
              fmtSpread(s.cpuMsPerFrame, 3),
              fmtSpread(s.percentOfCore, 2),
              String(stats.framesSkipped),
              out.trim(),
            ],
          ],
        ),
      );
      emitJson("sim-cost", machine, { targetFps: fps, width, height, windowMs, ...s, stats });
    } finally {
      child.kill("SIGKILL");
    }
  } finally {
    await client.close();
    await sim.close();
  }
}

await main();
