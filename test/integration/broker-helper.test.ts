import { connect as netConnect } from "node:net";
import mqtt from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import { brokerKind, lacks, startBroker, type Broker } from "../helpers/broker.js";

const brokers: Broker[] = [];
const clients: mqtt.MqttClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  await Promise.all(brokers.splice(0).map((b) => b.stop()));
});

async function started(opts?: Parameters<typeof startBroker>[0]): Promise<Broker> {
  const b = await startBroker(opts);
  brokers.push(b);
  return b;
}

async function client(url: string, opts: mqtt.IClientOptions = {}): Promise<mqtt.MqttClient> {
  const c = await mqtt.connectAsync(url, { reconnectPeriod: 0, ...opts });
  clients.push(c);
  return c;
}

function tcpRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = netConnect({ host: "127.0.0.1", port });
    s.once("connect", () => {
      s.destroy();
      resolve(false);
    });
    s.once("error", (e: NodeJS.ErrnoException) => {
      resolve(e.code === "ECONNREFUSED");
    });
  });
}

describe.skipIf(brokerKind === null)(`test broker helper (${String(brokerKind)})`, () => {
  it("starts on a loopback port and relays messages", async () => {
    const b = await started();
    expect(b.kind).toBe(brokerKind);
    expect(b.mqtt5).toBe(b.kind !== "embedded");
    expect(b.url).toBe(`mqtt://${b.host}:${b.port}`);
    expect(b.port).toBeGreaterThan(0);
    const sub = await client(b.url);
    const pub = await client(b.url, { protocolVersion: b.mqtt5 ? 5 : 4 });
    await sub.subscribeAsync("t/#", { qos: 1 });
    const got = new Promise<[string, string]>((resolve) => {
      sub.once("message", (t, p) => {
        resolve([t, p.toString()]);
      });
    });
    await pub.publishAsync("t/x", "hello", { qos: 1 });
    expect(await got).toEqual(["t/x", "hello"]);
  });

  it.skipIf(lacks("restart", "stop() then restart() on the same port"))(
    "stops, then restarts on the same port",
    async () => {
      const b = await started();
      await b.stop();
      expect(await tcpRefused(b.port)).toBe(true);
      await b.stop(); // idempotent
      await b.restart?.();
      expect(await tcpRefused(b.port)).toBe(false);
      const c = await client(b.url);
      expect(c.connected).toBe(true);
    },
  );

  it.skipIf(lacks("maxPacketSize", "max_packet_size in CONNACK") || lacks("users", "users"))(
    "enforces users and advertises max_packet_size",
    async () => {
      const b = await started({ users: { bridge: "pw1" }, maxPacketSize: 65536 });
      await expect(client(b.url)).rejects.toThrow(/Not authorized|Bad username/i);
      const c = await client(b.url, { username: "bridge", password: "pw1", protocolVersion: 5 });
      expect(c.connected).toBe(true);
      expect(c.serverProperties?.maximumPacketSize).toBe(65536);
    },
  );

  it.skipIf(brokerKind !== "embedded")(
    "embedded: enforces users, refuses MQTT 5 with CONNACK 1 and unsupported options",
    async () => {
      const b = await started({ users: { bridge: "pw1" } });
      // Return code 5 "not authorized", as Mosquitto answers.
      await expect(client(b.url)).rejects.toMatchObject({ code: 5 });
      await expect(client(b.url, { username: "bridge", password: "nope" })).rejects.toMatchObject({
        code: 5,
      });
      // What `protocol_version: auto` falls back on (MQTT 3.1.1 §3.2.2.3, return code 1).
      await expect(
        client(b.url, { username: "bridge", password: "pw1", protocolVersion: 5 }),
      ).rejects.toMatchObject({ code: 1 });
      const c = await client(b.url, { username: "bridge", password: "pw1" });
      expect(c.connected).toBe(true);
      await expect(startBroker({ maxPacketSize: 1000 })).rejects.toThrow(/maxPacketSize/);
      await expect(startBroker({ persistence: true })).rejects.toThrow(/persistence/);
    },
  );
});
