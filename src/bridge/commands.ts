/**
 * MQTT command payloads → typed {@link Command}s (mqtt-api.md command table), the candidate checks
 * of setting commands, and the result objects of `<base>/cmd/<name>/result`. Pure: bytes and values
 * in, values out; no I/O, no timers. The JSON Schema of the payloads (`schemas/commands.schema.json`)
 * is read by the small loader in `commands-schema.ts` and handed in here compiled
 * ({@link compileCommandValidators}), so this module never touches the file system.
 *
 * Payload forms (mqtt-api.md "Subscribed by the bridge", mqtt-ha.md §1.3):
 * - empty → `{}`;
 * - a bare value that is not JSON (`ON`, `still`, `4:3 18M`) → `{"value": "<text>"}`;
 * - a JSON scalar (`"still"`, `42`, `true`) → `{"value": <scalar>}`;
 * - a JSON object → as it is (`{"value":…,"transaction":…}`, `{"download":true}`,
 *   `{"count":N,"interval_s":S}`, `{"x":…,"y":…}`, `{"method",…}`).
 * Keyword values (ON/OFF/START/STOP/PRESS; zoom in/out/stop) are matched case-insensitively by
 * normalizing the case of a string `value` before validation. Node-RED's booleans are accepted
 * for on/off commands.
 *
 * Bounds, checked before anything is parsed further: at most {@link MAX_PAYLOAD_BYTES} bytes, valid
 * UTF-8, JSON nested at most {@link MAX_JSON_DEPTH} levels, no control characters in any string,
 * only finite numbers.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { type CameraState, formatStillSize, parseStillSize } from "../camera/events.js";
import { type CameraService } from "../camera/types.js";
import { type ErrorCode, isBridgeError } from "../errors.js";
import { type CommandName, isCommandName } from "../mqtt/topics.js";
import { pointerToPath } from "../util/json-pointer.js";

/** Largest accepted command payload, bytes (64 KiB; the largest legitimate one, rpc, is < 1 KiB). */
export const MAX_PAYLOAD_BYTES = 64 * 1024;

/** Deepest accepted JSON nesting (objects and arrays), counting the top level as 1. */
export const MAX_JSON_DEPTH = 8;

/** Setting commands: each maps to one `set*` camera call (mqtt-api.md command table). */
export type SettingCommandName =
  | "shoot_mode"
  | "self_timer"
  | "exposure_mode"
  | "iso"
  | "white_balance"
  | "exposure_compensation"
  | "still_size"
  | "postview_size"
  | "beep_mode";

/** Every {@link SettingCommandName}, in contract order. */
export const SETTING_COMMAND_NAMES: readonly SettingCommandName[] = [
  "shoot_mode",
  "self_timer",
  "exposure_mode",
  "iso",
  "white_balance",
  "exposure_compensation",
  "still_size",
  "postview_size",
  "beep_mode",
];

/** True when `name` is a {@link SettingCommandName}. */
export function isSettingCommandName(name: string): name is SettingCommandName {
  return (SETTING_COMMAND_NAMES as readonly string[]).includes(name);
}

/**
 * A validated command. Setting values are already in the camera's type: `self_timer` and
 * `exposure_compensation` numbers (int), the others strings (`still_size` as `"4:3 18M"`).
 */
export type Command =
  | { name: "shoot"; download: boolean }
  | { name: "timelapse"; action: "start"; count: number; intervalS: number }
  | { name: "timelapse"; action: "stop" }
  | { name: "movie"; action: "start" | "stop" }
  | { name: "zoom"; action: "in" | "out" | "stop" }
  | { name: "zoom"; position: number }
  | { name: "liveview"; on: boolean }
  | { name: "liveview_fps"; fps: number }
  | { name: "half_press"; on: boolean }
  | { name: "touch_af"; x: number; y: number }
  | { name: SettingCommandName; value: string | number }
  | { name: "refresh" }
  | { name: "rpc"; service: CameraService; method: string; params: unknown[]; version: string };

