/**
 * Home Assistant discovery payloads (src/ha/discovery.ts) checked against HA's own rules
 * (test/helpers/ha-rules.ts, from mqtt-ha.md §2) in both modes, for a QX10 profile (capabilities
 * fixture + a getEvent fixture) and a Smart-Remote profile (battery info): allowed/required keys
 * after abbreviation expansion, value kinds, topics the bridge really publishes or subscribes,
 * payloads the bridge's command parser accepts, unique ids, options = candidates, removal,
 * determinism.
 */
import { describe, expect, it } from "vitest";
import {
  applyAvailable,
  applyEvent,
  initialCameraState,
  parseEventResult,
  type CameraState,
} from "../../src/camera/events.js";
import { parseCommandPayload } from "../../src/bridge/commands-schema.js";
import { buildStateDocument, STATE_DOCUMENT_KEYS } from "../../src/bridge/state.js";
import {
  buildComponents,
  buildDiscovery,
  CAMERA_STATUS_VALUES,
  COMPONENT_IDS,
  diffDiscovery,
  discoveryIds,
  discoveryTopicNode,
  type DiscoveryInput,
  type DiscoveryMessage,
  type DiscoveryMode,
} from "../../src/ha/discovery.js";
import * as topics from "../../src/mqtt/topics.js";
import { haveFixtures, readFixtureJson } from "../helpers/fixtures.js";
import {
  devicePayloadProblems,
  entityProblems,
  expandConfig,
  isPlatform,
  renderTemplate,
  topicsOf,
} from "../helpers/ha-rules.js";

type Json = Record<string, unknown>;

/** A state from a capabilities fixture (every getAvailable* reply through applyAvailable). */
function stateFromCapabilities(name: string): CameraState {
  const fixture = readFixtureJson(`capabilities/${name}.json`) as {
    calls: Record<string, unknown[]>;
  };
  let state = initialCameraState();
  for (const [method, result] of Object.entries(fixture.calls)) {
    state = applyAvailable(state, method, result).state;
  }
  return state;
}

function withEvent(state: CameraState, result: unknown[]): CameraState {
  return applyEvent(state, parseEventResult(result)).state;
}

function getEventFixture(name: string): unknown[] {
  return (readFixtureJson(`getevent/${name}.json`) as { result: unknown[] }).result;
}

/** getEvent v1.2 slot 56 (camera-api.md §4.2): one active battery at 2/3. */
function batteryEvent(): unknown[] {
  const result: unknown[] = new Array<unknown>(57).fill(null);
  result[56] = {
    type: "batteryInfo",
    batteryInfo: [
      {
        batteryID: "externalBattery1",
        status: "active",
        additionalStatus: "",
        levelNumer: 2,
        levelDenom: 3,
        description: "",
      },
    ],
  };
  return result;
}

const BASE = "qx10";
const QX10_UDN = "uuid:00000000-0005-0010-8000-1c994c8a1f9b";
const ILCE_UDN = "uuid:00000000-0005-0010-8000-10a5d0e1a2b3";

interface Profile {
  name: string;
  input: DiscoveryInput;
}

function profiles(): Profile[] {
  const qx10 = withEvent(
    stateFromCapabilities("DSC-QX10-still-program-auto"),
    getEventFixture("QX100-1"),
  );
  const qx10Movie = stateFromCapabilities("DSC-QX10-movie");
  const smartRemote = withEvent(
    withEvent(
      stateFromCapabilities("ILCE-5000-still-aperture"),
      getEventFixture("SmartRemote-unknown-1"),
    ),
    batteryEvent(),
  );
  const common = {
    baseTopic: BASE,
    bridgeVersion: "0.1.0",
    supportUrl: "https://example.invalid/qx10-mqtt",
  };
  return [
    {
      name: "QX10 still",
      input: {
        ...common,
        camera: { udn: QX10_UDN, model: "DSC-QX10", firmware: "3.00" },
        state: qx10,
      },
    },
    {
      name: "QX10 movie",
      input: { ...common, camera: { udn: QX10_UDN, model: "DSC-QX10" }, state: qx10Movie },
    },
    {
      name: "Smart Remote (ILCE-5000)",
      input: {
        ...common,
        baseTopic: "cams/alpha",
        camera: { udn: ILCE_UDN, model: "ILCE-5000", firmware: "4.10" },
        state: smartRemote,
      },
    },
  ];
}

