/**
 * Home Assistant's own MQTT discovery rules, as data, for the platforms the bridge uses — so tests
 * can check the bridge's discovery payloads the way HA would parse them. Sources:
 * /work/shared/docs/mqtt-ha.md §2.1–§2.4 (which cites home-assistant/core
 * `homeassistant/components/mqtt/{abbreviations,schemas,config,const,camera,image,button,select,number,sensor,binary_sensor,switch}.py`).
 * The abbreviation table is HA's `ABBREVIATIONS` / `DEVICE_ABBREVIATIONS` / `ORIGIN_ABBREVIATIONS`
 * (the entries relevant to these platforms and the device-discovery root).
 *
 * Everything works on full key names: {@link expandConfig} first turns abbreviations into them, as
 * HA's discovery does before validation.
 */

/** HA's discovery abbreviations (abbreviation → full key), entity level. */
export const ABBREVIATIONS: Readonly<Record<string, string>> = {
  avty: "availability",
  avty_mode: "availability_mode",
  avty_t: "availability_topic",
  avty_tpl: "availability_template",
  cmd_t: "command_topic",
  cmd_tpl: "command_template",
  cmps: "components",
  cont_type: "content_type",
  def_ent_id: "default_entity_id",
  dev: "device",
  dev_cla: "device_class",
  e: "encoding",
  en: "enabled_by_default",
  ent_cat: "entity_category",
  ent_pic: "entity_picture",
  exp_aft: "expire_after",
  frc_upd: "force_update",
  ic: "icon",
  img_e: "image_encoding",
  img_t: "image_topic",
  json_attr_t: "json_attributes_topic",
  json_attr_tpl: "json_attributes_template",
  lrst_val_tpl: "last_reset_value_template",
  max: "max",
  migr_discvry: "migrate_discovery",
  min: "min",
  mode: "mode",
  name: "name",
  o: "origin",
  obj_id: "object_id",
  off_dly: "off_delay",
  ops: "options",
  opt: "optimistic",
  p: "platform",
  pl_avail: "payload_available",
  pl_not_avail: "payload_not_available",
  pl_off: "payload_off",
  pl_on: "payload_on",
  pl_prs: "payload_press",
  pl_rst: "payload_reset",
  ret: "retain",
  stat_cla: "state_class",
  stat_off: "state_off",
  stat_on: "state_on",
  stat_t: "state_topic",
  step: "step",
  sug_dsp_prc: "suggested_display_precision",
  t: "topic",
  uniq_id: "unique_id",
  unit_of_meas: "unit_of_measurement",
  url_t: "url_topic",
  url_tpl: "url_template",
  val_tpl: "value_template",
};

/** HA's `DEVICE_ABBREVIATIONS`. */
export const DEVICE_ABBREVIATIONS: Readonly<Record<string, string>> = {
  cns: "connections",
  cu: "configuration_url",
  hw: "hw_version",
  ids: "identifiers",
  mdl: "model",
  mdl_id: "model_id",
  mf: "manufacturer",
  name: "name",
  sa: "suggested_area",
  sn: "serial_number",
  sw: "sw_version",
};

/** HA's `ORIGIN_ABBREVIATIONS`. */
export const ORIGIN_ABBREVIATIONS: Readonly<Record<string, string>> = {
  name: "name",
  sw: "sw_version",
  url: "support_url",
};

/** Platforms the bridge uses. */
export type Platform =
  "camera" | "image" | "button" | "number" | "select" | "switch" | "sensor" | "binary_sensor";

/** Value kinds the checker knows. */
export type ValueKind =
  | "string"
  | "nullable_string"
  | "topic"
  | "template"
  | "number"
  | "int"
  | "boolean"
  | "string_list"
  | "availability_list"
  | "device"
  | "origin"
  | { enum: readonly string[] };

/** One platform's keys (full names). */
export interface PlatformRules {
  /** Keys HA requires. */
  required: readonly string[];
  /** Every key the platform accepts, with its value kind (the common keys included). */
  allowed: Readonly<Record<string, ValueKind>>;
}

