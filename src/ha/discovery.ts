/**
 * Home Assistant MQTT discovery payloads for the bridge (issue 5; the entity list is mqtt-api.md
 * "Home Assistant discovery", the keys are mqtt-ha.md §2). Pure: camera facts and state in,
 * `{topic, payload}` messages out; no I/O, no timers.
 *
 * - Device-based discovery by default (mqtt-ha.md §2.4, HA 2024.11+): one retained message on
 *   `<prefix>/device/<node_id>/config` with every entity under `cmps`. `component` mode publishes
 *   the same entities one topic each, `<prefix>/<platform>/<node_id>/<object_id>/config`, for older
 *   HA and openHAB.
 * - Keys are HA's abbreviations (mqtt-ha.md §2.2/§2.3, the example of §2.9), everywhere.
 * - Entities appear only where the camera supports them (its available API list and candidates):
 *   no battery sensor without battery info (the QX10's getEvent 1.0/1.1 has none), selects only
 *   with candidates, whose options are exactly the candidates (as strings).
 * - `unique_id`s and the node id are built from the camera's UDN and the base topic, so two
 *   bridges never collide (mqtt-ha.md §2.5); `def_ent_id` (not the deprecated `object_id`,
 *   §2.2) from the base topic; names never repeat the device name (§2.2).
 * - Output is deterministic (fixed key and component order), so an identical payload can be
 *   skipped by comparing strings.
 * - Removal (mqtt-ha.md §2.6, §2.4): {@link diffDiscovery}.
 */
import { type CameraState } from "../camera/events.js";
import * as topics from "../mqtt/topics.js";

/** `device`: one device message with `cmps` (HA 2024.11+); `component`: one message per entity. */
export type DiscoveryMode = "device" | "component";

/** HA platforms the bridge uses. */
export type HaPlatform =
  "camera" | "image" | "button" | "number" | "select" | "switch" | "sensor" | "binary_sensor";

/** What the bridge knows about the camera (from dd.xml and getApplicationInfo). */
export interface DiscoveryCamera {
  /** UPnP UDN, e.g. `uuid:00000000-0005-0010-8000-1c994c993998`; the stable part of every id. */
  udn: string;
  /** Model, e.g. `DSC-QX10` (dd.xml friendlyName/modelName). Also the device name. */
  model: string;
  /** Default `Sony`. */
  manufacturer?: string | null;
  /** Device name shown in HA; default = `model`. */
  name?: string | null;
  /** Camera software version (getApplicationInfo), becomes the device's `sw`. */
  firmware?: string | null;
  /**
   * True once the camera has reported battery info in this run; the battery sensor is offered
   * when this is true or `state.battery` is not null (keeps the entity when one poll lacks it).
   */
  hasBattery?: boolean;
}

/** Input of {@link buildDiscovery}. */
export interface DiscoveryInput {
  /** `mqtt.base_topic`, e.g. `qx10`. */
  baseTopic: string;
  /** Discovery prefix (`homeassistant.discovery_prefix`); default `homeassistant`. */
  prefix?: string;
  /** Default `device`. */
  mode?: DiscoveryMode;
  camera: DiscoveryCamera;
  /** The bridge's version (package.json), the origin's `sw`. */
  bridgeVersion: string;
  /** The origin's `url` (support URL); left out when absent. */
  supportUrl?: string | null;
  /** The current camera state (candidates decide the selects and their options). */
  state: CameraState;
  /** The camera's available API list; default `state.available_apis` (or none). */
  availableApis?: readonly string[] | null;
  /**
   * Components of the previous build (same bridge, this run): one whose deciding fact is unknown
   * now (candidates `null`, API list unknown, storage `null`) is kept as it was instead of being
   * removed. A camera reconnect or a mode where a list is momentarily invalid then does not delete
   * the HA entity (and the user's customizations of it). Only a positive "not supported" (the API
   * list is known and lacks the method) removes an entity within a run.
   */
  keep?: ReadonlyMap<ComponentId, ComponentConfig>;
}

/** One discovery message: retained; `payload` is JSON, or `""` to remove. */
export interface DiscoveryMessage {
  topic: string;
  payload: string;
  retain: true;
}

/** The origin block's name (mqtt-ha.md §2.2 "Origin block"). */
export const ORIGIN_NAME = "qx10-mqtt";

/** Default discovery prefix (mqtt-ha.md §2.1). */
export const DEFAULT_PREFIX = "homeassistant";