/** A setting command (narrowed {@link Command}). */
export type SettingCommand = Extract<Command, { value: string | number }>;

/**
 * `code` values of error results besides the camera's own numbers and the {@link ErrorCode}s of
 * thrown BridgeErrors:
 * - `COMMAND_INVALID`: the payload (or the value, against the camera's candidates) was refused
 *   before anything was sent to the camera;
 * - `NOT_AVAILABLE`: the camera does not offer this now (e.g. movie while in still mode, ISO
 *   outside Program Auto);
 * - `RPC_NOT_ALLOWED`: `cmd/rpc` method not allowed by `rpc.allow`;
 * - `CAMERA_OFFLINE`: no camera session (commands are not queued, mqtt-api.md);
 * - `BUSY`: the command queue is full, or a timelapse is already running;
 * - `INTERNAL`: an unexpected failure (a bug), message kept generic.
 */
export type CommandResultCode =
  ErrorCode | "NOT_AVAILABLE" | "RPC_NOT_ALLOWED" | "CAMERA_OFFLINE" | "BUSY" | "INTERNAL";

/** The `<base>/cmd/<name>/result` payload (mqtt-api.md). `transaction` only when the request had one. */
export type CommandResult =
  | { status: "ok"; data: unknown; transaction?: unknown }
  | { status: "error"; error: string; code: CommandResultCode | number; transaction?: unknown };

/** Outcome of {@link parseCommand}. */
export type ParseOutcome =
  { ok: true; command: Command; transaction?: unknown } | { ok: false; result: CommandResult };

/** Builds an ok result; `transaction` is left out when undefined. */
export function okResult(data: unknown, transaction?: unknown): CommandResult {
  return transaction === undefined ? { status: "ok", data } : { status: "ok", data, transaction };
}

/** Builds an error result; `transaction` is left out when undefined. */
export function errorResult(
  error: string,
  code: CommandResultCode | number,
  transaction?: unknown,
): CommandResult {
  return transaction === undefined
    ? { status: "error", error, code }
    : { status: "error", error, code, transaction };
}

/**
 * The error result for a thrown error: camera errors carry the camera's code (JSON-RPC code or
 * HTTP status), other BridgeErrors their string code; anything else is `INTERNAL` with a generic
 * text (its message may hold anything). BridgeError messages name the method and the camera's
 * code, never credentials (the camera API has none; broker secrets never reach this path).
 */
export function resultFromError(e: unknown, transaction?: unknown): CommandResult {
  if (isBridgeError(e)) {
    const cameraSide = e.code === "CAMERA_RPC" || e.code === "CAMERA_HTTP";
    const code = cameraSide && e.cameraCode !== undefined ? e.cameraCode : e.code;
    return errorResult(e.message, code, transaction);
  }
  return errorResult("internal error while running the command", "INTERNAL", transaction);
}

// ---- schema validators ------------------------------------------------------------------------

/** Validates the normalized object of one command; returns the problems (empty = valid). */
export type CommandValidator = (value: unknown) => string[];

/** One validator per command name (see `commands-schema.ts` for loading them). */
export type CommandValidators = Readonly<Record<CommandName, CommandValidator>>;

/** JSON pointer → dotted path; the root is named `payload`. */
function fieldPath(pointer: string, extra?: string): string {
  return pointerToPath(pointer, extra, "payload");
}

