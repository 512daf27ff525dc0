/**
 * Command round trip without MQTT (issue 7): `CameraApi.takePicture` and a setting change
 * (`setSelfTimer`) against the camera simulator with every camera delay at 0 (captureMs, saveMs,
 * settingDelayMs), through the real JSON-RPC client over loopback HTTP. This is the baseline that
 * the bridge's own overhead (cmd/shoot → cmd/shoot/result through Mosquitto, measured later) is
 * subtracted from. Client and simulator share this process, as they share the machine later.
 *
 * Note: a 0 ms simulator delay is still a node timer (`setTimeout(…, 0)` fires after ≥ 1 ms), and
 * a capture runs through two of them (capture, then save), so the shot figure includes ≈ 2 ms of
 * timer latency that a real camera replaces with its own capture time.
 *
 * Usage: node dist-bench/bench/command-rtt.js [--shots 300] [--settings 300] [--warmup 20]
 */
import { parseArgs } from "node:util";
import { CameraApi } from "../src/camera/api.js";
import { CameraClient } from "../src/camera/client.js";
import { startSimulator } from "../src/sim/simulator.js";
import {
  emitJson,
  formatMachine,
  machineInfo,
  markdownTable,
  round,
  summarize,
  type Summary,
} from "./lib.js";

async function timeEach(
  n: number,
  warmup: number,
  op: (i: number) => Promise<unknown>,
): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < warmup + n; i++) {
    const t0 = performance.now();
    await op(i);
    const ms = performance.now() - t0;
    if (i >= warmup) out.push(ms);
  }
  return out;
}

function row(name: string, s: Summary): string[] {
  const f = (x: number): string => String(round(x, 2));
  return [name, String(s.n), f(s.median), f(s.p90), f(s.p99), f(s.min), f(s.max), f(s.mean)];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      shots: { type: "string", default: "300" },
      settings: { type: "string", default: "300" },
      warmup: { type: "string", default: "20" },
    },
  });
  const warmup = Number(values.warmup);
  const machine = machineInfo();
  console.log(`# Command round trip without MQTT\n\nMachine: ${formatMachine(machine)}\n`);
  const sim = await startSimulator({
    timings: { captureMs: 0, saveMs: 0, settingDelayMs: 0 },
    postviewSize: { width: 320, height: 240 },
  });
  const client = new CameraClient({ endpoints: sim.urls.endpoints });
  const api = new CameraApi(client);
  try {
    const shots = await timeEach(Number(values.shots), warmup, () => api.takePicture());
    // Alternate between two values so every call really changes the setting.
    const settings = await timeEach(Number(values.settings), warmup, (i) =>
      api.setSelfTimer(i % 2 === 0 ? 2 : 0),
    );
    await api.setSelfTimer(0);
    const s = { takePicture: summarize(shots), setSelfTimer: summarize(settings) };
    console.log(
      markdownTable(
        ["call", "n", "p50 ms", "p90 ms", "p99 ms", "min ms", "max ms", "mean ms"],
        [row("takePicture (capture 0 ms)", s.takePicture), row("setSelfTimer", s.setSelfTimer)],
      ),
    );
    console.log(`\nload at end: ${machineInfo().loadAvg.join(" / ")}`);
    emitJson("command-rtt", machine, s);
  } finally {
    await client.close();
    await sim.close();
  }
}

await main();