/** Keys every MQTT entity accepts (mqtt-ha.md §2.2, `MQTT_ENTITY_COMMON_SCHEMA` + availability). */
export const COMMON_KEYS: Readonly<Record<string, ValueKind>> = {
  unique_id: "string",
  name: "nullable_string",
  default_entity_id: "string",
  device: "device",
  origin: "origin",
  enabled_by_default: "boolean",
  entity_category: { enum: ["config", "diagnostic"] },
  icon: "string",
  entity_picture: "string",
  json_attributes_topic: "topic",
  json_attributes_template: "template",
  qos: "int",
  encoding: "string",
  availability_topic: "topic",
  availability_template: "template",
  payload_available: "string",
  payload_not_available: "string",
  availability: "availability_list",
  availability_mode: { enum: ["all", "any", "latest"] },
};

/** Per-platform keys (mqtt-ha.md §2.3). */
export const PLATFORM_RULES: Readonly<Record<Platform, PlatformRules>> = {
  camera: {
    required: ["topic"],
    allowed: { ...COMMON_KEYS, topic: "topic", image_encoding: { enum: ["b64"] } },
  },
  image: {
    required: [],
    allowed: {
      ...COMMON_KEYS,
      image_topic: "topic",
      url_topic: "topic",
      content_type: "string",
      image_encoding: { enum: ["b64"] },
      url_template: "template",
    },
  },
  button: {
    required: ["command_topic"],
    allowed: {
      ...COMMON_KEYS,
      command_topic: "topic",
      payload_press: "string",
      command_template: "template",
      retain: "boolean",
      device_class: { enum: ["identify", "restart", "update"] },
    },
  },
  select: {
    required: ["command_topic", "options"],
    allowed: {
      ...COMMON_KEYS,
      command_topic: "topic",
      options: "string_list",
      state_topic: "topic",
      value_template: "template",
      command_template: "template",
      optimistic: "boolean",
      retain: "boolean",
    },
  },
  number: {
    required: ["command_topic"],
    allowed: {
      ...COMMON_KEYS,
      command_topic: "topic",
      state_topic: "topic",
      value_template: "template",
      command_template: "template",
      min: "number",
      max: "number",
      step: "number",
      mode: { enum: ["auto", "box", "slider"] },
      unit_of_measurement: "string",
      device_class: "string",
      payload_reset: "string",
      optimistic: "boolean",
      retain: "boolean",
    },
  },
  sensor: {
    required: ["state_topic"],
    allowed: {
      ...COMMON_KEYS,
      state_topic: "topic",
      value_template: "template",
      device_class: "string",
      unit_of_measurement: "string",
      state_class: { enum: ["measurement", "total", "total_increasing"] },
      suggested_display_precision: "int",
      options: "string_list",
      expire_after: "int",
      force_update: "boolean",
      last_reset_value_template: "template",
    },
  },
  switch: {
    required: ["command_topic"],
    allowed: {
      ...COMMON_KEYS,
      command_topic: "topic",
      state_topic: "topic",
      payload_on: "string",
      payload_off: "string",
      state_on: "string",
      state_off: "string",
      value_template: "template",
      command_template: "template",
      optimistic: "boolean",
      retain: "boolean",
      device_class: { enum: ["outlet", "switch"] },
    },
  },
  binary_sensor: {
    required: ["state_topic"],
    allowed: {
      ...COMMON_KEYS,
      state_topic: "topic",
      payload_on: "string",
      payload_off: "string",
      value_template: "template",
      device_class: "string",
      off_delay: "int",
      expire_after: "int",
      force_update: "boolean",
    },
  },
};

/** Device-discovery root keys (`DEVICE_DISCOVERY_SCHEMA`, mqtt-ha.md §2.4). */
export const DEVICE_ROOT_KEYS: Readonly<Record<string, ValueKind | "components">> = {
  device: "device",
  origin: "origin",
  components: "components",
  availability: "availability_list",
  availability_mode: { enum: ["all", "any", "latest"] },
  availability_topic: "topic",
  availability_template: "template",
  payload_available: "string",
  payload_not_available: "string",
  state_topic: "topic",
  command_topic: "topic",
  qos: "int",
  encoding: "string",
  migrate_discovery: "boolean",
};

/** Device block keys (`MQTT_ENTITY_DEVICE_INFO_SCHEMA`). */
export const DEVICE_KEYS: readonly string[] = [
  "identifiers",
  "connections",
  "name",
  "manufacturer",
  "model",
  "model_id",
  "hw_version",
  "sw_version",
  "serial_number",
  "suggested_area",
  "via_device",
  "configuration_url",
];