function describeSchemaError(e: ErrorObject): string {
  const params = e.params as Record<string, unknown>;
  const parent: unknown = e.parentSchema;
  const errorText =
    typeof parent === "object" && parent !== null
      ? (parent as Record<string, unknown>)["errorText"]
      : undefined;
  switch (e.keyword) {
    case "additionalProperties":
      return `${fieldPath(e.instancePath, String(params["additionalProperty"]))}: unknown key`;
    case "required":
      return `${fieldPath(e.instancePath, String(params["missingProperty"]))}: required`;
    default:
      break;
  }
  if (typeof errorText === "string") return `${fieldPath(e.instancePath)}: ${errorText}`;
  switch (e.keyword) {
    case "enum": {
      const allowed = Array.isArray(params["allowedValues"]) ? params["allowedValues"] : [];
      return `${fieldPath(e.instancePath)}: must be one of ${allowed.map((v) => JSON.stringify(v)).join(", ")}`;
    }
    case "type":
      return `${fieldPath(e.instancePath)}: must be ${String(params["type"]).replace(",", " or ")}`;
    default:
      return `${fieldPath(e.instancePath)}: ${e.message ?? e.keyword}`;
  }
}

/** Problems of one ajv run, one per field; branch errors of an `anyOf` are folded into it. */
function describeSchemaErrors(errors: readonly ErrorObject[] | null | undefined): string[] {
  const out: string[] = [];
  const list = errors ?? [];
  // Branch errors of an anyOf (also those reached through a $ref) sit at the anyOf's own path.
  const anyOfPaths = new Set(list.filter((e) => e.keyword === "anyOf").map((e) => e.instancePath));
  for (const e of list) {
    if (e.keyword !== "anyOf" && anyOfPaths.has(e.instancePath)) continue;
    const text = describeSchemaError(e);
    if (!out.includes(text)) out.push(text);
  }
  return out.length > 0 ? out : ["payload: invalid"];
}

/**
 * Compiles `schemas/commands.schema.json` (already parsed) into one validator per command. Pure
 * (ajv generates code, no I/O).
 * @throws Error when the schema lacks a definition for a command (a packaging bug)
 */
export function compileCommandValidators(schema: unknown): CommandValidators {
  const ajv = new Ajv({ allErrors: true, strict: true, verbose: true });
  // Annotation keyword: the message used for a failing node instead of ajv's generic one.
  ajv.addKeyword({ keyword: "errorText", schemaType: "string" });
  ajv.addSchema(schema as object, "commands");
  const out: Partial<Record<CommandName, CommandValidator>> = {};
  for (const name of COMMAND_LIST) {
    const validate: ValidateFunction | undefined = ajv.getSchema(`commands#/definitions/${name}`);
    if (validate === undefined) throw new Error(`commands schema: no definition for ${name}`);
    out[name] = (value) => (validate(value) ? [] : describeSchemaErrors(validate.errors));
  }
  return out as CommandValidators;
}

const COMMAND_LIST: readonly CommandName[] = [
  "shoot",
  "timelapse",
  "movie",
  "zoom",
  "liveview",
  "liveview_fps",
  "half_press",
  "touch_af",
  ...SETTING_COMMAND_NAMES,
  "refresh",
  "rpc",
];

// ---- payload decoding -------------------------------------------------------------------------

type Json = Record<string, unknown>;

function isRecord(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** Why a string is refused, or null. */
function controlCharProblem(s: string): boolean {
  return CONTROL_CHARS.test(s);
}

/** Deepest nesting of `[`/`{` outside strings, stopping early once past `limit`. */
function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** The first problem inside a parsed JSON value (control characters, non-finite numbers), or null. */
function jsonValueProblem(v: unknown, path: string): string | null {
  if (typeof v === "string") {
    return controlCharProblem(v) ? `${path}: control characters are not allowed` : null;
  }
  if (typeof v === "number") return Number.isFinite(v) ? null : `${path}: number out of range`;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const p = jsonValueProblem(v[i], `${path}[${i}]`);
      if (p !== null) return p;
    }
    return null;
  }
  if (isRecord(v)) {
    for (const [k, item] of Object.entries(v)) {
      if (controlCharProblem(k)) return `${path}: control characters are not allowed in keys`;
      const p = jsonValueProblem(item, path === "payload" ? k : `${path}.${k}`);
      if (p !== null) return p;
    }
  }
  return null;
}