/**
 * Every `cameraStatus` value of camera-api.md §4.4, the options of the "Camera status" enum
 * sensor (HA rejects an enum state outside its options, mqtt-ha.md §2.3 sensor).
 */
export const CAMERA_STATUS_VALUES: readonly string[] = [
  "Error",
  "NotReady",
  "IDLE",
  "StillCapturing",
  "StillSaving",
  "MovieWaitRecStart",
  "MovieRecording",
  "MovieWaitRecStop",
  "MovieSaving",
  "AudioWaitRecStart",
  "AudioRecording",
  "AudioWaitRecStop",
  "AudioSaving",
  "IntervalWaitRecStart",
  "IntervalRecording",
  "IntervalWaitRecStop",
  "LoopWaitRecStart",
  "LoopRecording",
  "LoopWaitRecStop",
  "LoopSaving",
  "WhiteBalanceOnePushCapturing",
  "ContentsTransfer",
  "Streaming",
  "Deleting",
];

/** Component ids (keys of `cmps`, and object ids in component mode), in publishing order. */
export const COMPONENT_IDS = [
  "live_view",
  "last_picture",
  "shoot",
  "zoom",
  "zoom_in",
  "zoom_out",
  "shoot_mode",
  "self_timer",
  "exposure_mode",
  "liveview",
  "liveview_fps",
  "movie",
  "status",
  "battery",
  "remaining_shots",
  "connected",
] as const;

/** One of {@link COMPONENT_IDS}. */
export type ComponentId = (typeof COMPONENT_IDS)[number];

/** A component: HA's keys (abbreviated), `p` first. */
export type ComponentConfig = { p: HaPlatform } & Record<string, unknown>;

/** The identifiers every id of one bridge derives from. */
export interface DiscoveryIds {
  /** `qx10_<udn>_<base>`: the node id of every discovery topic and the device identifier. */
  nodeId: string;
  /** Entity-id prefix: the base topic as an entity-id slug, e.g. `qx10`. */
  entityPrefix: string;
}

// ---- ids --------------------------------------------------------------------------------------

/** 32-bit FNV-1a of the UTF-16 code units, 8 hex digits: disambiguates lossy slugs. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

/**
 * `text` as a discovery-topic id (`[a-zA-Z0-9_-]`, mqtt-ha.md §2.1), lower case. When characters
 * had to be replaced, a hash of the original is appended so `a/b` and `a_b` stay distinct.
 */
function topicId(text: string): string {
  const lower = text.toLowerCase();
  const slug = lower.replace(/[^a-z0-9_-]+/g, "_");
  return slug === lower && slug !== "" ? slug : `${slug}_${fnv1a(text)}`;
}

/**
 * `text` as the object part of an HA entity id (`[a-z0-9_]`, no leading/trailing or double `_`,
 * which HA's `valid_entity_id` refuses).
 */
function entitySlug(text: string): string {
  const s = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
  return s === "" ? "camera" : s;
}

/**
 * The node id and entity-id prefix of a bridge. The UDN's `uuid:` prefix is dropped (every UDN has
 * it); the base topic is part of the node id so two bridges (two cameras, or one camera seen by two
 * bridges with different base topics) never share a unique id (mqtt-ha.md §2.5).
 */
export function discoveryIds(udn: string, baseTopic: string): DiscoveryIds {
  const bareUdn = udn.replace(/^uuid:/i, "");
  return {
    nodeId: `qx10_${topicId(bareUdn)}_${topicId(baseTopic)}`,
    entityPrefix: entitySlug(baseTopic),
  };
}

/** The device discovery topic `<prefix>/device/<node_id>/config` (mqtt-ha.md §2.4). */
export function deviceTopic(prefix: string, nodeId: string): string {
  return `${prefix}/device/${nodeId}/config`;
}

/** A component discovery topic `<prefix>/<platform>/<node_id>/<object_id>/config` (§2.1). */
export function componentTopic(
  prefix: string,
  platform: HaPlatform,
  nodeId: string,
  objectId: string,
): string {
  return `${prefix}/${platform}/${nodeId}/${objectId}/config`;
}

// ---- entities ---------------------------------------------------------------------------------

/** `{{ value_json.<key> }}`: the state document has every key (null renders `None`, HA's "unknown"). */
function field(key: string): string {
  return `{{ value_json.${key} }}`;
}

function apiSet(input: DiscoveryInput): ReadonlySet<string> {
  return new Set(input.availableApis ?? input.state.available_apis ?? []);
}