/** Every entity of a message set as `[component id, platform, expanded config]`. */
function entities(
  messages: readonly DiscoveryMessage[],
  mode: DiscoveryMode,
): [string, string, Json][] {
  const out: [string, string, Json][] = [];
  for (const m of messages) {
    const payload = expandConfig(JSON.parse(m.payload) as Json);
    if (mode === "device") {
      const cmps = payload["components"] as Record<string, Json>;
      const shared: Json = {};
      for (const k of ["availability", "availability_mode"]) shared[k] = payload[k];
      for (const [id, c] of Object.entries(cmps)) {
        const { platform, ...rest } = c;
        out.push([
          id,
          String(platform),
          { ...shared, ...rest, device: payload["device"], origin: payload["origin"] },
        ]);
      }
    } else {
      const parts = m.topic.split("/");
      out.push([parts[3] ?? "", parts[1] ?? "", payload]);
    }
  }
  return out;
}

/** Topics the bridge publishes (mqtt-api.md "Published by the bridge"). */
function publishedTopics(base: string): Set<string> {
  return new Set([
    topics.bridgeState(base),
    topics.bridgeInfo(base),
    topics.availability(base),
    topics.state(base),
    topics.event(base),
    topics.liveview(base),
    topics.liveviewFrames(base),
    topics.snapshot(base),
    topics.snapshotAttributes(base),
  ]);
}

/** A string key's value, or HA's default when absent. */
function str(v: unknown, fallback: string): string {
  return typeof v === "string" ? v : fallback;
}

const SUBSCRIBE_KEYS = new Set(["command_topic"]);

