/**
 * What every CLI subcommand receives. Subcommands never touch `process` themselves (only
 * `src/main.ts` does); they write through these functions and return an exit code.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { BridgeError } from "../errors.js";

/** Context handed to each subcommand by `main.ts`. */
export interface CliContext {
  /** Fires on SIGINT/SIGTERM; commands stop what they do and return. */
  signal: AbortSignal;
  /** Writes one line (a newline is appended) to standard output. */
  out: (line: string) => void;
  /** Writes one line to standard error (diagnostics, progress). */
  err: (line: string) => void;
  /** Environment variables (for `QX10_*` overrides). */
  env: Readonly<Record<string, string | undefined>>;
  /** Standard output is a terminal: logs are pretty-printed instead of JSON lines. */
  interactive?: boolean;
}

/** Signature of a subcommand: argv after the command name. Returns the exit code. */
export type CliCommand = (argv: string[], ctx: CliContext) => Promise<number>;

/**
 * `node:util` parseArgs with strict checking, turning its errors into a `USAGE` BridgeError
 * (exit code 2) that names the problem.
 */
export function parseCliArgs(
  argv: string[],
  options: NonNullable<ParseArgsConfig["options"]>,
  allowPositionals = true,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const parsed = parseArgs({ args: argv, options, strict: true, allowPositionals });
    return {
      values: parsed.values as Record<string, string | boolean | undefined>,
      positionals: parsed.positionals,
    };
  } catch (e) {
    throw new BridgeError("USAGE", e instanceof Error ? e.message : String(e), { cause: e });
  }
}

/** Parses a number option, throwing a `USAGE` error that names the option when it is not one. */
export function numberOption(
  value: string | boolean | undefined,
  name: string,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  const n = typeof value === "string" ? Number(value) : Number.NaN;
  if (!Number.isFinite(n)) throw new BridgeError("USAGE", `--${name} must be a number`);
  return n;
}

/** The configuration file: `--config FILE`, else `$QX10_CONFIG`, else none (defaults + env). */
export function configFilePath(
  fromArg: string | boolean | undefined,
  env: CliContext["env"],
): string | undefined {
  if (typeof fromArg === "string") return fromArg;
  const fromEnv = env["QX10_CONFIG"];
  return fromEnv !== undefined && fromEnv !== "" ? fromEnv : undefined;
}
