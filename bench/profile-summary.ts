/**
 * Prints the top functions by self time of a V8 CPU profile (`node --cpu-prof` writes
 * `*.cpuprofile`), so BENCHMARKS.md can quote where the time goes without a GUI.
 *
 * Usage: node dist-bench/bench/profile-summary.js <file.cpuprofile> [--top 20]
 *   [--by function|package]
 */
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { parseArgs } from "node:util";
import { markdownTable, projectRoot, round } from "./lib.js";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Grouping of {@link selfTimes}: per function, or per npm package / node internals / project. */
export type GroupBy = "function" | "package";

function packageOf(url: string, fn: string): string {
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm?.[1] !== undefined) return `npm ${nm[1]}`;
  if (url.startsWith("node:")) return "node internals";
  if (url.includes("/dist/") || url.includes("/dist-bench/")) return "project code";
  return url === "" ? fn || "(native)" : url;
}

/** Self time per function or group (µs), from a profile's samples and time deltas. */
export function selfTimes(profile: CpuProfile, by: GroupBy = "function"): Map<string, number> {
  const byId = new Map<number, ProfileNode>();
  for (const n of profile.nodes) byId.set(n.id, n);
  const root = projectRoot();
  const out = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    if (node === undefined) return;
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url.startsWith("file://") ? relative(root, new URL(url).pathname) : url;
    const key =
      by === "package"
        ? packageOf(url, functionName)
        : `${functionName || "(anonymous)"} ${file === "" ? "" : `${file}:${lineNumber + 1}`}`;
    out.set(key, (out.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  return out;
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      top: { type: "string", default: "20" },
      by: { type: "string", default: "function" },
    },
  });
  const file = positionals[0];
  if (file === undefined) throw new Error("usage: profile-summary <file.cpuprofile> [--top N]");
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const by = values.by === "package" ? "package" : "function";
  const times = selfTimes(profile, by);
  const total = [...times.values()].reduce((a, b) => a + b, 0);
  const rows = [...times.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, Number(values.top))
    .map(([name, us]) => [
      name.trim(),
      `${round(us / 1000, 1)}`,
      `${round((100 * us) / total, 1)}%`,
    ]);
  console.log(`total sampled: ${round(total / 1000, 1)} ms\n`);
  console.log(markdownTable([by, "self ms", "share"], rows));
}

main();
