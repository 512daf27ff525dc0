/**
 * Shared benchmark helpers: statistics (median, percentiles, spread), a runner that repeats a
 * measurement, machine information, seeded randomness, and output as Markdown table rows and
 * JSON lines. Bench files compile with tsconfig.bench.json to dist-bench/ and run from there
 * (`npm run bench:<name>`); nothing here runs under `npm test`.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Summary of a sample: median, spread and tail percentiles, in the sample's unit. */
export interface Summary {
  n: number;
  min: number;
  max: number;
  mean: number;
  median: number;
  /** 25th and 75th percentile (linear interpolation). */
  p25: number;
  p75: number;
  p90: number;
  p99: number;
}

/** The q-quantile (0..1) of an ascending-sorted array, by linear interpolation; NaN when empty. */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] ?? Number.NaN;
  const b = sorted[hi] ?? Number.NaN;
  return a + (b - a) * (pos - lo);
}

/** The p-th percentile (0..100) of `values` (unsorted). */
export function percentile(values: readonly number[], p: number): number {
  return quantileSorted(
    [...values].sort((x, y) => x - y),
    p / 100,
  );
}

/** The median of `values`. */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Summarises a sample (see {@link Summary}). */
export function summarize(values: readonly number[]): Summary {
  const s = [...values].sort((x, y) => x - y);
  const sum = s.reduce((a, b) => a + b, 0);
  return {
    n: s.length,
    min: s[0] ?? Number.NaN,
    max: s[s.length - 1] ?? Number.NaN,
    mean: s.length === 0 ? Number.NaN : sum / s.length,
    median: quantileSorted(s, 0.5),
    p25: quantileSorted(s, 0.25),
    p75: quantileSorted(s, 0.75),
    p90: quantileSorted(s, 0.9),
    p99: quantileSorted(s, 0.99),
  };
}

/** Options of {@link repeat}. */
export interface RepeatOptions {
  /** Measured runs (default 9). */
  runs?: number;
  /** Unmeasured runs first, to let the JIT settle (default 2). */
  warmup?: number;
  /** Called between runs (e.g. to trigger GC when exposed); default none. */
  between?: () => void;
}

/**
 * Calls `run` warmup + runs times and returns the measured runs' results. `run` returns its own
 * measurement (e.g. elapsed ns, or an object of several figures).
 */
export async function repeat<T>(
  run: (index: number) => T | Promise<T>,
  options: RepeatOptions = {},
): Promise<T[]> {
  const runs = options.runs ?? 9;
  const warmup = options.warmup ?? 2;
  const out: T[] = [];
  for (let i = 0; i < warmup + runs; i++) {
    options.between?.();
    const r = await run(i);
    if (i >= warmup) out.push(r);
  }
  return out;
}

/** Elapsed time of a synchronous function, in ms, by process.hrtime.bigint(). */
export function timeMs(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** Runs global.gc() when node was started with --expose-gc; otherwise does nothing. */
export function gcIfExposed(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  g?.();
}

/** Where and on what a benchmark ran. */
export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memGiB: number;
  node: string;
  v8: string;
  platform: string;
  /** 1, 5 and 15-minute load averages when the benchmark started. */
  loadAvg: [number, number, number];
  /** Git commit of the working tree (short), with "+dirty" when it has changes; "" unknown. */
  commit: string;
  date: string;
}

/** Collects {@link MachineInfo} now (call at the start of a benchmark). */
export function machineInfo(): MachineInfo {
  const c = cpus();
  const [l1, l5, l15] = loadavg();
  let commit = "";
  try {
    const root = projectRoot();
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" })
      .trim()
      .concat(
        execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], {
          cwd: root,
          encoding: "utf8",
        }).trim() === ""
          ? ""
          : "+dirty",
      );
  } catch {
    // not a git checkout
  }
  return {
    cpuModel: c[0]?.model.trim() ?? "unknown",
    cores: c.length,
    memGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform} ${process.arch}`,
    loadAvg: [round(l1 ?? 0, 2), round(l5 ?? 0, 2), round(l15 ?? 0, 2)],
    commit,
    date: new Date().toISOString(),
  };
}

/** One line describing the machine, for the top of a benchmark's output. */
export function formatMachine(m: MachineInfo): string {
  return (
    `${m.cpuModel}, ${m.cores} cores, ${m.memGiB} GiB, node ${m.node} (V8 ${m.v8}), ` +
    `${m.platform}, load ${m.loadAvg.join(" / ")} at start, commit ${m.commit || "?"}, ${m.date}`
  );
}

/** Rounds to `digits` decimals. */
export function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** "median (min–max)" with `digits` decimals. */
export function fmtSpread(s: Summary, digits = 1): string {
  return `${round(s.median, digits)} (${round(s.min, digits)}–${round(s.max, digits)})`;
}

/** A Markdown table: a header row, the separator and the rows. */
export function markdownTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/** A Markdown table row from cells. */
export function markdownRow(cells: readonly (string | number)[]): string {
  return `| ${cells.map(String).join(" | ")} |`;
}

/**
 * Prints a result as one JSON line prefixed with `BENCH_JSON ` (easy to grep out of the
 * human-readable output), with the machine information attached.
 */
export function emitJson(name: string, machine: MachineInfo, result: unknown): void {
  console.log(`BENCH_JSON ${JSON.stringify({ bench: name, machine, result })}`);
}

/** Tiny seeded PRNG (mulberry32): uniform floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Splits `data` into consecutive views (no copy) of seeded random length in [min, max] bytes
 * (the last one may be shorter).
 */
export function randomChunks(data: Buffer, seed: number, min: number, max: number): Buffer[] {
  const rnd = seededRandom(seed);
  const out: Buffer[] = [];
  for (let o = 0; o < data.length;) {
    const n = min + Math.floor(rnd() * (max - min + 1));
    out.push(data.subarray(o, Math.min(data.length, o + n)));
    o += n;
  }
  return out;
}

/**
 * The project root: the nearest folder above this file holding the qx10-mqtt package.json
 * (this file runs from bench/ when type-checked and from dist-bench/bench/ when compiled).
 */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg)) {
      const json = JSON.parse(readFileSync(pkg, "utf8")) as { name?: unknown };
      if (json.name === "qx10-mqtt") return dir;
    }
    const up = dirname(dir);
    if (up === dir) throw new Error("qx10-mqtt package.json not found above the bench files");
    dir = up;
  }
}

/** Absolute path of a shared fixture (../shared/fixtures next to the project, read in place). */
export function fixturePath(rel: string): string {
  return resolve(projectRoot(), "..", "shared", "fixtures", rel);
}

/** Process CPU time (user + system) in ms since `since` (a process.cpuUsage() snapshot). */
export function cpuMsSince(since: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
}
