/**
 * `QX10_*` environment overrides of the configuration.
 *
 * Scheme: `QX10_` + the key path in upper case, path levels joined by a **double** underscore, so
 * that the single underscores inside snake_case keys stay unambiguous:
 *
 * | variable | key |
 * |---|---|
 * | `QX10_MQTT__URL` | `mqtt.url` |
 * | `QX10_MQTT__BASE_TOPIC` | `mqtt.base_topic` |
 * | `QX10_MQTT__TLS__REJECT_UNAUTHORIZED` | `mqtt.tls.reject_unauthorized` |
 * | `QX10_CAMERA__DISCOVERY__TIMEOUT_S` | `camera.discovery.timeout_s` |
 * | `QX10_RPC__ALLOW` | `rpc.allow` (comma-separated list, or a JSON array) |
 *
 * Variables starting with `QX10_` but without `__` are not config keys (e.g. `QX10_CONFIG`) and are
 * ignored here. A variable with `__` that names no key is an error, so a typo never goes unnoticed.
 *
 * Values are converted by the schema type of the key: numbers and integers with `Number`, booleans
 * from `true/false/1/0/yes/no/on/off`, arrays from JSON or a comma list, objects from JSON, `""` or `null`
 * to `null` where the key is nullable, enums to the matching member (so `5` → 5 for
 * `protocol_version`). One pair of surrounding quotes is stripped (compose files often add them,
 * mqtt-ha.md §3 #10). Pure: no I/O.
 */

/** The subset of JSON Schema this module reads. */
export interface SchemaNode {
  type?: string | string[];
  enum?: unknown[];
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
}

/** One applied override: the key path, the converted value and the variable it came from. */
export interface EnvOverride {
  path: string[];
  value: unknown;
  variable: string;
}

/** Result of {@link collectEnvOverrides}. */
export interface EnvOverrides {
  overrides: EnvOverride[];
  /** One line per bad variable: `QX10_X__Y: <problem>`. */
  errors: string[];
}

/** Prefix of every configuration variable. */
export const ENV_PREFIX = "QX10_";
/** Separator of path levels in a variable name. */
export const ENV_SEPARATOR = "__";

/** The variable name for a key path, e.g. `["mqtt","url"]` → `QX10_MQTT__URL`. */
export function envVariableName(path: readonly string[]): string {
  return ENV_PREFIX + path.map((p) => p.toUpperCase()).join(ENV_SEPARATOR);
}

function typesOf(node: SchemaNode): string[] {
  if (node.type === undefined) return [];
  return Array.isArray(node.type) ? node.type : [node.type];
}

function stripQuotes(raw: string): string {
  if (raw.length >= 2) {
    const first = raw[0];
    if ((first === '"' || first === "'") && raw.endsWith(first)) return raw.slice(1, -1);
  }
  return raw;
}

type Coerced = { ok: true; value: unknown } | { ok: false; problem: string };

const TRUE_WORDS = new Set(["true", "1", "yes", "on"]);
const FALSE_WORDS = new Set(["false", "0", "no", "off"]);

function parseJson(raw: string): Coerced {
  try {
    return { ok: true, value: JSON.parse(raw) as unknown };
  } catch {
    return { ok: false, problem: "is not valid JSON" };
  }
}

