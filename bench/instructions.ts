/**
 * Noise-free secondary figure for the decoder benchmark: instructions per byte under
 * `valgrind --tool=callgrind`, for when the machine is shared and wall-clock figures wobble
 * (`perf stat -e instructions` is not supported in this VM). For each stream/feed/method it runs
 * decoder.js twice under callgrind, with 1 and with 11 measured passes (same warm-up), and takes
 * the difference / 10: the instructions of one pass, free of start-up, JIT warm-up and stream
 * building (with only 2 extra passes, JIT and GC variation swamped the cheap copy passes).
 * Caveat: valgrind executes `rep movsb` one iteration per counted instruction, so memcpy-heavy
 * work (copy-ring, Buffer.from, assembling frames that span chunks) counts ≈ 1 instruction per
 * byte copied: compare like with like, not with wall-clock ratios.
 *
 * Usage: node dist-bench/bench/instructions.js [--mb 20] [--stream qx100]
 *   [--mode random] [--method decoder,copy-ring,Buffer.from,naive] [--sim-frames 30]
 * Needs valgrind on PATH. Each valgrind run takes 10–60 s.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { emitJson, formatMachine, machineInfo, markdownTable, round } from "./lib.js";

/** Extra measured passes of the long run over the short one. */
const EXTRA_PASSES = 10;

interface Measured {
  instructions: number;
  bytes: number;
  frames: number;
}

function runUnderCallgrind(args: string[], runs: number, dir: string): Measured {
  const script = fileURLToPath(new URL("./decoder.js", import.meta.url));
  const r = spawnSync(
    "valgrind",
    [
      "--tool=callgrind",
      `--callgrind-out-file=${join(dir, "callgrind.out.%p")}`,
      process.execPath,
      script,
      ...args,
      "--runs",
      String(runs),
      "--warmup",
      "1",
      "--skip-zero-copy",
    ],
    { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  if (r.status !== 0) throw new Error(`valgrind failed: ${r.stderr.slice(-2000)}`);
  const refs = /I\s+refs:\s+([\d,]+)/.exec(r.stderr)?.[1];
  const json = /^BENCH_JSON (.*)$/m.exec(r.stdout)?.[1];
  if (refs === undefined || json === undefined) throw new Error("no callgrind total or JSON");
  const parsed = JSON.parse(json) as { result: { rows: { bytes: number; frames: number }[] } };
  const row = parsed.result.rows[0];
  if (row === undefined) throw new Error("no row");
  return { instructions: Number(refs.replaceAll(",", "")), bytes: row.bytes, frames: row.frames };
}

function main(): void {
  const { values } = parseArgs({
    options: {
      mb: { type: "string", default: "20" },
      stream: { type: "string", default: "qx100" },
      mode: { type: "string", default: "random" },
      method: { type: "string", default: "decoder,copy-ring,Buffer.from,naive" },
      "sim-frames": { type: "string", default: "30" },
    },
  });
  const machine = machineInfo();
  console.log(`# Decoder instructions (callgrind)\n\nMachine: ${formatMachine(machine)}\n`);
  const dir = mkdtempSync(join(tmpdir(), "qx10-callgrind-"));
  const rows: string[][] = [];
  const results: Record<string, unknown>[] = [];
  try {
    for (const stream of values.stream.split(",")) {
      for (const mode of values.mode.split(",")) {
        for (const method of values.method.split(",")) {
          const args = [
            "--mb",
            values.mb,
            "--sim-frames",
            values["sim-frames"],
            "--stream",
            stream,
            "--mode",
            mode,
            "--method",
            method,
          ];
          const one = runUnderCallgrind(args, 1, dir);
          const many = runUnderCallgrind(args, 1 + EXTRA_PASSES, dir);
          const perPass = (many.instructions - one.instructions) / EXTRA_PASSES;
          const perByte = perPass / one.bytes;
          const perFrame = perPass / one.frames;
          results.push({ stream, mode, method, perPass, perByte, perFrame, bytes: one.bytes });
          rows.push([
            stream,
            mode,
            method,
            `${round(perPass / 1e6, 1)}`,
            `${round(perByte, 3)}`,
            `${Math.round(perFrame)}`,
          ]);
          console.log(rows[rows.length - 1]?.join("  "));
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log("");
  console.log(
    markdownTable(
      ["stream", "feed", "method", "M instructions / pass", "instructions / byte", "per frame"],
      rows,
    ),
  );
  emitJson("instructions", machine, results);
}

main();