/** True when the setter is offered, or the API list is unknown (the camera decides then). */
function offers(apis: ReadonlySet<string>, method: string): boolean {
  return apis.size === 0 || apis.has(method);
}

/** Candidates as HA select options (strings, the camera's order, duplicates dropped). */
function optionsOf(list: readonly (string | number)[] | null): string[] | null {
  if (list === null || list.length === 0) return null;
  return [...new Set(list.map((v) => String(v)))];
}

/**
 * The entities the camera supports now, keyed by component id in {@link COMPONENT_IDS} order,
 * without availability, device and origin blocks (added by {@link buildDiscovery}). Pure.
 */
export function buildComponents(input: DiscoveryInput): Map<ComponentId, ComponentConfig> {
  const base = input.baseTopic;
  const { nodeId, entityPrefix } = discoveryIds(input.camera.udn, base);
  const state = input.state;
  const apis = apiSet(input);
  const stateTopic = topics.state(base);
  const out = new Map<ComponentId, ComponentConfig>();

  const add = (id: ComponentId, p: HaPlatform, name: string, keys: Record<string, unknown>) => {
    out.set(id, {
      p,
      name,
      uniq_id: `${nodeId}_${id}`,
      def_ent_id: `${p}.${entityPrefix}_${entitySlug(name)}`,
      ...keys,
    });
  };
  const select = (
    id: "shoot_mode" | "self_timer" | "exposure_mode",
    name: string,
    setter: string,
    list: readonly (string | number)[] | null,
    icon: string,
  ) => {
    const ops = optionsOf(list);
    if (ops === null) {
      carry(id);
      return;
    }
    if (!offers(apis, setter)) return;
    add(id, "select", name, {
      cmd_t: topics.command(base, id),
      stat_t: stateTopic,
      val_tpl: field(id),
      ops,
      ic: icon,
    });
  };

  /** Keeps the previous config of `id` (its deciding fact is unknown now). */
  const carry = (id: ComponentId): void => {
    const previous = input.keep?.get(id);
    if (previous !== undefined) out.set(id, previous);
  };
  const apisKnown = apis.size > 0;
  const liveviewSupported = offers(apis, "startLiveview");
  const zoomSupported = apis.has("actZoom");

  // Liveview frames are raw JPEG bytes: no `img_e` (mqtt-ha.md §2.3 camera).
  if (liveviewSupported) add("live_view", "camera", "Live view", { t: topics.liveview(base) });
  add("last_picture", "image", "Last picture", {
    img_t: topics.snapshot(base),
    cont_type: "image/jpeg",
    json_attr_t: topics.snapshotAttributes(base),
  });
  // The bridge accepts PRESS (and an empty payload) on cmd/shoot (mqtt-api.md command table).
  add("shoot", "button", "Shoot", {
    cmd_t: topics.command(base, "shoot"),
    pl_prs: "PRESS",
    ic: "mdi:camera-iris",
  });
  if (zoomSupported) {
    // HA publishes the slider value as an integer string for step 1 ("42"): an absolute position.
    add("zoom", "number", "Zoom", {
      cmd_t: topics.command(base, "zoom"),
      stat_t: stateTopic,
      val_tpl: field("zoom_position"),
      min: 0,
      max: 100,
      step: 1,
      mode: "slider",
      unit_of_meas: "%",
      ic: "mdi:magnify-plus-outline",
    });
    add("zoom_in", "button", "Zoom in", {
      cmd_t: topics.command(base, "zoom"),
      pl_prs: "in",
      ic: "mdi:magnify-plus",
    });
    add("zoom_out", "button", "Zoom out", {
      cmd_t: topics.command(base, "zoom"),
      pl_prs: "out",
      ic: "mdi:magnify-minus",
    });
  } else if (!apisKnown) {
    carry("zoom");
    carry("zoom_in");
    carry("zoom_out");
  }
  select("shoot_mode", "Shoot mode", "setShootMode", state.shoot_modes, "mdi:camera-switch");
  select("self_timer", "Self timer", "setSelfTimer", state.self_timers, "mdi:timer-outline");
  select(
    "exposure_mode",
    "Exposure mode",
    "setExposureMode",
    state.exposure_modes,
    "mdi:camera-iris",
  );
  if (liveviewSupported) {
    add("liveview", "switch", "Liveview", {
      cmd_t: topics.command(base, "liveview"),
      stat_t: stateTopic,
      val_tpl: "{{ 'ON' if value_json.liveview else 'OFF' }}",
      pl_on: "ON",
      pl_off: "OFF",
      ic: "mdi:video-outline",
    });
    add("liveview_fps", "number", "Liveview rate", {
      cmd_t: topics.command(base, "liveview_fps"),
      stat_t: stateTopic,
      val_tpl: field("liveview_fps"),
      min: 0.1,
      max: 30,
      step: 0.1,
      mode: "box",
      unit_of_meas: "fps",
      ent_cat: "config",
      ic: "mdi:speedometer",
    });
  }
  // startMovieRec is listed only while the shoot mode is movie (camera-api.md §3); a switch that
  // came and went with the mode would churn HA's registry, so "movie" among the shoot-mode
  // candidates counts too. cmd/movie accepts ON/OFF as START/STOP (schemas/commands.schema.json).
  if (apis.has("startMovieRec") || (state.shoot_modes ?? []).includes("movie")) {
    add("movie", "switch", "Movie recording", {
      cmd_t: topics.command(base, "movie"),
      stat_t: stateTopic,
      val_tpl:
        "{{ 'ON' if value_json.camera_status in ['MovieWaitRecStart', 'MovieRecording'] else 'OFF' }}",
      pl_on: "ON",
      pl_off: "OFF",
      ic: "mdi:record-rec",
    });
  } else if (!apisKnown || state.shoot_modes === null) {
    carry("movie");
  }
  add("status", "sensor", "Camera status", {
    stat_t: stateTopic,
    val_tpl: field("camera_status"),
    dev_cla: "enum",
    ops: [...CAMERA_STATUS_VALUES],
    ent_cat: "diagnostic",
    ic: "mdi:camera-outline",
  });
  if (input.camera.hasBattery === true || state.battery !== null) {
    add("battery", "sensor", "Battery", {
      stat_t: stateTopic,
      val_tpl: field("battery"),
      dev_cla: "battery",
      unit_of_meas: "%",
      stat_cla: "measurement",
    });
  }
  if (state.storage !== null || apis.has("getStorageInformation")) {
    add("remaining_shots", "sensor", "Remaining shots", {
      stat_t: stateTopic,
      val_tpl: "{{ value_json.storage.recordable_images if value_json.storage else None }}",
      stat_cla: "measurement",
      ic: "mdi:image-multiple-outline",
    });
  } else {
    carry("remaining_shots");
  }
  // Reports the camera itself, so it must not be made unavailable by the camera's availability:
  // only the bridge's (the Zigbee2MQTT "Connection state" pattern, mqtt-ha.md §2.9 notes).
  add("connected", "binary_sensor", "Connected", {
    stat_t: topics.availability(base),
    val_tpl: field("state"),
    pl_on: "online",
    pl_off: "offline",
    dev_cla: "connectivity",
    ent_cat: "diagnostic",
    avty: [{ t: topics.bridgeState(base), val_tpl: field("state") }],
  });
  // Carried components were inserted out of turn: restore COMPONENT_IDS order (determinism).
  const order = (id: ComponentId): number => COMPONENT_IDS.indexOf(id);
  return new Map([...out].sort(([a], [b]) => order(a) - order(b)));
}