describe.skipIf(!haveFixtures)("HA discovery payloads follow HA's rules", () => {
  for (const profile of profiles()) {
    for (const mode of ["device", "component"] as const) {
      describe(`${profile.name}, ${mode} mode`, () => {
        const input: DiscoveryInput = { ...profile.input, mode };
        const messages = buildDiscovery(input);
        const ents = entities(messages, mode);
        const base = input.baseTopic;
        const { nodeId } = discoveryIds(input.camera.udn, base);

        it("uses the right discovery topics, retained", () => {
          if (mode === "device") {
            expect(messages.map((m) => m.topic)).toEqual([`homeassistant/device/${nodeId}/config`]);
          } else {
            for (const m of messages) {
              expect(m.topic).toMatch(
                new RegExp(`^homeassistant/[a-z_]+/${nodeId}/[a-zA-Z0-9_-]+/config$`),
              );
            }
          }
          for (const m of messages) {
            expect(m.retain).toBe(true);
            // HA's discovery topic regex (mqtt-ha.md §2.1).
            expect(m.topic).toMatch(
              /^homeassistant\/\w+\/(?:[a-zA-Z0-9_-]+\/)?[a-zA-Z0-9_-]+\/config$/,
            );
            expect(discoveryTopicNode("homeassistant", m.topic)).toBe(nodeId);
          }
        });

        it("passes HA's schema for every platform after expanding abbreviations", () => {
          if (mode === "device") {
            const payload = expandConfig(JSON.parse(messages[0]?.payload ?? "{}") as Json);
            expect(devicePayloadProblems(payload)).toEqual([]);
          }
          for (const [id, platform, config] of ents) {
            expect(isPlatform(platform), id).toBe(true);
            if (!isPlatform(platform)) continue;
            expect(entityProblems(platform, config), `${id} (${platform})`).toEqual([]);
          }
        });

        it("has device and origin blocks, availability list with mode all", () => {
          for (const [id, , c] of ents) {
            const dev = c["device"] as Json;
            expect(dev["identifiers"], id).toEqual([nodeId]);
            expect(dev["manufacturer"]).toBe("Sony");
            expect(dev["model"]).toBe(input.camera.model);
            expect(dev["name"]).toBe(input.camera.model);
            if (input.camera.firmware !== undefined)
              expect(dev["sw_version"]).toBe(input.camera.firmware);
            expect(c["origin"]).toEqual({
              name: "qx10-mqtt",
              sw_version: "0.1.0",
              support_url: "https://example.invalid/qx10-mqtt",
            });
            const avty = c["availability"] as Json[];
            if (id === "connected") {
              expect(avty).toEqual([
                { topic: `${base}/bridge/state`, value_template: "{{ value_json.state }}" },
              ]);
            } else {
              expect(avty).toEqual([
                { topic: `${base}/bridge/state`, value_template: "{{ value_json.state }}" },
                { topic: `${base}/availability`, value_template: "{{ value_json.state }}" },
              ]);
              expect(c["availability_mode"]).toBe("all");
            }
          }
        });

        it("names only topics the bridge publishes or subscribes", () => {
          const published = publishedTopics(base);
          for (const [id, , c] of ents) {
            for (const [key, topic] of topicsOf(c)) {
              if (SUBSCRIBE_KEYS.has(key)) {
                const name = topics.parseCommandTopic(base, topic);
                expect(name, `${id}.${key} = ${topic}`).not.toBeNull();
              } else {
                expect(published.has(topic), `${id}.${key} = ${topic}`).toBe(true);
              }
            }
          }
        });

        it("templates read keys the published documents have", () => {
          for (const [id, , c] of ents) {
            const stateTopic = c["state_topic"];
            const template = c["value_template"];
            if (typeof template !== "string") continue;
            const keys = [...template.matchAll(/value_json\.([a-z_]+)/g)].map((m) => m[1]);
            expect(keys.length, id).toBeGreaterThan(0);
            for (const k of keys) {
              if (stateTopic === topics.state(base)) {
                expect(
                  STATE_DOCUMENT_KEYS as readonly (string | undefined)[],
                  `${id}: ${k}`,
                ).toContain(k);
              } else {
                expect(k, id).toBe("state");
              }
            }
          }
        });

        it("every template renders against the real state document", () => {
          const doc = JSON.stringify(
            buildStateDocument(input.state, { liveview: true, liveviewFps: 2 }, new Date(0)),
          );
          const avail = '{"state":"online"}';
          const rendered = new Map<string, string>();
          for (const [id, , c] of ents) {
            const template = c["value_template"];
            if (typeof template !== "string") continue;
            const payload = c["state_topic"] === topics.state(base) ? doc : avail;
            rendered.set(id, renderTemplate(template, payload));
          }
          expect(rendered.get("liveview")).toBe("ON");
          expect(rendered.get("liveview_fps")).toBe("2");
          expect(rendered.get("connected")).toBe("online");
          if (rendered.has("shoot_mode"))
            expect(rendered.get("shoot_mode")).toBe(input.state.shoot_mode ?? "None");
          if (rendered.has("zoom"))
            expect(rendered.get("zoom")).toBe(String(input.state.zoom_position ?? "None"));
          if (rendered.has("movie")) {
            expect(rendered.get("movie")).toBe(
              input.state.camera_status === "MovieRecording" ? "ON" : "OFF",
            );
          }
          const shots = input.state.storage?.recordable_images;
          if (rendered.has("remaining_shots")) {
            expect(rendered.get("remaining_shots")).toBe(
              shots === undefined || shots === null ? "None" : String(shots),
            );
          }
        });

        it("sends only command payloads the bridge accepts", () => {
          for (const [id, platform, c] of ents) {
            const cmd = c["command_topic"];
            if (typeof cmd !== "string") continue;
            const name = topics.parseCommandTopic(base, cmd) ?? "";
            const payloads: string[] = [];
            if (platform === "button") payloads.push(str(c["payload_press"], "PRESS"));
            if (platform === "switch") {
              payloads.push(str(c["payload_on"], "ON"), str(c["payload_off"], "OFF"));
            }
            if (platform === "select") payloads.push(...(c["options"] as string[]));
            if (platform === "number") {
              // What HA sends: the min, max and a middle value (integers as "42", mqtt number).
              const min = Number(c["min"]);
              const max = Number(c["max"]);
              const step = Number(c["step"]);
              const mid = Math.round((min + max) / 2 / step) * step;
              for (const v of [min, max, mid]) payloads.push(String(Number(v.toFixed(3))));
            }
            expect(payloads.length, id).toBeGreaterThan(0);
            for (const p of payloads) {
              const parsed = parseCommandPayload(name, new TextEncoder().encode(p));
              expect(
                parsed.ok,
                `${id}: ${name} <- ${p} ${parsed.ok ? "" : JSON.stringify(parsed.result)}`,
              ).toBe(true);
            }
          }
        });

        it("has unique, stable unique ids and names without the device name", () => {
          const ids = ents.map(([, , c]) => c["unique_id"]);
          expect(new Set(ids).size).toBe(ids.length);
          for (const [id, , c] of ents) {
            expect(c["unique_id"]).toBe(`${nodeId}_${id}`);
            const name = String(c["name"]);
            expect(name.toLowerCase().startsWith(input.camera.model.toLowerCase())).toBe(false);
            expect(c["object_id"]).toBeUndefined();
          }
          // Same input, same ids and bytes.
          expect(buildDiscovery(input)).toEqual(messages);
        });
      });
    }
  }

  it("QX10: the expected entity set, select options equal the candidates, no battery", () => {
    const p = profiles()[0];
    if (p === undefined) throw new Error("profile");
    const ents = entities(buildDiscovery(p.input), "device");
    const byId = new Map(ents.map(([id, platform, c]) => [id, { platform, c }]));
    expect([...byId.keys()]).toEqual([
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
      "remaining_shots",
      "connected",
    ]);
    expect(byId.get("shoot_mode")?.c["options"]).toEqual(["still", "movie"]);
    expect(byId.get("self_timer")?.c["options"]).toEqual(["0", "2", "10"]);
    // The getEvent fixture (QX100) replaced the exposure-mode candidates: options follow the state.
    expect(byId.get("exposure_mode")?.c["options"]).toEqual(p.input.state.exposure_modes);
    expect(p.input.state.exposure_modes).toContain("Program Auto");
    expect(byId.get("status")?.c["options"]).toEqual(CAMERA_STATUS_VALUES);
    const camera = byId.get("live_view")?.c;
    expect(camera?.["topic"]).toBe("qx10/liveview");
    expect(camera?.["image_encoding"]).toBeUndefined();
    const image = byId.get("last_picture")?.c;
    expect(image?.["image_topic"]).toBe("qx10/snapshot");
    expect(image?.["content_type"]).toBe("image/jpeg");
    expect(byId.get("shoot")?.c["payload_press"]).toBe("PRESS");
    expect(byId.get("shoot")?.c["command_topic"]).toBe("qx10/cmd/shoot");
    expect(byId.get("zoom_in")?.c["payload_press"]).toBe("in");
    expect(byId.get("zoom_out")?.c["payload_press"]).toBe("out");
    const zoom = byId.get("zoom")?.c;
    expect([zoom?.["min"], zoom?.["max"], zoom?.["mode"], zoom?.["value_template"]]).toEqual([
      0,
      100,
      "slider",
      "{{ value_json.zoom_position }}",
    ]);
    const rate = byId.get("liveview_fps")?.c;
    expect([rate?.["min"], rate?.["max"], rate?.["entity_category"]]).toEqual([0.1, 30, "config"]);
    expect(byId.get("connected")?.c["device_class"]).toBe("connectivity");
    expect(byId.get("connected")?.c["entity_category"]).toBe("diagnostic");
    expect(byId.get("movie")?.c["command_topic"]).toBe("qx10/cmd/movie");
    expect(byId.get("live_view")?.c["default_entity_id"]).toBe("camera.qx10_live_view");
  });

  it("Smart Remote: battery sensor, no movie switch, ids from the base topic", () => {
    const p = profiles()[2];
    if (p === undefined) throw new Error("profile");
    const ents = entities(buildDiscovery(p.input), "device");
    const byId = new Map(ents.map(([id, platform, c]) => [id, { platform, c }]));
    const battery = byId.get("battery");
    expect(battery?.platform).toBe("sensor");
    expect(battery?.c["device_class"]).toBe("battery");
    expect(battery?.c["unit_of_measurement"]).toBe("%");
    expect(battery?.c["value_template"]).toBe("{{ value_json.battery }}");
    expect(p.input.state.battery).toBe(67);
    expect(byId.has("movie")).toBe(false);
    expect(byId.get("shoot_mode")?.c["options"]).toEqual(["still"]);
    expect(byId.get("shoot")?.c["default_entity_id"]).toBe("button.cams_alpha_shoot");
    expect(byId.get("shoot")?.c["command_topic"]).toBe("cams/alpha/cmd/shoot");
  });

  it("two bridges never share a unique id or topic (different camera or base topic)", () => {
    const [qx10] = profiles();
    if (qx10 === undefined) throw new Error("profile");
    const variants: DiscoveryInput[] = [
      qx10.input,
      { ...qx10.input, baseTopic: "qx10b" },
      { ...qx10.input, baseTopic: "qx10/b" },
      { ...qx10.input, baseTopic: "qx10_b" },
      { ...qx10.input, camera: { ...qx10.input.camera, udn: ILCE_UDN } },
    ];
    const seenIds = new Set<unknown>();
    const seenTopics = new Set<string>();
    for (const v of variants) {
      for (const mode of ["device", "component"] as const) {
        const msgs = buildDiscovery({ ...v, mode });
        for (const m of msgs) {
          expect(seenTopics.has(m.topic), m.topic).toBe(false);
          seenTopics.add(m.topic);
        }
        if (mode === "device") {
          for (const [, , c] of entities(msgs, "device")) {
            expect(seenIds.has(c["unique_id"]), String(c["unique_id"])).toBe(false);
            seenIds.add(c["unique_id"]);
          }
        }
      }
    }
  });

  it("unique ids are the same in both modes (so HA sees one entity)", () => {
    const [qx10] = profiles();
    if (qx10 === undefined) throw new Error("profile");
    const dev = entities(buildDiscovery({ ...qx10.input, mode: "device" }), "device");
    const comp = entities(buildDiscovery({ ...qx10.input, mode: "component" }), "component");
    expect(comp.map(([, , c]) => c["unique_id"])).toEqual(dev.map(([, , c]) => c["unique_id"]));
    expect(comp.map(([id]) => id)).toEqual(dev.map(([id]) => id));
  });

  it("component ids follow COMPONENT_IDS order", () => {
    const [qx10] = profiles();
    if (qx10 === undefined) throw new Error("profile");
    const ids = entities(buildDiscovery(qx10.input), "device").map(([id]) => id);
    const order = ids.map((id) => (COMPONENT_IDS as readonly string[]).indexOf(id));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });
});

