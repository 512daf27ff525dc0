/**
 * Loads the configuration: file (YAML or JSON) → `QX10_*` environment overrides (see `env.ts`) →
 * JSON Schema validation with defaults (ajv, `schemas/config.schema.json`) → cross-field checks →
 * deep freeze. Any problem throws one `CONFIG_INVALID` error that lists **every** problem, one per
 * line, each starting with the key path (style.md Part 3: exit 2 before any I/O).
 */
import { readFileSync } from "node:fs";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { parse as parseYaml } from "yaml";
import { BridgeError } from "../errors.js";
import { topicPrefixProblem } from "../mqtt/topics.js";
import type { Config as GeneratedConfig } from "./config.generated.js";
import {
  applyEnvOverrides,
  collectEnvOverrides,
  type EnvOverride,
  type SchemaNode,
} from "./env.js";
import { pointerToPath } from "../util/json-pointer.js";

/** Recursively read-only view of a JSON-like type. */
export type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** The validated, defaulted, frozen configuration (types generated from the schema). */
export type Config = DeepReadonly<GeneratedConfig>;
/** `config.mqtt`. */
export type MqttConfig = Config["mqtt"];
/** `config.camera`. */
export type CameraConfig = Config["camera"];
/** `config.liveview`. */
export type LiveviewConfig = Config["liveview"];
/** `config.snapshot`. */
export type SnapshotConfig = Config["snapshot"];
/** `config.rpc`. */
export type RpcConfig = Config["rpc"];
/** `config.homeassistant`. */
export type HomeAssistantConfig = Config["homeassistant"];
/** `config.log`. */
export type LogConfig = Config["log"];

/**
 * Where the schema lives, resolved from this module so it works both from `src/config/` (tests)
 * and from `dist/config/` (the package ships `schemas/` next to `dist/`).
 */
export const CONFIG_SCHEMA_URL = new URL("../../schemas/config.schema.json", import.meta.url);

/** Format name used in the schema for topic prefixes; checked by {@link topicPrefixProblem}. */
const TOPIC_PREFIX_FORMAT = "mqtt-topic-prefix";

interface Compiled {
  schema: SchemaNode;
  validate: ValidateFunction;
}

let compiled: Compiled | undefined;

/** Reads and compiles the schema once per process (it is immutable at run time). */
function compiledSchema(): Compiled {
  if (compiled !== undefined) return compiled;
  const schema = JSON.parse(readFileSync(CONFIG_SCHEMA_URL, "utf8")) as SchemaNode;
  const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, verbose: true });
  ajv.addFormat(TOPIC_PREFIX_FORMAT, {
    type: "string",
    validate: (s: string) => topicPrefixProblem(s) === null,
  });
  compiled = { schema, validate: ajv.compile(schema) };
  return compiled;
}

/** The parsed JSON Schema (for docs generators and env tooling). */
export function configSchema(): unknown {
  return structuredClone(compiledSchema().schema);
}

/** JSON pointer → dotted path; the root is named `(root)`. */
function keyPath(pointer: string, extra?: string): string {
  return pointerToPath(pointer, extra, "(root)");
}

function describeError(e: ErrorObject): string {
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case "additionalProperties":
      return `${keyPath(e.instancePath, String(params["additionalProperty"]))}: unknown key`;
    case "enum": {
      const allowed = Array.isArray(params["allowedValues"]) ? params["allowedValues"] : [];
      return `${keyPath(e.instancePath)}: must be one of ${allowed.map((v) => JSON.stringify(v)).join(", ")}`;
    }
    case "format":
      if (params["format"] === TOPIC_PREFIX_FORMAT && typeof e.data === "string") {
        return `${keyPath(e.instancePath)}: ${topicPrefixProblem(e.data) ?? "is not a valid topic"}`;
      }
      break;
    case "type":
      return `${keyPath(e.instancePath)}: must be ${String(params["type"]).replace(",", " or ")}`;
    case "pattern":
      return `${keyPath(e.instancePath)}: must match ${String(params["pattern"])} (got ${JSON.stringify(e.data)})`;
    default:
      break;
  }
  return `${keyPath(e.instancePath)}: ${e.message ?? e.keyword}`;
}

