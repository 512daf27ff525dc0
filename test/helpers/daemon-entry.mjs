// Fallback entry for test/helpers/daemon.ts while src/main.ts does not dispatch `run` yet: the same
// signal handling as main.ts, calling the compiled `runBridge` directly.
import { runBridge } from "../../dist/cli/run.js";

const controller = new AbortController();
let signals = 0;
const onSignal = (name) => {
  signals += 1;
  if (signals > 1) process.exit(1);
  controller.abort(name);
};
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);
process.exitCode = await runBridge(process.argv.slice(2), {
  signal: controller.signal,
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
});
