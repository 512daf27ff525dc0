/**
 * HaDiscoveryPublisher against a real Mosquitto, wired to the real MqttConnection the way the
 * bridge wires it: retained configs reach a client subscribed to `homeassistant/#`; HA's birth
 * message brings a republish after the (short, seeded) delay, then onBirth; the stale scan clears
 * an old entity of this bridge and leaves other bridges' configs alone.
 */
import mqtt from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import { initialCameraState, type CameraState } from "../../src/camera/events.js";
import { parseConfig } from "../../src/config/load.js";
import { buildDiscovery, discoveryIds } from "../../src/ha/discovery.js";
import { HaDiscoveryPublisher, type HaUpdateInput } from "../../src/ha/publisher.js";
import { createLogger } from "../../src/log.js";
import { MqttConnection } from "../../src/mqtt/connection.js";
import { brokerCaps, brokerKind, startBroker, type Broker } from "../helpers/broker.js";

const UDN = "uuid:00000000-0005-0010-8000-1c994c8a1f9b";
const NODE = discoveryIds(UDN, "qx10").nodeId;
const STATE: CameraState = {
  ...initialCameraState(),
  shoot_mode: "still",
  shoot_modes: ["still", "movie"],
  available_apis: ["actTakePicture", "actZoom", "startLiveview", "setShootMode"],
};
const INPUT: HaUpdateInput = {
  baseTopic: "qx10",
  bridgeVersion: "0.1.0",
  camera: { udn: UDN, model: "DSC-QX10" },
  state: STATE,
};

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function broker(): Promise<Broker> {
  const b = await startBroker();
  cleanups.push(() => b.stop());
  return b;
}

async function connection(url: string): Promise<MqttConnection> {
  const config = parseConfig({ mqtt: { url, base_topic: "qx10", reconnect_min_s: 0.05 } });
  const conn = new MqttConnection(config.mqtt, {
    logger: createLogger({ level: "silent" }),
    random: () => 0.5,
  });
  const controller = new AbortController();
  cleanups.push(async () => {
    await conn.stop();
    controller.abort();
  });
  await conn.start(controller.signal);
  return conn;
}

/** The publisher wired like the bridge: publish/subscribe through the connection, messages routed. */
function publisher(
  conn: MqttConnection,
  mode: "device" | "component",
  extra: { onBirth?: () => void; scanWindowMs?: number } = {},
): HaDiscoveryPublisher {
  const pub = new HaDiscoveryPublisher({
    publish: (topic, payload, o) => conn.publish(topic, payload, o),
    subscribe: (f) => conn.subscribe(f),
    unsubscribe: (f) => conn.unsubscribe(f),
    config: { prefix: "homeassistant", status_topic: "homeassistant/status", discovery_mode: mode },
    random: () => 0.25,
    birthDelayMs: { min: 100, max: 300 },
    scanWindowMs: extra.scanWindowMs ?? 0,
    recreateDelayMs: 50,
    ...(extra.onBirth === undefined ? {} : { onBirth: extra.onBirth }),
  });
  const off = conn.onMessage((m) => {
    pub.handleMessage(m.topic, m.payload);
  });
  cleanups.push(async () => {
    off();
    await pub.stop();
  });
  return pub;
}

interface Seen {
  topic: string;
  payload: string;
  retain: boolean;
  at: number;
}

/**
 * A client like HA: subscribes `homeassistant/#` and records (MQTT 5, retain-as-published; MQTT
 * 3.1.1 on the embedded broker, where only messages sent on subscribing carry retain 1).
 */
async function haClient(url: string) {
  const v5 = brokerCaps.mqtt5;
  const client = await mqtt.connectAsync(url, { protocolVersion: v5 ? 5 : 4, reconnectPeriod: 0 });
  cleanups.push(() => client.endAsync(true));
  const seen: Seen[] = [];
  client.on("message", (topic, payload, packet) => {
    seen.push({ topic, payload: payload.toString("utf8"), retain: packet.retain, at: Date.now() });
  });
  await client.subscribeAsync("homeassistant/#", v5 ? { qos: 1, rap: true } : { qos: 1 });
  const waitFor = async (pred: (s: Seen) => boolean, timeoutMs = 5000): Promise<Seen> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = seen.find(pred);
      if (hit !== undefined) return hit;
      if (Date.now() > deadline) throw new Error("no matching message");
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { client, seen, waitFor };
}