/** Whitespace trimmed from bare payloads (`mosquitto_pub -s` adds a newline). */
const EDGE_WHITESPACE = /^[\s\uFEFF]+|[\s\uFEFF]+$/g;

/** Commands whose keyword values are upper case (ON/OFF/START/STOP/PRESS). */
const UPPER_KEYWORDS: ReadonlySet<string> = new Set([
  "shoot",
  "timelapse",
  "movie",
  "liveview",
  "half_press",
  "refresh",
]);

type Decoded =
  | { ok: true; object: Json; transaction?: unknown }
  | { ok: false; error: string; transaction?: unknown };

/**
 * Bytes → the normalized object (`{}`, `{value}` or the JSON object), with the transaction when it
 * could be read. Every bound is checked before the next step.
 */
function decodePayload(name: CommandName, payload: Uint8Array): Decoded {
  if (payload.byteLength > MAX_PAYLOAD_BYTES) {
    return { ok: false, error: `payload: larger than ${MAX_PAYLOAD_BYTES} bytes` };
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(payload);
  } catch {
    return { ok: false, error: "payload: not valid UTF-8" };
  }
  text = text.replace(EDGE_WHITESPACE, "");
  if (text === "") return { ok: true, object: {} };

  let parsed: unknown;
  const first = text[0];
  const looksJson = first === "{" || first === "[" || first === '"';
  if (looksJson && jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
    return { ok: false, error: `payload: JSON nested deeper than ${MAX_JSON_DEPTH} levels` };
  }
  try {
    parsed = JSON.parse(text);
  } catch {
    if (looksJson) return { ok: false, error: "payload: not valid JSON" };
    // A bare value (ON, still, 4:3 18M).
    if (controlCharProblem(text)) {
      return { ok: false, error: "value: control characters are not allowed" };
    }
    return { ok: true, object: { value: normalizeKeyword(name, text) } };
  }

  if (Array.isArray(parsed)) {
    return { ok: false, error: "payload: must be a value or a JSON object, not an array" };
  }
  if (!isRecord(parsed)) {
    const problem = jsonValueProblem(parsed, "value");
    if (problem !== null) return { ok: false, error: problem };
    return { ok: true, object: { value: normalizeKeyword(name, parsed) } };
  }

  const transaction = parsed["transaction"];
  const txOk = transaction !== undefined && jsonValueProblem(transaction, "transaction") === null;
  const withTx = <T extends object>(d: T): T & { transaction?: unknown } =>
    txOk ? { ...d, transaction } : d;
  const problem = jsonValueProblem(parsed, "payload");
  if (problem !== null) return withTx({ ok: false, error: problem });
  const object: Json = { ...parsed };
  if ("value" in object) object["value"] = normalizeKeyword(name, object["value"]);
  return withTx({ ok: true, object });
}

/** Upper-/lower-cases keyword strings so ON/on/On are one value; other values pass unchanged. */
function normalizeKeyword(name: CommandName, value: unknown): unknown {
  if (typeof value !== "string") return value;
  if (UPPER_KEYWORDS.has(name)) return value.toUpperCase();
  if (name === "zoom") return value.toLowerCase();
  return value;
}

/** Commands that take only a JSON object (no bare value), with an example for the error text. */
const OBJECT_ONLY: Partial<Record<CommandName, string>> = {
  touch_af: '{"x":50,"y":50}',
  rpc: '{"method":"getAvailableApiList","params":[]}',
};

// ---- object → Command -------------------------------------------------------------------------

function toOn(value: unknown): boolean {
  return value === true || value === "ON" || value === "START";
}

function num(o: Json, key: string): number {
  const v = o[key];
  return typeof v === "number" ? v : Number(v);
}