/** Converts one raw string according to `node`; exported for tests. */
export function coerceEnvValue(raw: string, node: SchemaNode): Coerced {
  const types = typesOf(node);
  if (types.includes("null") && (raw === "" || raw === "null")) return { ok: true, value: null };
  if (node.enum !== undefined) {
    for (const member of node.enum) {
      if (typeof member === "string" && member === raw) return { ok: true, value: member };
      if (typeof member === "number" && raw.trim() !== "" && Number(raw) === member) {
        return { ok: true, value: member };
      }
    }
    return {
      ok: false,
      problem: `must be one of ${node.enum.map((m) => JSON.stringify(m)).join(", ")}`,
    };
  }
  if (types.includes("string")) return { ok: true, value: raw };
  if (types.includes("integer") || types.includes("number")) {
    const n = raw.trim() === "" ? Number.NaN : Number(raw);
    if (!Number.isFinite(n))
      return { ok: false, problem: `${JSON.stringify(raw)} is not a number` };
    if (!types.includes("number") && !Number.isInteger(n)) {
      return { ok: false, problem: `${JSON.stringify(raw)} is not an integer` };
    }
    return { ok: true, value: n };
  }
  if (types.includes("boolean")) {
    const word = raw.trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return { ok: true, value: true };
    if (FALSE_WORDS.has(word)) return { ok: true, value: false };
    return { ok: false, problem: `${JSON.stringify(raw)} is not a boolean (true/false)` };
  }
  if (types.includes("array")) {
    if (raw.trimStart().startsWith("[")) {
      const parsed = parseJson(raw);
      if (!parsed.ok) return parsed;
      if (!Array.isArray(parsed.value)) return { ok: false, problem: "is not a JSON array" };
      return parsed;
    }
    const items = raw
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    const itemNode = node.items ?? {};
    const out: unknown[] = [];
    for (const item of items) {
      const c = coerceEnvValue(item, itemNode);
      if (!c.ok) return { ok: false, problem: `item ${JSON.stringify(item)} ${c.problem}` };
      out.push(c.value);
    }
    return { ok: true, value: out };
  }
  if (types.includes("object")) {
    const parsed = parseJson(raw);
    if (!parsed.ok) return parsed;
    const v = parsed.value;
    if (typeof v !== "object" || v === null || Array.isArray(v)) {
      return { ok: false, problem: "is not a JSON object" };
    }
    return parsed;
  }
  // No type information: keep the string and let the schema judge it.
  return { ok: true, value: raw };
}

/**
 * Collects the `QX10_*__*` variables of `env` as typed overrides, guided by the config schema.
 * Variables are processed in name order so the result is deterministic.
 */
export function collectEnvOverrides(
  env: Readonly<Record<string, string | undefined>>,
  schema: SchemaNode,
): EnvOverrides {
  const overrides: EnvOverride[] = [];
  const errors: string[] = [];
  const names = Object.keys(env)
    .filter((k) => k.startsWith(ENV_PREFIX) && k.includes(ENV_SEPARATOR))
    .sort();
  for (const variable of names) {
    const raw = env[variable];
    if (raw === undefined) continue;
    const path = variable
      .slice(ENV_PREFIX.length)
      .split(ENV_SEPARATOR)
      .map((p) => p.toLowerCase());
    let node: SchemaNode | undefined = schema;
    for (const part of path) {
      node = part === "" ? undefined : node.properties?.[part];
      if (node === undefined) break;
    }
    if (node === undefined) {
      errors.push(`${variable}: no configuration key ${path.join(".")}`);
      continue;
    }
    const coerced = coerceEnvValue(stripQuotes(raw), node);
    if (!coerced.ok) {
      errors.push(`${variable}: ${coerced.problem}`);
      continue;
    }
    overrides.push({ path, value: coerced.value, variable });
  }
  return { overrides, errors };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Sets each override into `target` (mutated), creating intermediate objects. A non-object found on
 * the way (e.g. `mqtt: 5` in the file) is replaced, since the environment wins.
 */
export function applyEnvOverrides(
  target: Record<string, unknown>,
  overrides: readonly EnvOverride[],
): void {
  for (const { path, value } of overrides) {
    let obj = target;
    for (const part of path.slice(0, -1)) {
      const next = obj[part];
      if (isPlainObject(next)) {
        obj = next;
      } else {
        const created: Record<string, unknown> = {};
        obj[part] = created;
        obj = created;
      }
    }
    const last = path[path.length - 1];
    if (last !== undefined) obj[last] = value;
  }
}