/** Retained messages under `homeassistant/#` as a new subscriber sees them (after `settleMs`). */
async function retainedNow(url: string, settleMs = 400): Promise<Map<string, string>> {
  const ha = await haClient(url);
  await new Promise((r) => setTimeout(r, settleMs));
  return new Map(ha.seen.filter((s) => s.retain).map((s) => [s.topic, s.payload]));
}

describe.skipIf(!brokerKind)("HaDiscoveryPublisher on a real broker", () => {
  for (const mode of ["device", "component"] as const) {
    it(`${mode} mode: retained configs reach a homeassistant/# subscriber`, async () => {
      const b = await broker();
      const conn = await connection(b.url);
      const pub = publisher(conn, mode);
      await pub.update(INPUT);
      const expected = buildDiscovery({ ...INPUT, mode });
      const retained = await retainedNow(b.url);
      expect(retained).toEqual(new Map(expected.map((m) => [m.topic, m.payload])));
    });
  }

  it("birth: online on homeassistant/status republishes after the delay, then onBirth", async () => {
    const b = await broker();
    const conn = await connection(b.url);
    const births: number[] = [];
    const pub = publisher(conn, "device", { onBirth: () => births.push(Date.now()) });
    await pub.start();
    await pub.update(INPUT);
    const topic = `homeassistant/device/${NODE}/config`;
    const ha = await haClient(b.url);
    await ha.waitFor((s) => s.topic === topic && s.retain);
    const before = ha.seen.length;
    const sentAt = Date.now();
    // Exactly what HA sends: `online`, QoS 0, not retained (mqtt-ha.md §2.7).
    await ha.client.publishAsync("homeassistant/status", "online", { qos: 0 });
    const again = await ha.waitFor((s) => s.topic === topic && ha.seen.indexOf(s) >= before);
    // random 0.25 → 100 + 0.25 × 200 = 150 ms; only the lower bound is checked (no speed asserts).
    expect(again.at - sentAt).toBeGreaterThanOrEqual(140);
    expect(again.payload).toBe(buildDiscovery({ ...INPUT, mode: "device" })[0]?.payload);
    for (let i = 0; i < 100 && births.length === 0; i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(births).toHaveLength(1);
    expect(births[0]).toBeGreaterThanOrEqual(again.at - 5);
  });

  it("stale cleanup at start: an old entity of this bridge is cleared, others stay", async () => {
    const b = await broker();
    const seed = await mqtt.connectAsync(b.url, {
      protocolVersion: b.mqtt5 ? 5 : 4,
      reconnectPeriod: 0,
    });
    const oldEntity = `homeassistant/sensor/${NODE}/old_thing/config`;
    const otherBridge = "homeassistant/sensor/qx10_other_node/battery/config";
    await seed.publishAsync(oldEntity, '{"uniq_id":"old"}', { qos: 1, retain: true });
    await seed.publishAsync(otherBridge, '{"uniq_id":"other"}', { qos: 1, retain: true });
    await seed.endAsync();

    const conn = await connection(b.url);
    const pub = publisher(conn, "component", { scanWindowMs: 300 });
    await pub.update(INPUT);
    const retained = await retainedNow(b.url);
    expect(retained.has(oldEntity)).toBe(false);
    expect(retained.get(otherBridge)).toBe('{"uniq_id":"other"}');
    for (const m of buildDiscovery({ ...INPUT, mode: "component" })) {
      expect(retained.get(m.topic)).toBe(m.payload);
    }
  });

  it("an entity no longer offered disappears from the broker", async () => {
    const b = await broker();
    const conn = await connection(b.url);
    const pub = publisher(conn, "component");
    await pub.update(INPUT);
    const apis = (STATE.available_apis ?? []).filter((a) => a !== "setShootMode");
    await pub.update({ ...INPUT, state: { ...STATE, available_apis: apis } });
    const retained = await retainedNow(b.url);
    expect(retained.has(`homeassistant/select/${NODE}/shoot_mode/config`)).toBe(false);
    expect(retained.has(`homeassistant/button/${NODE}/shoot/config`)).toBe(true);
  });
});