/** Turns a schema-valid normalized object into a Command, or the remaining problem's text. */
function buildCommand(name: CommandName, o: Json): Command | string {
  switch (name) {
    case "shoot":
      return { name, download: o["download"] !== false };
    case "timelapse": {
      const hasStart = o["count"] !== undefined || o["interval_s"] !== undefined;
      if (o["value"] === "STOP") {
        return hasStart ? "value: STOP takes no count or interval_s" : { name, action: "stop" };
      }
      if (o["count"] === undefined)
        return 'count: required (send {"count":N,"interval_s":S} or STOP)';
      if (o["interval_s"] === undefined) return "interval_s: required";
      return { name, action: "start", count: num(o, "count"), intervalS: num(o, "interval_s") };
    }
    case "movie":
      return { name, action: toOn(o["value"]) ? "start" : "stop" };
    case "zoom": {
      const v = o["value"];
      if (v === "in" || v === "out" || v === "stop") return { name, action: v };
      return { name, position: num(o, "value") };
    }
    case "liveview":
    case "half_press":
      return { name, on: toOn(o["value"]) };
    case "liveview_fps":
      return { name, fps: num(o, "value") };
    case "touch_af":
      return { name, x: num(o, "x"), y: num(o, "y") };
    case "self_timer":
    case "exposure_compensation":
      return { name, value: num(o, "value") };
    case "iso":
      return { name, value: String(o["value"]) };
    case "still_size": {
      const parsed = parseStillSize(String(o["value"]));
      if (parsed === null) return 'value: must be "<aspect> <size>", e.g. "4:3 18M"';
      return { name, value: formatStillSize(parsed.aspect, parsed.size) };
    }
    case "shoot_mode":
    case "exposure_mode":
    case "white_balance":
    case "postview_size":
    case "beep_mode":
      return { name, value: String(o["value"]) };
    case "refresh":
      return { name };
    case "rpc": {
      const service = o["service"];
      return {
        name,
        service: typeof service === "string" ? (service as CameraService) : "camera",
        method: String(o["method"]),
        params: Array.isArray(o["params"]) ? [...(o["params"] as unknown[])] : [],
        version: typeof o["version"] === "string" ? o["version"] : "1.0",
      };
    }
  }
}

/**
 * Parses and validates one command message.
 * @param name - the command name from the topic (`<base>/cmd/<name>`)
 * @param payload - the raw MQTT payload
 * @param validators - {@link compileCommandValidators} of the schema (see `loadCommandValidators`)
 * @returns the command and the request's `transaction` (when present), or the error result
 *   (`code` "COMMAND_INVALID", error text naming the field; transaction echoed when readable)
 */
export function parseCommand(
  name: string,
  payload: Uint8Array,
  validators: CommandValidators,
): ParseOutcome {
  if (!isCommandName(name)) {
    return {
      ok: false,
      result: errorResult(`unknown command "${name.slice(0, 64)}"`, "COMMAND_INVALID"),
    };
  }
  const decoded = decodePayload(name, payload);
  if (!decoded.ok) {
    return {
      ok: false,
      result: errorResult(decoded.error, "COMMAND_INVALID", decoded.transaction),
    };
  }
  const { object, transaction } = decoded;
  const example = OBJECT_ONLY[name];
  if (example !== undefined && "value" in object) {
    const text = `payload: must be a JSON object like ${example}`;
    return { ok: false, result: errorResult(text, "COMMAND_INVALID", transaction) };
  }
  const problems = validators[name](object);
  if (problems.length > 0) {
    return { ok: false, result: errorResult(problems.join("; "), "COMMAND_INVALID", transaction) };
  }
  const command = buildCommand(name, object);
  if (typeof command === "string") {
    return { ok: false, result: errorResult(command, "COMMAND_INVALID", transaction) };
  }
  return transaction === undefined ? { ok: true, command } : { ok: true, command, transaction };
}

// ---- candidate checks -------------------------------------------------------------------------