/** Origin block keys (`MQTT_ORIGIN_INFO_SCHEMA`). */
export const ORIGIN_KEYS: readonly string[] = ["name", "sw_version", "support_url"];

/** True for the platforms above. */
export function isPlatform(p: unknown): p is Platform {
  return typeof p === "string" && Object.hasOwn(PLATFORM_RULES, p);
}

type Json = Record<string, unknown>;

function isRecord(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function expandWith(o: Json, table: Readonly<Record<string, string>>, where: string): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(o)) {
    const full = table[k] ?? k;
    if (Object.hasOwn(out, full)) throw new Error(`${where}: ${k} and ${full} both given`);
    out[full] = v;
  }
  return out;
}

/**
 * Expands abbreviated keys the way HA's discovery does (entity keys, `availability` items, the
 * `device` and `origin` blocks, every component of `components`). Unknown abbreviations stay as
 * they are (and then fail the allowed-key check).
 */
export function expandConfig(config: Json): Json {
  const out = expandWith(config, ABBREVIATIONS, "config");
  if (isRecord(out["device"]))
    out["device"] = expandWith(out["device"], DEVICE_ABBREVIATIONS, "device");
  if (isRecord(out["origin"]))
    out["origin"] = expandWith(out["origin"], ORIGIN_ABBREVIATIONS, "origin");
  if (Array.isArray(out["availability"])) {
    out["availability"] = out["availability"].map((a: unknown) =>
      isRecord(a) ? expandWith(a, ABBREVIATIONS, "availability") : a,
    );
  }
  if (isRecord(out["components"])) {
    const cmps: Json = {};
    for (const [id, c] of Object.entries(out["components"])) {
      cmps[id] = isRecord(c) ? expandConfig(c) : c;
    }
    out["components"] = cmps;
  }
  return out;
}

/** MQTT topic name rules for a topic HA publishes to or subscribes (no wildcards in published ones). */
function topicProblem(v: unknown): string | null {
  if (typeof v !== "string" || v === "") return "must be a non-empty topic";
  if (v.includes("+") || v.includes("#")) return "must not contain wildcards";
  if (v.includes("\u0000")) return "must not contain NUL";
  return null;
}

function kindProblem(kind: ValueKind, v: unknown): string | null {
  if (typeof kind === "object") {
    return typeof v === "string" && kind.enum.includes(v)
      ? null
      : `must be one of ${kind.enum.join(", ")}`;
  }
  switch (kind) {
    case "string":
      return typeof v === "string" ? null : "must be a string";
    case "nullable_string":
      return v === null || typeof v === "string" ? null : "must be a string or null";
    case "topic":
      return topicProblem(v);
    case "template":
      return typeof v === "string" && v.includes("{{") ? null : "must be a template string";
    case "number":
      return typeof v === "number" && Number.isFinite(v) ? null : "must be a number";
    case "int":
      return typeof v === "number" && Number.isInteger(v) ? null : "must be an integer";
    case "boolean":
      return typeof v === "boolean" ? null : "must be a boolean";
    case "string_list":
      return Array.isArray(v) && v.length > 0 && v.every((e) => typeof e === "string")
        ? null
        : "must be a non-empty list of strings";
    case "availability_list": {
      if (!Array.isArray(v) || v.length === 0) return "must be a non-empty list";
      for (const a of v) {
        if (!isRecord(a)) return "items must be objects";
        for (const k of Object.keys(a)) {
          if (
            !["topic", "payload_available", "payload_not_available", "value_template"].includes(k)
          ) {
            return `item key ${k} not allowed`;
          }
        }
        const p = topicProblem(a["topic"]);
        if (p !== null) return `item topic ${p}`;
      }
      return null;
    }
    case "device": {
      if (!isRecord(v)) return "must be an object";
      const bad = Object.keys(v).filter((k) => !DEVICE_KEYS.includes(k));
      if (bad.length > 0) return `unknown device keys ${bad.join(", ")}`;
      const ids = v["identifiers"];
      const idsOk =
        typeof ids === "string" ||
        (Array.isArray(ids) && ids.length > 0 && ids.every((e) => typeof e === "string"));
      if (!idsOk && !Array.isArray(v["connections"])) return "needs identifiers or connections";
      return null;
    }
    case "origin": {
      if (!isRecord(v)) return "must be an object";
      const bad = Object.keys(v).filter((k) => !ORIGIN_KEYS.includes(k));
      if (bad.length > 0) return `unknown origin keys ${bad.join(", ")}`;
      return typeof v["name"] === "string" && v["name"] !== "" ? null : "needs a name";
    }
  }
}

