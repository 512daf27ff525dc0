/**
 * Slow consumer (issue 7): the bridge publishes liveview at 30 fps (simulator 30 fps in, bridge
 * `liveview.fps` 30) while one subscriber reads 1 message per second. Two phases on one rig:
 * "normal" (a fast subscriber only), then "slow" (the slow subscriber connected as well). Per
 * phase: fps the fast subscriber receives (what the bridge publishes), messages the slow one read,
 * the bridge's CPU and RSS (sampled every second; start/end/max/slope), Mosquitto's RSS, and the
 * round trip of `cmd/self_timer` sent every 500 ms during the phase (p50/p99).
 *
 * The slow subscriber is a raw MQTT 3.1.1 client on a plain socket (keep-alive 0, so the broker
 * never drops it for silence): after SUBSCRIBE it stops reading (the socket is paused: Node's
 * buffer fills, then the kernel's receive window, then Mosquitto's send queue), and once a second
 * reads exactly one PUBLISH packet off the socket. Where the frames it misses go is the broker's
 * business (Mosquitto drops QoS 0 messages past its per-client queue and expired ones: the
 * bridge sets a 5 s message expiry); the point is that none of it reaches back to the bridge.
 *
 * Usage: node dist-bench/bench/e2e-slow.js [--phase-s 60] [--warmup-s 5] [--runs 1]
 */
import { execFileSync } from "node:child_process";
import { connect, type Socket } from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import { parseArgs } from "node:util";
import { startBroker, brokerKind, type Broker } from "../test/helpers/broker.js";
import {
  CommandClient,
  LiveviewSubscriber,
  slope,
  startRig,
  type Rig,
  runFailure,
} from "./e2e-rig.js";
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

/** MQTT 3.1.1 CONNECT (clean session, keep-alive 0) + SUBSCRIBE `topic` QoS 0. */
function connectAndSubscribe(clientId: string, topic: string): Buffer {
  const str = (s: string): Buffer => {
    const b = Buffer.from(s, "utf8");
    const len = Buffer.alloc(2);
    len.writeUInt16BE(b.length);
    return Buffer.concat([len, b]);
  };
  const connectBody = Buffer.concat([
    str("MQTT"),
    Buffer.from([4, 0x02, 0, 0]), // level 4, clean session, keep-alive 0
    str(clientId),
  ]);
  const subBody = Buffer.concat([Buffer.from([0, 1]), str(topic), Buffer.from([0])]);
  return Buffer.concat([
    Buffer.from([0x10, connectBody.length]),
    connectBody,
    Buffer.from([0x82, subBody.length]),
    subBody,
  ]);
}

/** Length of the first complete MQTT packet in `buf`, or 0 when it is not all there yet. */
function packetLength(buf: Buffer): number {
  let len = 0;
  let mul = 1;
  for (let i = 1; i < 5; i++) {
    const b = buf[i];
    if (b === undefined) return 0;
    len += (b & 0x7f) * mul;
    mul *= 128;
    if ((b & 0x80) === 0) return buf.length >= i + 1 + len ? i + 1 + len : 0;
  }
  throw new Error("bad MQTT remaining length");
}

/** A subscriber that takes one PUBLISH off its socket per second and leaves the rest unread. */
class SlowSubscriber {
  publishes = 0;
  #acc: Buffer = Buffer.alloc(0);
  #timer: NodeJS.Timeout | undefined;
  #busy = false;

  private constructor(readonly socket: Socket) {}

  static async connect(broker: Broker, topic: string): Promise<SlowSubscriber> {
    const socket = connect(broker.port, broker.host);
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    socket.pause();
    socket.write(connectAndSubscribe(`bench-slow-${process.pid}`, topic));
    const s = new SlowSubscriber(socket);
    s.#timer = setInterval(() => {
      if (!s.#busy) void s.#readOne();
    }, 1000);
    return s;
  }

  /** Reads from the paused socket until one PUBLISH (type 3) has been taken off it. */
  async #readOne(): Promise<void> {
    this.#busy = true;
    try {
      for (let waited = 0; waited < 500;) {
        const n = this.#acc.length > 0 ? packetLength(this.#acc) : 0;
        if (n > 0) {
          const type = (this.#acc[0] ?? 0) >> 4;
          this.#acc = this.#acc.subarray(n);
          if (type === 3) {
            this.publishes++;
            return;
          }
          continue; // CONNACK, SUBACK
        }
        const chunk = this.socket.read() as Buffer | null;
        if (chunk !== null) {
          this.#acc = this.#acc.length === 0 ? chunk : Buffer.concat([this.#acc, chunk]);
          continue;
        }
        await delay(5);
        waited += 5;
      }
    } finally {
      this.#busy = false;
    }
  }

  close(): void {
    clearInterval(this.#timer);
    this.socket.destroy();
  }
}

/** RSS of the process listening on `port` (the broker), from `ss` and /proc; NaN if unknown. */
function listenerRssMB(port: number): number {
  try {
    const out = execFileSync("ss", ["-ltnpH", `sport = :${port}`], { encoding: "utf8" });
    const pid = /pid=(\d+)/.exec(out)?.[1];
    return pid === undefined ? Number.NaN : readProc(Number(pid)).rssBytes / 1e6;
  } catch {
    return Number.NaN;
  }
}

interface Phase {
  phase: string;
  fpsPublished: number;
  slowRead: number;
  cpuPercent: number;
  rssStartMB: number;
  rssEndMB: number;
  rssMaxMB: number;
  rssSlopeMBPerMin: number;
  brokerRssStartMB: number;
  brokerRssEndMB: number;
  command: Summary;
  commandErrors: number;
}

