/**
 * Diagnostic preload for the daemon (`node --import dist-bench/bench/memusage-preload.js …`, via
 * `--bridge-memusage` of bench/e2e-liveview.ts): every 5 s writes one line
 * `MEMUSAGE {"rss":…,"heapTotal":…,"heapUsed":…,"external":…,"arrayBuffers":…}` (bytes) plus
 * V8's code and metadata sizes to standard error, so the benchmark can say what the RSS is made
 * of (after a full GC when the daemon runs with `--expose-gc`: `--bridge-gc`). The timer is unref'd: it never keeps the daemon alive.
 */
import { getHeapSpaceStatistics, getHeapCodeStatistics } from "node:v8";

function report(): void {
  // With --expose-gc, a full collection first: what is left is live (a leak shows as growth).
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  const code = getHeapCodeStatistics();
  const spaces = Object.fromEntries(
    getHeapSpaceStatistics().map((s) => [s.space_name, s.space_used_size]),
  );
  process.stderr.write(
    `MEMUSAGE ${JSON.stringify({ ...m, code: code.code_and_metadata_size + code.bytecode_and_metadata_size, spaces })}\n`,
  );
}

setInterval(report, 5000).unref();
