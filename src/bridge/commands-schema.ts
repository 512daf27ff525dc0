/**
 * Loads `schemas/commands.schema.json` at run time (like `config/load.ts`: the build's rootDir is
 * `src`, so the schema is not imported but read next to `dist/`) and compiles it once per process.
 * The pure parser in `commands.ts` takes the compiled validators as a parameter.
 */
import { readFileSync } from "node:fs";
import {
  compileCommandValidators,
  parseCommand,
  type CommandValidators,
  type ParseOutcome,
} from "./commands.js";

/** Where the schema lives, resolved from this module (works from `src/bridge/` and `dist/bridge/`). */
export const COMMANDS_SCHEMA_URL = new URL("../../schemas/commands.schema.json", import.meta.url);

let cached: CommandValidators | undefined;

/**
 * The compiled command validators (read and compiled on first use, then cached).
 * @throws Error when the schema file is missing or broken (a packaging bug)
 */
export function loadCommandValidators(): CommandValidators {
  if (cached !== undefined) return cached;
  const schema = JSON.parse(readFileSync(COMMANDS_SCHEMA_URL, "utf8")) as unknown;
  cached = compileCommandValidators(schema);
  return cached;
}

/**
 * {@link parseCommand} with the validators of {@link loadCommandValidators}: the two-argument form of
 * the bridge design (`parseCommand(name, payload)`).
 */
export function parseCommandPayload(name: string, payload: Uint8Array): ParseOutcome {
  return parseCommand(name, payload, loadCommandValidators());
}
