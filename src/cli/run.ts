/**
 * `qx10-mqtt` / `qx10-mqtt run [--config FILE]` (mqtt-api.md "Command line"): the bridge. Config
 * from a YAML/JSON file (`--config`, else `QX10_CONFIG`), overridden by `QX10_*` variables; an
 * invalid config lists every problem and exits 2. Runs until SIGINT/SIGTERM (the context's signal),
 * then stops cleanly within the app's deadline and exits 0.
 */
import { createApp, type AppOptions } from "../app.js";
import { loadConfig, type Config } from "../config/load.js";
import { isBridgeError } from "../errors.js";
import { configFilePath, parseCliArgs, type CliCommand, type CliContext } from "./context.js";

const HELP = `Usage: qx10-mqtt run [--config FILE]

Runs the bridge between the camera and the MQTT broker until SIGINT/SIGTERM.

Options:
  --config FILE   configuration file (YAML or JSON); default: $QX10_CONFIG, else defaults only.
                  Any setting can be overridden with QX10_<SECTION>__<KEY> variables.
Logs go to standard output: readable lines on a terminal, JSON lines (pino) otherwise.`;

/**
 * Loads the configuration, printing every problem on stderr when it is invalid.
 * @returns the config, or null after printing the problems (exit 2)
 */
export function loadConfigOrReport(file: string | undefined, ctx: CliContext): Config | null {
  try {
    return loadConfig({ file, env: ctx.env });
  } catch (e) {
    if (!isBridgeError(e, "CONFIG_INVALID")) throw e;
    const problems = e.context?.["problems"];
    if (Array.isArray(problems) && problems.length > 0) {
      ctx.err(
        `Refusing to start: the configuration is not valid (${file ?? "defaults + environment"}):`,
      );
      for (const p of problems) ctx.err(`  ${String(p)}`);
    } else {
      ctx.err(e.message);
    }
    return null;
  }
}

/**
 * The `[--config FILE] [--help]` arguments shared by `run` and `demo`: prints `help` for
 * `--help`; loads the file (or `QX10_CONFIG`) with the environment overrides.
 * @returns the configuration, or the exit code to return (0 after help, 2 for an invalid config)
 * @throws BridgeError USAGE for bad arguments
 */
export function configFromArgs(argv: string[], ctx: CliContext, help: string): Config | number {
  const { values } = parseCliArgs(
    argv,
    { config: { type: "string", short: "c" }, help: { type: "boolean", short: "h" } },
    false,
  );
  if (values["help"] === true) {
    ctx.out(help);
    return 0;
  }
  return loadConfigOrReport(configFilePath(values["config"], ctx.env), ctx) ?? 2;
}

/** Resolves when `signal` fires. */
function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    signal.addEventListener(
      "abort",
      () => {
        resolve();
      },
      { once: true },
    );
  });
}

/**
 * Runs a configured bridge until `ctx.signal` fires. Shared by `run` and `demo`.
 * @returns exit code: 0 after a clean stop, 1 when the broker refused us for good
 */
export async function runApp(
  config: Config,
  ctx: CliContext,
  extra: Omit<AppOptions, "config"> = {},
): Promise<number> {
  const app = createApp({ config, prettyLogs: ctx.interactive === true, ...extra });
  try {
    await app.start(ctx.signal);
    await untilAborted(ctx.signal);
    return 0;
  } catch (e) {
    if (isBridgeError(e, "ABORTED")) return 0;
    app.logger.error({ err: e }, "bridge failed");
    ctx.err(e instanceof Error ? e.message : String(e));
    return isBridgeError(e, "CONFIG_INVALID") ? 2 : 1;
  } finally {
    await app.stop();
  }
}

/**
 * `qx10-mqtt run`.
 * @returns 0 after SIGINT/SIGTERM, 1 on a runtime failure, 2 for an invalid configuration
 * @throws BridgeError USAGE for bad arguments (exit 2 in main.ts)
 */
export const runBridge: CliCommand = async (argv, ctx) => {
  const config = configFromArgs(argv, ctx, HELP);
  if (typeof config === "number") return config;
  return runApp(config, ctx);
};
