/**
 * Plays Home Assistant against the real daemon, a real Mosquitto and the camera simulator
 * (issue 5 "Done when"): reads the retained discovery from the broker the way HA subscribes to it
 * (`homeassistant/+/+/config`, `homeassistant/+/+/+/config`, mqtt-ha.md §2.1), checks it with HA's
 * rules, then uses only what the discovery says: presses Shoot by publishing its `payload_press`
 * to its `command_topic`, selects a shoot mode, moves the zoom slider, and reads entity states and
 * availability through the configs' topics and value templates, as HA would show them.
 */
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Simulator } from "../../src/sim/simulator.js";
import { brokerCaps, brokerKind, startBroker, type Broker } from "../helpers/broker.js";
import { startDaemon, testConfig, type Daemon } from "../helpers/daemon.js";
import { devicePayloadProblems, expandConfig, renderTemplate } from "../helpers/ha-rules.js";
import { startTestSim } from "../helpers/sim.js";

type Json = Record<string, unknown>;

/** One entity as HA holds it after discovery (full key names, shared options merged in). */
interface Entity {
  id: string;
  platform: string;
  config: Json;
}

/** A minimal Home Assistant MQTT client: discovery, last message per topic, publish. */
class FakeHomeAssistant {
  readonly last = new Map<string, Buffer>();
  readonly log: { topic: string; payload: Buffer; at: number }[] = [];
  private constructor(readonly client: MqttClient) {
    client.on("message", (topic, payload) => {
      this.last.set(topic, payload);
      this.log.push({ topic, payload, at: Date.now() });
    });
  }

  static async connect(url: string): Promise<FakeHomeAssistant> {
    const client = await mqtt.connectAsync(url, {
      // MQTT 3.1.1 on the embedded broker (HA's own default protocol is 3.1.1 too).
      protocolVersion: brokerCaps.mqtt5 ? 5 : 4,
      reconnectPeriod: 200,
      clientId: `fake-ha-${Math.random().toString(16).slice(2, 10)}`,
    });
    const ha = new FakeHomeAssistant(client);
    // HA subscribes discovery at QoS 0 (mqtt-ha.md §2.1).
    await client.subscribeAsync(["homeassistant/+/+/config", "homeassistant/+/+/+/config"], {
      qos: 0,
    });
    return ha;
  }

