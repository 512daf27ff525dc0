/**
 * MQTT topic names of the public contract (shared/docs/mqtt-api.md, "Topics"). Pure: strings in,
 * strings out. Every topic the bridge publishes or subscribes is built here, so a rename happens in
 * one place.
 */

/** `<base>/bridge/state`: `{"state":"online"|"offline"}`, retained, QoS 1; also the Last Will. */
export function bridgeState(base: string): string {
  return `${base}/bridge/state`;
}

/** `<base>/bridge/info`: bridge version, camera, effective config without secrets; retained. */
export function bridgeInfo(base: string): string {
  return `${base}/bridge/info`;
}

/** `<base>/availability`: whether the **camera** answers; retained, QoS 1. */
export function availability(base: string): string {
  return `${base}/availability`;
}

/** `<base>/state`: the state document (every key present); retained, QoS 1. */
export function state(base: string): string {
  return `${base}/state`;
}

/** `<base>/event`: JSON events `{"type": ...}`; not retained, QoS 1. */
export function event(base: string): string {
  return `${base}/event`;
}

/** `<base>/liveview`: raw JPEG frames; not retained, QoS 0. */
export function liveview(base: string): string {
  return `${base}/liveview`;
}

/** `<base>/liveview/frames`: JSON focus frames; not retained, QoS 0. */
export function liveviewFrames(base: string): string {
  return `${base}/liveview/frames`;
}

/** `<base>/snapshot`: raw JPEG of the last picture; retained, QoS 1. */
export function snapshot(base: string): string {
  return `${base}/snapshot`;
}

/** `<base>/snapshot/attributes`: `{"taken_at","url","bytes",...}`; retained, QoS 1. */
export function snapshotAttributes(base: string): string {
  return `${base}/snapshot/attributes`;
}

/**
 * Every command name of the contract's command table, in table order. `<base>/cmd/<name>` is the
 * request topic, `<base>/cmd/<name>/result` the answer.
 */
export const COMMAND_NAMES = [
  "shoot",
  "timelapse",
  "movie",
  "zoom",
  "liveview",
  "liveview_fps",
  "half_press",
  "touch_af",
  "shoot_mode",
  "self_timer",
  "exposure_mode",
  "iso",
  "white_balance",
  "exposure_compensation",
  "still_size",
  "postview_size",
  "beep_mode",
  "refresh",
  "rpc",
] as const;

/** One of {@link COMMAND_NAMES}. */
export type CommandName = (typeof COMMAND_NAMES)[number];

const commandNameSet: ReadonlySet<string> = new Set(COMMAND_NAMES);

/** True when `name` is a command of the contract. */
export function isCommandName(name: string): name is CommandName {
  return commandNameSet.has(name);
}

/** `<base>/cmd/<name>`: a command request (never published retained by the bridge). */
export function command(base: string, name: string): string {
  return `${base}/cmd/${name}`;
}

/** `<base>/cmd/<name>/result`: exactly one result per command message; not retained, QoS 1. */
export function commandResult(base: string, name: string): string {
  return `${base}/cmd/${name}/result`;
}

/**
 * `<base>/cmd/+`: the one command subscription. It matches `cmd/<name>` but not
 * `cmd/<name>/result`, so the bridge never receives its own results (mqtt-ha.md §1.5: never
 * subscribe `<base>/#`, or the bridge gets its own JPEGs back).
 */
export function commandWildcard(base: string): string {
  return `${base}/cmd/+`;
}

/**
 * The command name of a topic received on {@link commandWildcard}, or `null` when the topic is not
 * `<base>/cmd/<name>` with a known command name. Exact, case-sensitive match (MQTT topics are).
 */
export function parseCommandTopic(base: string, topic: string): CommandName | null {
  const prefix = `${base}/cmd/`;
  if (!topic.startsWith(prefix)) return null;
  const name = topic.slice(prefix.length);
  return isCommandName(name) ? name : null;
}

/**
 * Why `topic` cannot serve as a prefix the bridge builds topic names from (`mqtt.base_topic`,
 * `homeassistant.discovery_prefix`) or as a topic it subscribes literally (`homeassistant.status_topic`),
 * or `null` when it can. Rules: not empty; no wildcard `+` or `#` (MQTT 3.1.1 §4.7.1: not allowed in
 * topic names); no NUL (§1.5.3); no leading or trailing `/` and no empty level (legal in MQTT, but
 * `qx10//state` is nearly always a typo, and a leading `/` creates a separate root);
 * at most 65535 UTF-8 bytes minus room for the suffixes (the length prefix is 16 bits, §1.5.3).
 */
export function topicPrefixProblem(topic: string): string | null {
  if (topic.length === 0) return "must not be empty";
  if (topic.includes("+") || topic.includes("#")) return "must not contain the wildcards + or #";
  if (topic.includes("\u0000")) return "must not contain NUL characters";
  if (topic.startsWith("/")) return "must not start with /";
  if (topic.endsWith("/")) return "must not end with /";
  if (topic.split("/").includes("")) return "must not contain empty levels (//)";
  // Longest suffix the bridge appends is well below 1 KiB; keep the whole topic under the limit.
  if (new TextEncoder().encode(topic).length > 65_535 - 1024) return "is too long";
  return null;
}

/** True when {@link topicPrefixProblem} finds nothing wrong. */
export function isValidTopicPrefix(topic: string): boolean {
  return topicPrefixProblem(topic) === null;
}
