/**
 * The only module that touches the process: argv, environment, signals, stdout and the exit code.
 * Subcommands are in `src/cli/`; they take an AbortSignal and return an exit code.
 */
import { type CliCommand, type CliContext } from "./cli/context.js";
import { isBridgeError } from "./errors.js";

/** Exit codes (mqtt-api.md): 0 success, 1 runtime failure, 2 usage or config error. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

const USAGE = `Usage: qx10-mqtt <command> [options]

Commands:
  run [--config FILE]        the bridge (default command)
  demo                       simulator + bridge + broker on this machine
  discover [--timeout S]     SSDP search; one JSON line per camera
  call METHOD [PARAMS_JSON]  one JSON-RPC call
  shoot [--out FILE]         take a picture and download it
  liveview --out DIR         save liveview JPEGs
  decode FILE [--out DIR]    decode a recorded liveview byte stream
  sim [options]              the camera simulator
  doctor [--config FILE]     checks camera, broker and routes; prints what to fix

Run "qx10-mqtt <command> --help" for the options of a command.`;

/**
 * Runs the CLI with `argv` (without node and script) and sets `process.exitCode`.
 * SIGINT/SIGTERM abort the running command; a second signal exits at once.
 */
export async function main(argv: string[]): Promise<void> {
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (name: NodeJS.Signals): void => {
    signals += 1;
    if (signals > 1) process.exit(EXIT_FAILURE);
    controller.abort(name);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    process.exitCode = await dispatch(argv, controller.signal);
  } catch (e) {
    if (isBridgeError(e, "CONFIG_INVALID")) {
      // Every problem on its own line (ajv allErrors), without the code suffix of the message.
      const problems = e.context?.["problems"];
      const lines = Array.isArray(problems) ? problems.map(String) : [e.message];
      console.error(`invalid configuration:\n  ${lines.join("\n  ")}`);
      process.exitCode = EXIT_USAGE;
    } else if (isBridgeError(e, "USAGE")) {
      console.error(e.message);
      process.exitCode = EXIT_USAGE;
    } else if (isBridgeError(e, "ABORTED")) {
      process.exitCode = EXIT_OK;
    } else {
      console.error(e instanceof Error ? e.message : String(e));
      process.exitCode = EXIT_FAILURE;
    }
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/** Subcommands, loaded on demand so `qx10-mqtt decode` does not pay for MQTT and HTTP modules. */
const COMMANDS: Record<string, () => Promise<CliCommand>> = {
  run: async () => (await import("./cli/run.js")).runBridge,
  demo: async () => (await import("./cli/demo.js")).runDemo,
  discover: async () => (await import("./cli/discover.js")).runDiscover,
  call: async () => (await import("./cli/call.js")).runCall,
  shoot: async () => (await import("./cli/shoot.js")).runShoot,
  liveview: async () => (await import("./cli/liveview.js")).runLiveview,
  decode: async () => (await import("./cli/decode.js")).runDecode,
  sim: async () => (await import("./cli/sim.js")).runSim,
  doctor: async () => (await import("./cli/doctor.js")).runDoctor,
};

async function dispatch(argv: string[], signal: AbortSignal): Promise<number> {
  const [command = "run", ...rest] = argv;
  if (command === "-h" || command === "--help" || command === "help") {
    console.log(USAGE);
    return EXIT_OK;
  }
  const load = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (load === undefined) {
    console.error(`unknown command: ${command}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  const ctx: CliContext = {
    signal,
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    env: process.env,
    interactive: process.stdout.isTTY,
  };
  return (await load())(rest, ctx);
}