// ---- messages ---------------------------------------------------------------------------------

function deviceBlock(input: DiscoveryInput, nodeId: string): Record<string, unknown> {
  const c = input.camera;
  const dev: Record<string, unknown> = {
    ids: [nodeId],
    name: c.name ?? c.model,
    mf: c.manufacturer ?? "Sony",
    mdl: c.model,
  };
  if (c.firmware !== undefined && c.firmware !== null && c.firmware !== "") dev["sw"] = c.firmware;
  return dev;
}

function originBlock(input: DiscoveryInput): Record<string, unknown> {
  const o: Record<string, unknown> = { name: ORIGIN_NAME, sw: input.bridgeVersion };
  if (input.supportUrl !== undefined && input.supportUrl !== null) o["url"] = input.supportUrl;
  return o;
}

/** The availability list: bridge state and camera availability, both `{"state":…}` JSON. */
function availabilityKeys(base: string): Record<string, unknown> {
  return {
    avty: [
      { t: topics.bridgeState(base), val_tpl: field("state") },
      { t: topics.availability(base), val_tpl: field("state") },
    ],
    avty_mode: "all",
  };
}

/**
 * Every discovery message of the current entity set, in a fixed order with fixed key order (so
 * equal inputs give byte-equal payloads): device mode one message, component mode one per entity.
 * Every message is retained and meant for QoS 1. Pure.
 */