/** Checks that span several keys (the schema cannot express them in draft-07 readably). */
function crossFieldProblems(c: GeneratedConfig): string[] {
  const problems: string[] = [];
  if (c.mqtt.reconnect_min_s > c.mqtt.reconnect_max_s) {
    problems.push("mqtt.reconnect_min_s: must not exceed mqtt.reconnect_max_s");
  }
  if ((c.mqtt.tls.cert === null) !== (c.mqtt.tls.key === null)) {
    problems.push("mqtt.tls: cert and key must be given together");
  }
  if (c.mqtt.password !== null && c.mqtt.username === null) {
    problems.push("mqtt.password: given without mqtt.username");
  }
  return problems;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

function invalid(source: string, problems: readonly string[]): BridgeError {
  return new BridgeError(
    "CONFIG_INVALID",
    `configuration is not valid (${source}):\n${problems.map((p) => `  ${p}`).join("\n")}`,
    { context: { problems: [...problems] } },
  );
}

/** Options of {@link parseConfig}. */
export interface ParseConfigOptions {
  /** Environment for `QX10_*__*` overrides; default none. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Names the input in error messages (a file path); default `"configuration"`. */
  source?: string;
}

/**
 * Validates an already parsed configuration object (e.g. from a file) after applying environment
 * overrides; fills defaults; returns a deep-frozen {@link Config}. `input` is not modified;
 * `undefined`/`null` mean an empty file.
 * @throws BridgeError `CONFIG_INVALID` listing every problem, one per line (`key.path: problem`);
 *   the list is also in `error.context.problems`.
 */
export function parseConfig(input: unknown, options: ParseConfigOptions = {}): Config {
  const source = options.source ?? "configuration";
  const { schema, validate } = compiledSchema();
  const problems: string[] = [];
  let data: Record<string, unknown>;
  if (input === undefined || input === null) {
    data = {};
  } else if (typeof input === "object" && !Array.isArray(input)) {
    data = structuredClone(input) as Record<string, unknown>;
  } else {
    throw invalid(source, ["(root): must be a mapping of sections (mqtt, camera, ...)"]);
  }
  const env = collectEnvOverrides(options.env ?? {}, schema);
  problems.push(...env.errors);
  applyEnvOverrides(data, env.overrides);
  if (!validate(data)) {
    for (const e of validate.errors ?? []) {
      problems.push(describeError(e) + fromEnv(e.instancePath, env.overrides));
    }
  } else {
    problems.push(...crossFieldProblems(data as unknown as GeneratedConfig));
  }
  if (problems.length > 0) throw invalid(source, problems);
  return deepFreeze(data as unknown as Config);
}

/** ` (from QX10_X__Y)` when the value at `pointer` came from the environment. */
function fromEnv(pointer: string, overrides: readonly EnvOverride[]): string {
  const parts = pointer.split("/").slice(1);
  for (const o of overrides) {
    if (o.path.length <= parts.length && o.path.every((p, i) => p === parts[i])) {
      return ` (from ${o.variable})`;
    }
  }
  return "";
}

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions {
  /** Path of a YAML or JSON file (YAML is a superset of JSON); omitted = defaults + environment. */
  file?: string | undefined;
  /** Environment for `QX10_*__*` overrides (see `env.ts` for the scheme). */
  env: Readonly<Record<string, string | undefined>>;
}

/**
 * Reads the configuration file (if any), applies `QX10_*` overrides, validates and freezes.
 * Synchronous on purpose: it runs once before any I/O and its errors exit with code 2.
 * @throws BridgeError `CONFIG_INVALID` when the file cannot be read or parsed, or any value is
 *   invalid (every problem listed, one per line).
 */
export function loadConfig(options: LoadConfigOptions): Config {
  const { file, env } = options;
  if (file === undefined) return parseConfig(undefined, { env, source: "defaults + environment" });
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "error";
    throw new BridgeError("CONFIG_INVALID", `cannot read configuration file ${file} (${code})`, {
      cause: e,
    });
  }
  let parsed: unknown;
  try {
    // uniqueKeys (the default) rejects a key given twice instead of silently keeping the last one.
    parsed = parseYaml(text, { prettyErrors: true });
  } catch (e) {
    throw new BridgeError(
      "CONFIG_INVALID",
      `configuration file ${file} is not valid YAML/JSON: ${e instanceof Error ? e.message : String(e)}`,
      { cause: e },
    );
  }
  return parseConfig(parsed, { env, source: file });
}

/**
 * The MQTT client id to use: `mqtt.client_id`, or `qx10-mqtt_<base_topic>` with `/` replaced by
 * `_` (stable across restarts, distinct per camera since each camera has its own base topic).
 */
export function effectiveClientId(mqtt: MqttConfig): string {
  return mqtt.client_id ?? `qx10-mqtt_${mqtt.base_topic.replace(/\//g, "_")}`;
}