  async until<T>(what: string, f: () => T | undefined, timeoutMs = 15_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = f();
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** The device discovery payload (expanded), once it arrived. */
  async deviceConfig(timeoutMs: number): Promise<{ topic: string; payload: Json }> {
    return this.until(
      "a device discovery config on homeassistant/device/+/config — is HA discovery wired into the bridge (src/ha/publisher.ts)?",
      () => {
        for (const [topic, payload] of this.last) {
          if (/^homeassistant\/device\/[^/]+\/config$/.test(topic) && payload.length > 0) {
            return { topic, payload: expandConfig(JSON.parse(payload.toString("utf8")) as Json) };
          }
        }
        return undefined;
      },
      timeoutMs,
    );
  }

  /** HA subscribes every topic the entities name (state, availability, image, camera). */
  async subscribeEntityTopics(entities: readonly Entity[]): Promise<void> {
    const set = new Set<string>();
    for (const e of entities) {
      for (const k of ["state_topic", "topic", "image_topic", "json_attributes_topic"]) {
        const t = e.config[k];
        if (typeof t === "string") set.add(t);
      }
      for (const a of (e.config["availability"] as Json[] | undefined) ?? []) {
        if (typeof a["topic"] === "string") set.add(a["topic"]);
      }
    }
    await this.client.subscribeAsync([...set], { qos: 0 });
  }

  /** Whether HA shows the entity available (availability list, mode all/any/latest). */
  available(e: Entity): boolean {
    const list = (e.config["availability"] as Json[] | undefined) ?? [];
    const ok = list.map((a) => {
      const payload = this.last.get(String(a["topic"]));
      if (payload === undefined) return false;
      const tpl = a["value_template"];
      const v =
        typeof tpl === "string"
          ? renderTemplate(tpl, payload.toString("utf8"))
          : payload.toString("utf8");
      return v === (a["payload_available"] ?? "online");
    });
    const mode = e.config["availability_mode"] ?? "latest";
    return mode === "all" ? ok.every(Boolean) : ok.some(Boolean);
  }

  /** The entity's state as HA renders it from its state topic, or undefined before any message. */
  state(e: Entity): string | undefined {
    const t = e.config["state_topic"];
    if (typeof t !== "string") return undefined;
    const payload = this.last.get(t);
    if (payload === undefined) return undefined;
    const tpl = e.config["value_template"];
    const v =
      typeof tpl === "string"
        ? renderTemplate(tpl, payload.toString("utf8"))
        : payload.toString("utf8");
    if (e.platform === "switch" || e.platform === "binary_sensor") {
      if (v === (e.config["state_on"] ?? e.config["payload_on"] ?? "ON")) return "on";
      if (v === (e.config["state_off"] ?? e.config["payload_off"] ?? "OFF")) return "off";
      return "unknown";
    }
    return v;
  }

  /** Publishes exactly what HA publishes on a command: QoS 0 (default `qos`), not retained. */
  async command(e: Entity, payload: string): Promise<void> {
    const t = e.config["command_topic"];
    if (typeof t !== "string") throw new Error(`${e.id} has no command_topic`);
    await this.client.publishAsync(t, payload, { qos: 0, retain: false });
  }
}

function entitiesOf(payload: Json): Entity[] {
  const cmps = payload["components"] as Record<string, Json>;
  const shared: Json = {};
  for (const k of ["availability", "availability_mode"]) {
    if (k in payload) shared[k] = payload[k];
  }
  return Object.entries(cmps).map(([id, c]) => {
    const { platform, ...rest } = c;
    return { id, platform: String(platform), config: { ...shared, ...rest } };
  });
}

function byName(entities: readonly Entity[], platform: string, name: string): Entity {
  const e = entities.find((x) => x.platform === platform && x.config["name"] === name);
  if (e === undefined) throw new Error(`no ${platform} "${name}" in discovery`);
  return e;
}

describe.skipIf(!brokerKind)("Home Assistant end to end (fake HA, real daemon)", () => {
  let broker: Broker;
  let sim: Simulator;
  let daemon: Daemon | undefined;
  let ha: FakeHomeAssistant;
  let entities: Entity[] = [];

  beforeAll(async () => {
    [broker, sim] = await Promise.all([startBroker(), startTestSim()]);
    ha = await FakeHomeAssistant.connect(broker.url);
    daemon = await startDaemon({
      config: testConfig(broker.url, sim.urls.ddXml, {
        homeassistant: { enabled: true, discovery_mode: "device" },
      }),
    });
  }, 60_000);

  afterAll(async () => {
    await ha.client.endAsync(true);
    await daemon?.stop("SIGTERM");
    await sim.close();
    await broker.stop();
  });

  it("discovery arrives retained and passes HA's rules", async () => {
    const { payload } = await ha.deviceConfig(30_000);
    expect(devicePayloadProblems(payload)).toEqual([]);
    entities = entitiesOf(payload);
    const names = entities.map((e) => `${e.platform}:${String(e.config["name"])}`);
    for (const expected of [
      "camera:Live view",
      "image:Last picture",
      "button:Shoot",
      "select:Shoot mode",
      "number:Zoom",
      "switch:Liveview",
      "sensor:Camera status",
      "binary_sensor:Connected",
    ]) {
      expect(names).toContain(expected);
    }
    // A late subscriber (HA restarting) gets it retained too.
    const late = await FakeHomeAssistant.connect(broker.url);
    try {
      const again = await late.deviceConfig(5000);
      expect(again.payload).toEqual(payload);
    } finally {
      await late.client.endAsync(true);
    }
    await ha.subscribeEntityTopics(entities);
  }, 40_000);

  it("entities are available and show the camera's state", async () => {
    const status = byName(entities, "sensor", "Camera status");
    const connected = byName(entities, "binary_sensor", "Connected");
    await ha.until("Camera status IDLE", () => (ha.state(status) === "IDLE" ? true : undefined));
    expect(ha.available(status)).toBe(true);
    expect(ha.state(connected)).toBe("on");
    expect(ha.state(byName(entities, "select", "Shoot mode"))).toBe("still");
    for (const e of entities) expect(ha.available(e), e.id).toBe(true);
  }, 20_000);

  it("pressing Shoot publishes a new picture to the image entity", async () => {
    const shoot = byName(entities, "button", "Shoot");
    const image = byName(entities, "image", "Last picture");
    const imageTopic = String(image.config["image_topic"]);
    const from = ha.log.length;
    const press = shoot.config["payload_press"];
    await ha.command(shoot, typeof press === "string" ? press : "PRESS");
    const pic = await ha.until("a snapshot", () =>
      ha.log.slice(from).find((m) => m.topic === imageTopic),
    );
    expect([pic.payload[0], pic.payload[1]]).toEqual([0xff, 0xd8]); // a JPEG
    // The attributes follow the picture (mqtt-api.md: `<base>/snapshot/attributes`).
    const attrsTopic = String(image.config["json_attributes_topic"]);
    const attrs = await ha.until("snapshot attributes", () =>
      ha.log.slice(from).find((m) => m.topic === attrsTopic),
    );
    expect(JSON.parse(attrs.payload.toString("utf8"))).toMatchObject({
      bytes: pic.payload.length,
    });
  }, 30_000);

  it("selecting a shoot mode changes the select's state", async () => {
    const select = byName(entities, "select", "Shoot mode");
    const options = select.config["options"] as string[];
    expect(options).toContain("movie");
    await ha.command(select, "movie");
    await ha.until("shoot mode movie", () => (ha.state(select) === "movie" ? true : undefined));
    await ha.command(select, "still");
    await ha.until("shoot mode still", () => (ha.state(select) === "still" ? true : undefined));
  }, 30_000);

  it("moving the zoom slider moves the zoom", async () => {
    const zoom = byName(entities, "number", "Zoom");
    // HA's number entity publishes an integer value as "50" (step 1).
    await ha.command(zoom, "50");
    await ha.until(
      "zoom near 50",
      () => {
        const v = Number(ha.state(zoom));
        return Number.isFinite(v) && Math.abs(v - 50) <= 10 ? true : undefined;
      },
      25_000,
    );
  }, 30_000);

  it("camera power-off: entities unavailable, Connected off; back on: available again", async () => {
    const shoot = byName(entities, "button", "Shoot");
    const connected = byName(entities, "binary_sensor", "Connected");
    const from = ha.log.length;
    await sim.powerOff();
    await ha.until("Shoot unavailable", () => (ha.available(shoot) ? undefined : true), 20_000);
    expect(ha.state(connected)).toBe("off");
    expect(ha.available(connected)).toBe(true); // it reports the camera itself
    await sim.powerOn();
    await ha.until("Shoot available", () => (ha.available(shoot) ? true : undefined), 30_000);
    expect(ha.state(connected)).toBe("on");
    // A camera power cycle must not delete entities (HA would drop their registry settings).
    await ha.until("state after the power cycle", () =>
      ha.state(byName(entities, "select", "Shoot mode")) === "still" ? true : undefined,
    );
    await new Promise((r) => setTimeout(r, 500));
    const removals = ha.log
      .slice(from)
      .filter((m) => m.topic.startsWith("homeassistant/") && m.payload.length === 0);
    expect(removals.map((m) => m.topic)).toEqual([]);
    const { payload } = await ha.deviceConfig(1000);
    expect(entitiesOf(payload).map((e) => e.id)).toEqual(entities.map((e) => e.id));
  }, 60_000);

  it("HA restart (birth message) brings the discovery again", async () => {
    const topic = (await ha.deviceConfig(1000)).topic;
    const from = ha.log.length;
    await ha.client.publishAsync("homeassistant/status", "online", { qos: 0 });
    await ha.until("discovery republished", () =>
      ha.log.slice(from).find((m) => m.topic === topic),
    );
  }, 20_000);
});