describe("the HA rules themselves catch mistakes", () => {
  const good = {
    uniq_id: "x_shoot",
    name: "Shoot",
    cmd_t: "qx10/cmd/shoot",
    dev: { ids: ["x"] },
    o: { name: "qx10-mqtt" },
  };
  it("accepts a valid button", () => {
    expect(entityProblems("button", expandConfig(good))).toEqual([]);
  });
  it("rejects missing required keys, unknown abbreviations, bad types and deprecated keys", () => {
    const { cmd_t: _drop, ...noCmd } = good;
    expect(entityProblems("button", expandConfig(noCmd))).toContain("command_topic: required");
    expect(entityProblems("button", expandConfig({ ...good, cmd_tp: "a" }))).toContain(
      "cmd_tp: not allowed for button",
    );
    expect(entityProblems("button", expandConfig({ ...good, ret: "yes" }))).toContain(
      "retain: must be a boolean",
    );
    expect(entityProblems("button", expandConfig({ ...good, obj_id: "shoot" }))).toContain(
      "object_id: deprecated (use default_entity_id)",
    );
    expect(entityProblems("button", expandConfig({ ...good, def_ent_id: "sensor.x" }))).toContain(
      "default_entity_id: sensor.x is not a valid button entity id",
    );
    expect(
      entityProblems("sensor", expandConfig({ ...good, stat_t: "a", ent_cat: "config" })),
    ).toContain("sensor: entity_category config not allowed");
    expect(entityProblems("image", expandConfig({ ...good, cmd_t: undefined }))).toContain(
      "image: exactly one of image_topic, url_topic",
    );
    expect(devicePayloadProblems(expandConfig({ dev: { ids: ["x"] }, cmps: {} }))).toContain(
      "root origin: required",
    );
  });
});