/** The state key holding the candidates of each setting, where the state has one. */
const CANDIDATE_KEYS = {
  shoot_mode: "shoot_modes",
  self_timer: "self_timers",
  exposure_mode: "exposure_modes",
  iso: "isos",
  white_balance: "white_balances",
  still_size: "still_sizes",
} as const satisfies Partial<Record<SettingCommandName, keyof CameraState>>;

/** The camera's `set*` method of each setting (camera-api.md §3.3). */
export const SETTING_METHODS: Readonly<Record<SettingCommandName, string>> = {
  shoot_mode: "setShootMode",
  self_timer: "setSelfTimer",
  exposure_mode: "setExposureMode",
  iso: "setIsoSpeedRate",
  white_balance: "setWhiteBalance",
  exposure_compensation: "setExposureCompensation",
  still_size: "setStillSize",
  postview_size: "setPostviewImageSize",
  beep_mode: "setBeepMode",
};

function listText(list: readonly (string | number)[]): string {
  return list.map((v) => JSON.stringify(v)).join(", ");
}

/** A refused setting value: the error text and the result code it gets. */
export interface SettingProblem {
  /** Names the setting, e.g. `self_timer: 5 is not one of the camera's current values 0, 2, 10`. */
  error: string;
  /** `NOT_AVAILABLE`: the camera does not offer the setting now; `COMMAND_INVALID`: bad value. */
  code: "NOT_AVAILABLE" | "COMMAND_INVALID";
}

/**
 * Checks a setting value against the camera's current candidates (settings are refused before the
 * camera is called, mqtt-api.md). Pure.
 *
 * - When the state lists the camera's available APIs and the setter is not among them, the camera
 *   does not offer the setting now (e.g. ISO outside Program Auto, camera-api.md §3.4).
 * - `exposure_compensation` must be an integer within `exposure_compensation_range`.
 * - `postview_size` and `beep_mode` have no candidate list in {@link CameraState}: pass the
 *   camera's current candidates as `candidates` (the runner asks getAvailable*); without them the
 *   value is left to the camera.
 * @returns null when the value may be sent, else the problem
 */
export function settingProblem(
  command: SettingCommand,
  state: CameraState,
  candidates?: readonly (string | number)[] | null,
): SettingProblem | null {
  const { name, value } = command;
  const setter = SETTING_METHODS[name];
  const notNow = `${name}: the camera does not offer this setting now`;
  const unavailable = (error: string): SettingProblem => ({ error, code: "NOT_AVAILABLE" });
  const invalid = (error: string): SettingProblem => ({ error, code: "COMMAND_INVALID" });
  if (state.available_apis !== null && !state.available_apis.includes(setter)) {
    return unavailable(`${notNow} (${setter} is not available in the current mode)`);
  }
  if (name === "exposure_compensation") {
    const range = state.exposure_compensation_range;
    if (range === null) return unavailable(notNow);
    if (typeof value !== "number" || !Number.isInteger(value)) {
      return invalid(`${name}: must be a whole number`);
    }
    if (value < range.min || value > range.max) {
      return invalid(`${name}: ${value} is outside the camera's range ${range.min}..${range.max}`);
    }
    return null;
  }
  let list: readonly (string | number)[] | null | undefined;
  if (name === "postview_size" || name === "beep_mode") {
    if (candidates === undefined) return null;
    list = candidates;
  } else {
    list = candidates ?? state[CANDIDATE_KEYS[name]];
  }
  if (list === null || list.length === 0) return unavailable(notNow);
  if (!list.includes(value)) {
    return invalid(
      `${name}: ${JSON.stringify(value)} is not one of the camera's current values ${listText(list)}`,
    );
  }
  return null;
}

/**
 * {@link settingProblem}, text only.
 * @returns null when the value may be sent, else the error text naming the setting
 */
export function checkSetting(
  command: SettingCommand,
  state: CameraState,
  candidates?: readonly (string | number)[] | null,
): string | null {
  return settingProblem(command, state, candidates)?.error ?? null;
}