/** HA's `valid_entity_id`: `<domain>.<object>`, lower-case, no leading/trailing/double `_`. */
export const ENTITY_ID_PATTERN = /^(?!.+__)(?!_)[\da-z_]+(?<!_)\.(?!_)[\da-z_]+(?<!_)$/;

/**
 * Checks one expanded entity config against HA's rules for `platform`: required keys, allowed keys,
 * value kinds, and the cross-key rules of mqtt-ha.md §2.2/§2.3. Returns the problems (empty = valid).
 */
export function entityProblems(platform: Platform, config: Json): string[] {
  const rules = PLATFORM_RULES[platform];
  const out: string[] = [];
  for (const k of rules.required) if (!(k in config)) out.push(`${k}: required`);
  for (const [k, v] of Object.entries(config)) {
    const kind = rules.allowed[k];
    if (kind === undefined) {
      out.push(`${k}: not allowed for ${platform}`);
      continue;
    }
    const p = kindProblem(kind, v);
    if (p !== null) out.push(`${k}: ${p}`);
  }
  // Entities without a unique_id are not added at startup and cannot join a device (§2.2).
  if (typeof config["unique_id"] !== "string") out.push("unique_id: required (for a device)");
  if ("availability" in config && "availability_topic" in config) {
    out.push("availability and availability_topic are mutually exclusive");
  }
  const def = config["default_entity_id"];
  if (
    typeof def === "string" &&
    (!ENTITY_ID_PATTERN.test(def) || !def.startsWith(`${platform}.`))
  ) {
    out.push(`default_entity_id: ${def} is not a valid ${platform} entity id`);
  }
  if ("object_id" in config) out.push("object_id: deprecated (use default_entity_id)");
  if (platform === "image") {
    const n = ("image_topic" in config ? 1 : 0) + ("url_topic" in config ? 1 : 0);
    if (n !== 1) out.push("image: exactly one of image_topic, url_topic");
    if ("content_type" in config && !("image_topic" in config)) {
      out.push("content_type: only with image_topic");
    }
  }
  if (platform === "number") {
    const min = typeof config["min"] === "number" ? config["min"] : 0;
    const max = typeof config["max"] === "number" ? config["max"] : 100;
    const step = typeof config["step"] === "number" ? config["step"] : 1;
    if (max < min) out.push("max must be >= min");
    if (step < 0.001) out.push("step must be >= 0.001");
  }
  if (platform === "sensor") {
    if (config["entity_category"] === "config")
      out.push("sensor: entity_category config not allowed");
    const dc = config["device_class"];
    if ("options" in config && dc !== "enum") out.push("options: only with device_class enum");
    if (dc === "enum" && !Array.isArray(config["options"])) out.push("enum sensor needs options");
    if (dc === "enum" && ("unit_of_measurement" in config || "state_class" in config)) {
      out.push("enum sensor: no unit or state_class");
    }
    if (dc === "battery" && config["unit_of_measurement"] !== "%")
      out.push("battery: unit must be %");
  }
  return out;
}

/**
 * Checks a device-discovery payload (already expanded): root keys, required `device`/`origin`/
 * `components`, and every component (`platform` + its entity rules, with the shared root options
 * HA merges in, §2.4). A component reduced to `{platform}` (a removal) is accepted as such.
 */
