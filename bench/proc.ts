/**
 * Process helpers for the end-to-end benchmarks: spawn the real daemon (`node bin/qx10-mqtt.js run
 * --config <file>`, from dist/), and read another process's CPU time and RSS from /proc (Linux),
 * so the bridge's own cost is measured apart from the simulator, broker and subscriber.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { projectRoot } from "./lib.js";

/** CPU time and memory of a process at one instant. */
export interface ProcSample {
  /** performance.now() when read, ms. */
  at: number;
  /** User + system CPU time since the process started, ms. */
  cpuMs: number;
  /** Resident set size, bytes. */
  rssBytes: number;
}

let clockTicks: number | undefined;
/** Kernel clock ticks per second (`getconf CLK_TCK`, normally 100). */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/**
 * Reads /proc/<pid>/stat (utime, stime) and /proc/<pid>/status (VmRSS).
 * @throws when the process is gone or /proc is unavailable (not Linux)
 */
export function readProc(pid: number): ProcSample {
  const at = performance.now();
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may contain spaces) start after the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of stat, i.e. 11 and 12 after "pid (comm) state".
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const rssKb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? Number.NaN);
  return { at, cpuMs: (ticks * 1000) / ticksPerSecond(), rssBytes: rssKb * 1024 };
}

/** CPU use between two samples as % of one core. */
export function cpuPercent(from: ProcSample, to: ProcSample): number {
  return (100 * (to.cpuMs - from.cpuMs)) / (to.at - from.at);
}

/** A daemon started by {@link spawnBridge}. */
export interface BridgeProcess {
  readonly child: ChildProcess;
  /** Date.now() just before spawn(). */
  readonly startedAt: number;
  /** Captured standard error (capped at 64 KiB). */
  stderr(): string;
  /** SIGTERM, then SIGKILL after `timeoutMs` (default 5000); resolves on exit. Idempotent. */
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * Writes `config` to a temp file and spawns `node bin/qx10-mqtt.js run --config <file>` from the
 * project root (the daemon runs from dist/: `npm run build` first).
 */
export function spawnBridge(config: Record<string, unknown>, args: string[] = []): BridgeProcess {
  const root = projectRoot();
  const dir = mkdtempSync(join(tmpdir(), "qx10-bench-"));
  const configFile = join(dir, "config.json");
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  const startedAt = Date.now();
  const child = spawn(
    process.execPath,
    [...args, join(root, "bin", "qx10-mqtt.js"), "run", "--config", configFile],
    { cwd: root, stdio: ["ignore", "ignore", "pipe"] },
  );
  let err = "";
  child.stderr.on("data", (d: Buffer) => {
    if (err.length < 65536) err += d.toString("utf8");
  });
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => {
      rmSync(dir, { recursive: true, force: true });
      resolve();
    });
  });
  return {
    child,
    startedAt,
    stderr: () => err,
    async stop(timeoutMs = 5000) {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