async function phase(
  name: string,
  seconds: number,
  rig: Rig,
  broker: Broker,
  sub: LiveviewSubscriber,
  cmd: CommandClient,
  slow: SlowSubscriber | undefined,
): Promise<Phase> {
  const pid = rig.bridge.child.pid;
  if (pid === undefined) throw new Error("daemon has no pid");
  sub.reset();
  const slowBefore = slow?.publishes ?? 0;
  const brokerRssStartMB = listenerRssMB(broker.port);
  const p0 = readProc(pid);
  const t: number[] = [0];
  const rss: number[] = [p0.rssBytes / 1e6];
  const rtts: number[] = [];
  let errors = 0;
  const end = p0.at + seconds * 1000;
  let nextSample = p0.at + 1000;
  while (performance.now() < end) {
    try {
      rtts.push(await cmd.time(rig.base, "self_timer", { value: 0 }, 5000));
    } catch {
      errors++;
    }
    await delay(500);
    if (performance.now() >= nextSample) {
      const p = readProc(pid);
      t.push((p.at - p0.at) / 60_000);
      rss.push(p.rssBytes / 1e6);
      nextSample += 1000;
    }
  }
  const p1 = readProc(pid);
  return {
    phase: name,
    fpsPublished: (sub.received.get(rig.base) ?? 0) / ((p1.at - p0.at) / 1000),
    slowRead: (slow?.publishes ?? 0) - slowBefore,
    cpuPercent: cpuPercent(p0, p1),
    rssStartMB: rss[0] ?? Number.NaN,
    rssEndMB: rss[rss.length - 1] ?? Number.NaN,
    rssMaxMB: Math.max(...rss),
    rssSlopeMBPerMin: slope(t, rss),
    brokerRssStartMB,
    brokerRssEndMB: listenerRssMB(broker.port),
    command: summarize(rtts),
    commandErrors: errors,
  };
}

async function oneRun(phaseS: number, warmupS: number): Promise<Phase[]> {
  const broker = await startBroker();
  const rig = await startRig({ brokerUrl: broker.url, fpsIn: 30, fpsOut: 30 });
  const sub = await LiveviewSubscriber.connect(broker.url, [rig]);
  const cmd = await CommandClient.connect(broker.url, [rig.base]);
  let slow: SlowSubscriber | undefined;
  try {
    await sub.firstFrame(rig, 20_000, () => rig.bridge.stderr());
    await delay(warmupS * 1000);
    const normal = await phase("normal", phaseS, rig, broker, sub, cmd, undefined);
    slow = await SlowSubscriber.connect(broker, `${rig.base}/liveview`);
    const withSlow = await phase("slow consumer", phaseS, rig, broker, sub, cmd, slow);
    return [normal, withSlow];
  } catch (e) {
    throw runFailure(e, rig);
  } finally {
    slow?.close();
    await cmd.close();
    await sub.close();
    await rig.stop();
    await broker.stop();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      "phase-s": { type: "string", default: "60" },
      "warmup-s": { type: "string", default: "5" },
      runs: { type: "string", default: "1" },
    },
  });
  if (brokerKind !== "mosquitto") throw new Error("needs a local mosquitto");
  const machine = machineInfo();
  console.log(`# Slow consumer\n\nMachine: ${formatMachine(machine)}\n`);
  const all: Phase[] = [];
  for (let i = 0; i < Number(values.runs); i++) {
    const r = await oneRun(Number(values["phase-s"]), Number(values["warmup-s"]));
    for (const p of r) {
      console.log(
        `run ${i + 1} ${p.phase}: ${round(p.fpsPublished, 2)} fps published, slow read ${p.slowRead}, CPU ${round(p.cpuPercent, 2)} %, ` +
          `RSS ${round(p.rssStartMB)} → ${round(p.rssEndMB)} (max ${round(p.rssMaxMB)}, slope ${round(p.rssSlopeMBPerMin, 3)} MB/min), ` +
          `broker RSS ${round(p.brokerRssStartMB)} → ${round(p.brokerRssEndMB)} MB, self_timer p50 ${round(p.command.median, 2)} p99 ${round(p.command.p99, 2)} ms (n ${p.command.n}, errors ${p.commandErrors})`,
      );
    }
    all.push(...r);
  }
  const rows = ["normal", "slow consumer"].map((name) => {
    const ps = all.filter((p) => p.phase === name);
    const s = (f: (p: Phase) => number, d = 1): string => fmtSpread(summarize(ps.map(f)), d);
    return [
      name,
      s((p) => p.fpsPublished, 2),
      s((p) => p.slowRead, 0),
      s((p) => p.cpuPercent, 2),
      `${s((p) => p.rssStartMB)} → ${s((p) => p.rssEndMB)}`,
      s((p) => p.rssMaxMB),
      s((p) => p.rssSlopeMBPerMin, 3),
      `${s((p) => p.brokerRssStartMB)} → ${s((p) => p.brokerRssEndMB)}`,
      s((p) => p.command.median, 2),
      s((p) => p.command.p99, 2),
      s((p) => p.commandErrors, 0),
    ];
  });
  console.log("");
  console.log(
    markdownTable(
      [
        "phase",
        "fps published",
        "slow subscriber read",
        "bridge CPU %",
        "bridge RSS MB start → end",
        "bridge RSS max MB",
        "RSS slope MB/min",
        "broker RSS MB",
        "self_timer p50 ms",
        "self_timer p99 ms",
        "cmd errors",
      ],
      rows,
    ),
  );
  console.log(`load at end: ${machineInfo().loadAvg.join(" / ")}`);
  emitJson("e2e-slow", machine, { phases: all });
}

await main();