export function devicePayloadProblems(payload: Json): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(payload)) {
    const kind = DEVICE_ROOT_KEYS[k];
    if (kind === undefined) {
      out.push(`root ${k}: not allowed`);
      continue;
    }
    if (kind === "components") continue;
    const p = kindProblem(kind, v);
    if (p !== null) out.push(`root ${k}: ${p}`);
  }
  for (const k of ["device", "origin", "components"]) {
    if (!(k in payload)) out.push(`root ${k}: required`);
  }
  const cmps = payload["components"];
  if (!isRecord(cmps)) return [...out, "components: must be an object"];
  for (const [id, c] of Object.entries(cmps)) {
    if (!/^[a-zA-Z0-9_-]+$/.test(id)) out.push(`${id}: invalid component id`);
    if (!isRecord(c)) {
      out.push(`${id}: must be an object`);
      continue;
    }
    const { platform, ...rest } = c;
    if (!isPlatform(platform)) {
      out.push(`${id}: platform ${String(platform)} unknown`);
      continue;
    }
    if (Object.keys(rest).length === 0) continue; // removal form
    const shared: Json = {};
    for (const k of [
      "availability",
      "availability_mode",
      "availability_topic",
      "qos",
      "encoding",
    ]) {
      if (k in payload && !(k in rest)) shared[k] = payload[k];
    }
    if ("availability_topic" in rest) delete shared["availability"];
    for (const p of entityProblems(platform, { ...shared, ...rest })) out.push(`${id}: ${p}`);
    for (const k of ["device", "origin"]) {
      if (k in rest) out.push(`${id}: ${k} cannot be overridden per component`);
    }
  }
  return out;
}

/** Every topic named by an expanded entity config: `[key, topic]` pairs (availability included). */
export function topicsOf(config: Json): [string, string][] {
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(config)) {
    if (k.endsWith("_topic") || k === "topic") {
      if (typeof v === "string") out.push([k, v]);
    }
  }
  const avty = config["availability"];
  if (Array.isArray(avty)) {
    for (const a of avty) {
      if (isRecord(a) && typeof a["topic"] === "string") out.push(["availability", a["topic"]]);
    }
  }
  return out;
}

/**
 * Renders the value templates the bridge uses the way HA's Jinja would (a deliberately small
 * subset: a field, a field of a field guarded by `if … else None`, and `'A' if <test> else 'B'`
 * with truthiness or `in [...]`). Python's str(): `None`, `True`/`False`. Throws on any other
 * template, so a template the tests cannot check fails loudly.
 * @param template - e.g. `{{ value_json.zoom_position }}`
 * @param payload - the MQTT payload text (JSON)
 */
export function renderTemplate(template: string, payload: string): string {
  const json = JSON.parse(payload) as unknown;
  const get = (path: string): unknown => {
    let v: unknown = json;
    for (const k of path.split(".")) v = isRecord(v) ? v[k] : undefined;
    return v;
  };
  const py = (v: unknown): string => {
    if (v === null || v === undefined) return "None";
    if (typeof v === "boolean") return v ? "True" : "False";
    if (typeof v === "string") return v;
    return JSON.stringify(v);
  };
  const truthy = (v: unknown): boolean =>
    !(
      v === null ||
      v === undefined ||
      v === false ||
      v === 0 ||
      v === "" ||
      (Array.isArray(v) && v.length === 0)
    );
  let m = /^\{\{ value_json\.([a-z_.]+) \}\}$/.exec(template);
  if (m?.[1] !== undefined) return py(get(m[1]));
  m = /^\{\{ value_json\.([a-z_.]+) if value_json\.([a-z_.]+) else None \}\}$/.exec(template);
  if (m?.[1] !== undefined && m[2] !== undefined) return truthy(get(m[2])) ? py(get(m[1])) : "None";
  m = /^\{\{ '([^']*)' if value_json\.([a-z_.]+) in \[([^\]]*)\] else '([^']*)' \}\}$/.exec(
    template,
  );
  if (m?.[1] !== undefined && m[2] !== undefined && m[3] !== undefined && m[4] !== undefined) {
    const list = m[3].split(",").map((s) => s.trim().replace(/^'|'$/g, ""));
    const v = get(m[2]);
    return typeof v === "string" && list.includes(v) ? m[1] : m[4];
  }
  m = /^\{\{ '([^']*)' if value_json\.([a-z_.]+) else '([^']*)' \}\}$/.exec(template);
  if (m?.[1] !== undefined && m[2] !== undefined && m[3] !== undefined) {
    return truthy(get(m[2])) ? m[1] : m[3];
  }
  throw new Error(`template not understood by the test renderer: ${template}`);
}