describe.skipIf(!haveFixtures)("HA discovery: changes and removal", () => {
  const qx10 = stateFromCapabilities("DSC-QX10-still-program-auto");
  const input = (state: CameraState, mode: DiscoveryMode): DiscoveryInput => ({
    baseTopic: BASE,
    bridgeVersion: "0.1.0",
    camera: { udn: QX10_UDN, model: "DSC-QX10" },
    state,
    mode,
  });
  const fewerTimers: CameraState = { ...qx10, self_timers: [0, 2] };
  const noTimer: CameraState = { ...qx10, self_timers: null };

  it("first publish: everything; identical rebuild: nothing", () => {
    for (const mode of ["device", "component"] as const) {
      const a = buildDiscovery(input(qx10, mode));
      expect(diffDiscovery([], a)).toEqual(a);
      expect(diffDiscovery(a, buildDiscovery(input({ ...qx10 }, mode)))).toEqual([]);
    }
  });

  it("changed candidates republish with the new options", () => {
    const a = buildDiscovery(input(qx10, "component"));
    const b = buildDiscovery(input(fewerTimers, "component"));
    const d = diffDiscovery(a, b);
    expect(d.map((m) => m.topic)).toEqual([
      `homeassistant/select/${discoveryIds(QX10_UDN, BASE).nodeId}/self_timer/config`,
    ]);
    expect((JSON.parse(d[0]?.payload ?? "{}") as Json)["ops"]).toEqual(["0", "2"]);
  });

  it("component mode: an entity no longer offered gets an empty retained config", () => {
    const a = buildDiscovery(input(qx10, "component"));
    const b = buildDiscovery(input(noTimer, "component"));
    const d = diffDiscovery(a, b);
    expect(d).toEqual([
      {
        topic: `homeassistant/select/${discoveryIds(QX10_UDN, BASE).nodeId}/self_timer/config`,
        payload: "",
        retain: true,
      },
    ]);
  });

  it("device mode: a removed component is sent once as {p} only, then dropped", () => {
    const a = buildDiscovery(input(qx10, "device"));
    const b = buildDiscovery(input(noTimer, "device"));
    const d = diffDiscovery(a, b);
    expect(d.map((m) => m.topic)).toEqual([a[0]?.topic, a[0]?.topic]);
    const first = JSON.parse(d[0]?.payload ?? "{}") as Json;
    const cmps = first["cmps"] as Record<string, Json>;
    expect(cmps["self_timer"]).toEqual({ p: "select" });
    expect(Object.keys(cmps)).toContain("shoot_mode");
    expect(devicePayloadProblems(expandConfig(first))).toEqual([]);
    expect(d[1]).toEqual(b[0]);
    expect("self_timer" in ((JSON.parse(d[1]?.payload ?? "{}") as Json)["cmps"] as Json)).toBe(
      false,
    );
  });

  it("switching mode clears the old topics", () => {
    const a = buildDiscovery(input(qx10, "component"));
    const b = buildDiscovery(input(qx10, "device"));
    const d = diffDiscovery(a, b);
    expect(d[0]).toEqual(b[0]);
    expect(d.slice(1)).toEqual(a.map((m) => ({ topic: m.topic, payload: "", retain: true })));
  });

  it("keep: components whose facts are unknown now are carried over, in order", () => {
    const before = buildComponents(input(qx10, "device"));
    const empty = initialCameraState();
    const without = [...buildComponents(input(empty, "device")).keys()];
    expect(without).not.toContain("shoot_mode");
    const kept = buildComponents({ ...input(empty, "device"), keep: before });
    expect([...kept.keys()]).toEqual([...before.keys()]);
    expect(kept.get("shoot_mode")).toEqual(before.get("shoot_mode"));
    // A known API list without actZoom removes the zoom entities even with `keep`.
    const noZoom = buildComponents({
      ...input({ ...qx10, available_apis: ["actTakePicture"] }, "device"),
      keep: before,
    });
    expect(noZoom.has("zoom")).toBe(false);
    expect(noZoom.has("shoot_mode")).toBe(false);
  });

  it("battery: offered once hasBattery is known, even when a poll has none", () => {
    const ids = (s: CameraState, hasBattery?: boolean) =>
      entities(
        buildDiscovery({
          ...input(s, "device"),
          camera: {
            udn: QX10_UDN,
            model: "DSC-QX10",
            ...(hasBattery === undefined ? {} : { hasBattery }),
          },
        }),
        "device",
      ).map(([id]) => id);
    expect(ids(qx10)).not.toContain("battery");
    expect(ids({ ...qx10, battery: 40 })).toContain("battery");
    expect(ids(qx10, true)).toContain("battery");
  });

  it("node ids: UDN case and the uuid: prefix do not matter; lossy base topics stay distinct", () => {
    expect(discoveryIds(QX10_UDN.toUpperCase().replace("UUID:", "uuid:"), BASE)).toEqual(
      discoveryIds(QX10_UDN, BASE),
    );
    expect(discoveryIds(QX10_UDN, "a/b").nodeId).not.toBe(discoveryIds(QX10_UDN, "a_b").nodeId);
    expect(discoveryIds(QX10_UDN, BASE).nodeId).toBe(
      "qx10_00000000-0005-0010-8000-1c994c8a1f9b_qx10",
    );
    expect(discoveryIds(QX10_UDN, "Cams/Alpha 1").entityPrefix).toBe("cams_alpha_1");
  });
});