export function buildDiscovery(input: DiscoveryInput): DiscoveryMessage[] {
  const prefix = input.prefix ?? DEFAULT_PREFIX;
  const { nodeId } = discoveryIds(input.camera.udn, input.baseTopic);
  const components = buildComponents(input);
  const dev = deviceBlock(input, nodeId);
  const o = originBlock(input);
  const avty = availabilityKeys(input.baseTopic);

  if ((input.mode ?? "device") === "device") {
    const cmps: Record<string, ComponentConfig> = {};
    for (const [id, c] of components) cmps[id] = c;
    const payload = { dev, o, ...avty, cmps };
    return [{ topic: deviceTopic(prefix, nodeId), payload: JSON.stringify(payload), retain: true }];
  }
  const out: DiscoveryMessage[] = [];
  for (const [id, c] of components) {
    // Per-component payloads carry their platform in the topic, not as `p`.
    const { p, ...rest } = c;
    const payload = { ...avty, ...rest, dev, o };
    out.push({
      topic: componentTopic(prefix, p, nodeId, id),
      payload: JSON.stringify(payload),
      retain: true,
    });
  }
  return out;
}

/** Parsed device payload's `cmps`, or null when the payload is not a device config. */
function componentsOf(payload: string): Record<string, unknown> | null {
  if (payload === "") return null;
  try {
    const parsed: unknown = JSON.parse(payload);
    if (typeof parsed !== "object" || parsed === null) return null;
    const cmps = (parsed as Record<string, unknown>)["cmps"];
    return typeof cmps === "object" && cmps !== null && !Array.isArray(cmps)
      ? (cmps as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/**
 * What to publish to go from the `previous` messages to the `next` ones (both from
 * {@link buildDiscovery}; pass `[]` as `previous` for the first publish). Pure.
 *
 * - Unchanged payloads are left out (deterministic output makes string equality enough).
 * - Component mode: an empty retained payload for every topic no longer generated (mqtt-ha.md §2.6).
 * - Device mode: a component that is gone is first sent once reduced to `{"p": "<platform>"}` in
 *   `cmps` (HA removes it), then the payload without it (mqtt-ha.md §2.4 "Removing one component").
 *   The two messages share the topic and must be published in order.
 * - A device topic no longer generated (mode or node id changed) gets an empty retained payload.
 */
export function diffDiscovery(
  previous: readonly DiscoveryMessage[],
  next: readonly DiscoveryMessage[],
): DiscoveryMessage[] {
  const prev = new Map(previous.map((m) => [m.topic, m.payload]));
  const nextTopics = new Set(next.map((m) => m.topic));
  const out: DiscoveryMessage[] = [];
  for (const m of next) {
    const before = prev.get(m.topic);
    if (before === m.payload) continue;
    const oldCmps = before === undefined ? null : componentsOf(before);
    const newCmps = componentsOf(m.payload);
    if (oldCmps !== null && newCmps !== null) {
      const gone = Object.keys(oldCmps).filter((id) => !(id in newCmps));
      if (gone.length > 0) {
        const parsed = JSON.parse(m.payload) as Record<string, unknown>;
        const reduced: Record<string, unknown> = { ...newCmps };
        for (const id of gone) {
          const old = oldCmps[id];
          const p =
            typeof old === "object" && old !== null ? (old as Record<string, unknown>)["p"] : null;
          reduced[id] = { p };
        }
        out.push({
          topic: m.topic,
          payload: JSON.stringify({ ...parsed, cmps: reduced }),
          retain: true,
        });
      }
    }
    out.push(m);
  }
  for (const m of previous) {
    if (!nextTopics.has(m.topic) && m.payload !== "") {
      out.push({ topic: m.topic, payload: "", retain: true });
    }
  }
  return out;
}

/**
 * The node id a discovery topic belongs to (`<prefix>/device/<node>/config` or
 * `<prefix>/<platform>/<node>/<object>/config`), or null when `topic` is not a discovery config
 * topic under `prefix`. Used to find this bridge's stale configs.
 */
export function discoveryTopicNode(prefix: string, topic: string): string | null {
  if (!topic.startsWith(`${prefix}/`)) return null;
  const parts = topic.slice(prefix.length + 1).split("/");
  if (parts.at(-1) !== "config") return null;
  if (parts.length === 3) return parts[1] ?? null;
  if (parts.length === 4) return parts[1] ?? null;
  return null;
}
