import { spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect as netConnect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import mqtt from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { isBridgeError } from "../../src/errors.js";
import { createLogger, type Logger } from "../../src/log.js";
import {
  MqttConnection,
  OFFLINE_PAYLOAD,
  ONLINE_PAYLOAD,
  estimatePublishPacketSize,
} from "../../src/mqtt/connection.js";
import * as topics from "../../src/mqtt/topics.js";
import {
  brokerCaps,
  brokerKind,
  freePort,
  lacks,
  startBroker,
  type Broker,
} from "../helpers/broker.js";

const BASE = "qx10";

// ---------------------------------------------------------------------------------------------
// Fixtures: brokers, connections, watcher clients, a TCP proxy that can cut or refuse connections.

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function broker(opts?: Parameters<typeof startBroker>[0]): Promise<Broker> {
  const b = await startBroker(opts);
  cleanups.push(() => b.stop());
  return b;
}

/** A logger whose lines are kept for assertions. */
function capturedLogger(): { logger: Logger; lines: { level: number; msg: string }[] } {
  const lines: { level: number; msg: string }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString("utf8").split("\n").filter(Boolean)) {
        lines.push(JSON.parse(l) as { level: number; msg: string });
      }
      cb();
    },
  });
  return { logger: createLogger({ level: "debug", destination: stream }), lines };
}

function connection(
  url: string,
  mqttOverrides: Record<string, unknown> = {},
  logger: Logger = createLogger({ level: "silent" }),
): MqttConnection {
  const config = parseConfig({
    mqtt: {
      url,
      base_topic: BASE,
      reconnect_min_s: 0.05,
      reconnect_max_s: 0.2,
      connect_timeout_s: 3,
      ...mqttOverrides,
    },
  });
  const conn = new MqttConnection(config.mqtt, { logger, random: () => 0.5 });
  cleanups.push(() => conn.stop());
  return conn;
}

interface Seen {
  topic: string;
  payload: Buffer;
  retain: boolean;
  qos: number;
  properties: mqtt.IPublishPacket["properties"];
}

/**
 * An independent client that records what the broker delivers: MQTT 5 with retain-as-published,
 * or MQTT 3.1.1 on the embedded broker (then live messages arrive with retain 0).
 */
async function watcher(url: string, filter = `${BASE}/#`) {
  const v5 = brokerCaps.mqtt5;
  const client = await mqtt.connectAsync(url, { protocolVersion: v5 ? 5 : 4, reconnectPeriod: 0 });
  cleanups.push(() => client.endAsync(true));
  const seen: Seen[] = [];
  const waiters = new Set<() => void>();
  client.on("message", (topic, payload, packet) => {
    seen.push({
      topic,
      payload,
      retain: packet.retain,
      qos: packet.qos,
      properties: packet.properties,
    });
    for (const w of waiters) w();
  });
  await client.subscribeAsync(filter, v5 ? { qos: 1, rap: true } : { qos: 1 });
  const waitFor = (pred: (s: Seen) => boolean, what: string, timeoutMs = 8000): Promise<Seen> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const hit = seen.find(pred);
        if (hit !== undefined) {
          waiters.delete(check);
          clearTimeout(timer);
          resolve(hit);
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(
          new Error(
            `timed out waiting for ${what}; seen: ${seen.map((s) => `${s.topic}=${s.payload.toString()}`).join(", ")}`,
          ),
        );
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  return { client, seen, waitFor };
}

/** Resolves on the next onConnect of `conn`. */
function nextConnect(conn: MqttConnection): Promise<void> {
  return new Promise((resolve) => {
    const off = conn.onConnect(() => {
      off();
      resolve();
    });
  });
}

async function until(cond: () => boolean, what: string, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Forwards 127.0.0.1:<port> to the broker; can cut every connection abruptly or refuse new ones. */
class TcpProxy {
  readonly sockets = new Set<Socket>();
  refusing = false;
  private constructor(
    readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number): Promise<TcpProxy> {
    const server = createServer();
    const proxy = new TcpProxy(server, 0);
    server.on("connection", (down) => {
      if (proxy.refusing) {
        down.destroy();
        return;
      }
      const up = netConnect({ host: "127.0.0.1", port: targetPort });
      for (const s of [down, up]) {
        proxy.sockets.add(s);
        s.on("error", () => undefined);
        s.on("close", () => {
          proxy.sockets.delete(s);
          down.destroy();
          up.destroy();
        });
      }
      down.pipe(up);
      up.pipe(down);
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const addr = server.address();
    const p = Object.assign(proxy, { port: typeof addr === "object" && addr ? addr.port : 0 });
    cleanups.push(() => p.close());
    return p;
  }

  /** Destroys both sides of every proxied connection: no DISCONNECT reaches the broker. */
  cut(): void {
    for (const s of this.sockets) s.destroy();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((r) => this.server.close(r));
  }
}

// ---------------------------------------------------------------------------------------------

describe.skipIf(brokerKind === null)(`MqttConnection against ${String(brokerKind)}`, () => {
  it.skipIf(lacks("maxPacketSize", "MQTT 5 CONNACK maximum packet size"))(
    "connects with MQTT 5, publishes retained online (QoS 1) and exposes maximumPacketSize",
    async () => {
      const b = await broker({ maxPacketSize: 200_000 });
      const conn = connection(b.url);
      await conn.start(AbortSignal.timeout(10_000));
      expect(conn.connected).toBe(true);
      expect(conn.protocolVersion).toBe(5);
      expect(conn.maximumPacketSize).toBe(200_000);
      expect(conn.stats.connects).toBe(1);
      // A subscriber that comes later gets the retained state with the contract's flags.
      const w = await watcher(b.url);
      const s = await w.waitFor((m) => m.topic === "qx10/bridge/state", "bridge/state");
      expect(s.payload.toString()).toBe(ONLINE_PAYLOAD);
      expect(s.retain).toBe(true);
      expect(s.qos).toBe(1);
    },
  );

  it.skipIf(lacks("maxPacketSize", "MQTT 5 CONNACK maximum packet size"))(
    "refuses a publish larger than the broker's maximum packet size instead of being cut off",
    async () => {
      const b = await broker({ maxPacketSize: 70_000 });
      const conn = connection(b.url);
      await conn.start(AbortSignal.timeout(10_000));
      const w = await watcher(b.url);
      expect(estimatePublishPacketSize("qx10/snapshot", 69_000)).toBeGreaterThan(69_000);
      expect(
        await conn.publish(topics.snapshot(BASE), Buffer.alloc(80_000, 1), { retain: true }),
      ).toBe(false);
      expect(conn.stats.droppedTooLarge).toBe(1);
      expect(
        await conn.publish(topics.snapshot(BASE), Buffer.alloc(60_000, 2), { retain: true }),
      ).toBe(true);
      const s = await w.waitFor((m) => m.topic === "qx10/snapshot", "snapshot");
      expect(s.payload.length).toBe(60_000);
      expect(conn.connected).toBe(true);
    },
  );

  it.skipIf(lacks("mqtt5", "retain flag of live messages (retain-as-published)"))(
    "the Last Will (retained offline, QoS 1) appears when the socket dies, online again after the reconnect",
    async () => {
      const b = await broker();
      const proxy = await TcpProxy.start(b.port);
      const conn = connection(`mqtt://127.0.0.1:${proxy.port}`);
      await conn.start(AbortSignal.timeout(10_000));
      const w = await watcher(b.url, "qx10/bridge/state");
      await w.waitFor((m) => m.payload.toString() === ONLINE_PAYLOAD, "online");
      const reconnected = nextConnect(conn);
      proxy.cut();
      const will = await w.waitFor((m) => m.payload.toString() === OFFLINE_PAYLOAD, "will");
      expect(will.retain).toBe(true);
      expect(will.qos).toBe(1);
      await reconnected;
      const idx = w.seen.indexOf(will);
      await w.waitFor(
        (m) => w.seen.indexOf(m) > idx && m.payload.toString() === ONLINE_PAYLOAD,
        "online after the will",
      );
      expect(conn.stats.connects).toBe(2);
    },
  );

  it("republishes online and every registered retained topic after a broker restart", async () => {
    const b = await broker();
    const conn = connection(b.url);
    await conn.start(AbortSignal.timeout(10_000));
    const jpeg = Buffer.from([0xff, 0xd8, 0x00, 0x01, 0x02, 0xff, 0xd9]);
    expect(await conn.retained(topics.state(BASE), '{"zoom_position":10}')).toBe(true);
    expect(await conn.retained(topics.snapshot(BASE), jpeg)).toBe(true);
    expect(await conn.retained("homeassistant/device/qx10_x/config", '{"dev":{}}')).toBe(true);
    // An empty payload clears and forgets.
    expect(await conn.retained("homeassistant/device/qx10_x/config", "")).toBe(true);
    expect(conn.retainedTopics()).toEqual(["qx10/state", "qx10/snapshot"]);

    const reconnected = nextConnect(conn);
    await b.stop(); // no persistence: the broker forgets every retained message
    await until(() => !conn.connected, "disconnect");
    // Registered while disconnected: not sent now, but on the next connect.
    expect(await conn.retained(topics.availability(BASE), '{"state":"online"}')).toBe(false);
    expect(await conn.retained(topics.state(BASE), '{"zoom_position":20}')).toBe(false);
    await b.restart?.();
    await reconnected;

    const w = await watcher(b.url);
    const expected: Record<string, Buffer> = {
      "qx10/bridge/state": Buffer.from(ONLINE_PAYLOAD),
      "qx10/state": Buffer.from('{"zoom_position":20}'),
      "qx10/snapshot": jpeg,
      "qx10/availability": Buffer.from('{"state":"online"}'),
    };
    for (const [topic, payload] of Object.entries(expected)) {
      const m = await w.waitFor((s) => s.topic === topic, topic);
      expect(m.payload.equals(payload), topic).toBe(true);
      expect(m.retain, topic).toBe(true);
      expect(m.qos, topic).toBe(1);
    }
    // Nothing else is retained under the base (the cleared HA config is gone too).
    const w2 = await watcher(b.url, "#");
    await w2.waitFor((s) => s.topic === "qx10/availability", "last retained");
    expect(w2.seen.map((s) => s.topic).sort()).toEqual(Object.keys(expected).sort());
  });

  it("start() waits for a broker that comes up later, logging the outage once", async () => {
    const b = await broker();
    await b.stop();
    const { logger, lines } = capturedLogger();
    const conn = connection(b.url, {}, logger);
    const started = conn.start(AbortSignal.timeout(15_000));
    let resolved = false;
    void started.then(() => (resolved = true));
    // Several attempts fail while the broker is down (0.05 s .. 0.2 s apart).
    const t0 = Date.now();
    await until(() => lines.filter((l) => l.msg === "reconnect scheduled").length >= 5, "retries");
    // The broker comes up about 1 s after start().
    await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - t0))));
    expect(resolved).toBe(false);
    await b.restart?.();
    await started;
    expect(conn.connected).toBe(true);
    const warnings = lines.filter((l) => l.level === 40);
    expect(warnings.map((l) => l.msg)).toEqual([
      "MQTT broker not reachable; retrying until it is (logged once per outage)",
    ]);
  });

  it("an abort while waiting for the broker rejects start() with ABORTED", async () => {
    const port = await freePort(); // nothing listens here
    const conn = connection(`mqtt://127.0.0.1:${port}`);
    const ac = new AbortController();
    const started = conn.start(ac.signal);
    setTimeout(() => {
      ac.abort();
    }, 300);
    const err: unknown = await started.catch((e: unknown) => e);
    expect(isBridgeError(err, "ABORTED")).toBe(true);
    expect(conn.connected).toBe(false);
    await conn.stop();
    expect(await conn.publish("qx10/event", "x")).toBe(false);
  });

  it("stop() while start() waits rejects start() with ABORTED and ends all retrying", async () => {
    const b = await broker();
    await b.stop();
    const { logger, lines } = capturedLogger();
    const conn = connection(b.url, {}, logger);
    const started = conn.start(AbortSignal.timeout(15_000));
    await until(() => lines.some((l) => l.msg === "reconnect scheduled"), "a retry");
    await conn.stop();
    const err: unknown = await started.catch((e: unknown) => e);
    expect(isBridgeError(err, "ABORTED")).toBe(true);
    // start() after stop() is refused too, and a broker that comes back sees no connection.
    await b.restart?.();
    const scheduled = lines.filter((l) => l.msg === "reconnect scheduled").length;
    await new Promise((r) => setTimeout(r, 600)); // 3x reconnect_max_s
    expect(lines.filter((l) => l.msg === "reconnect scheduled").length).toBe(scheduled);
    expect(conn.stats.connects).toBe(0);
    const late = await watcher(b.url, "qx10/bridge/state");
    await new Promise((r) => setTimeout(r, 100));
    expect(late.seen).toEqual([]);
  });

  it.skipIf(lacks("mqtt5", "retain flag of live messages (retain-as-published)"))(
    "stop() publishes retained offline, disconnects, and is idempotent",
    async () => {
      const b = await broker();
      const conn = connection(b.url);
      await conn.start(AbortSignal.timeout(10_000));
      const w = await watcher(b.url, "qx10/bridge/state");
      await w.waitFor((m) => m.payload.toString() === ONLINE_PAYLOAD, "online");
      const first = conn.stop();
      expect(conn.stop()).toBe(first);
      await first;
      await conn.stop();
      expect(conn.connected).toBe(false);
      const off = await w.waitFor((m) => m.payload.toString() === OFFLINE_PAYLOAD, "offline");
      expect(off.retain).toBe(true);
      expect(off.qos).toBe(1);
      // Retained at the broker for late subscribers; and nothing is sent after stop.
      const late = await watcher(b.url, "qx10/bridge/state");
      const retained = await late.waitFor(() => true, "retained state");
      expect(retained.payload.toString()).toBe(OFFLINE_PAYLOAD);
      expect(await conn.publish("qx10/event", '{"type":"x"}')).toBe(false);
    },
  );

  it.skipIf(lacks("mqtt5", "MQTT 5 publish properties (content type, message expiry)"))(
    "publishes with the contract's retain flags, QoS and MQTT 5 properties",
    async () => {
      const b = await broker();
      const conn = connection(b.url);
      await conn.start(AbortSignal.timeout(10_000));
      const w = await watcher(b.url);
      expect(await conn.publish(topics.event(BASE), '{"type":"picture_taken"}')).toBe(true);
      expect(
        await conn.publish(topics.liveview(BASE), Buffer.from([0xff, 0xd8, 0xff, 0xd9]), {
          qos: 0,
          properties: { contentType: "image/jpeg", messageExpiryInterval: 5 },
        }),
      ).toBe(true);
      expect(
        await conn.publish(topics.commandResult(BASE, "shoot"), '{"status":"ok"}', { qos: 1 }),
      ).toBe(true);
      const ev = await w.waitFor((m) => m.topic === "qx10/event", "event");
      expect([ev.retain, ev.qos, ev.payload.toString()]).toEqual([
        false,
        1,
        '{"type":"picture_taken"}',
      ]);
      const lv = await w.waitFor((m) => m.topic === "qx10/liveview", "liveview");
      expect([lv.retain, lv.qos]).toEqual([false, 0]);
      expect(lv.payload.equals(Buffer.from([0xff, 0xd8, 0xff, 0xd9]))).toBe(true);
      expect(lv.properties?.contentType).toBe("image/jpeg");
      expect(lv.properties?.messageExpiryInterval).toBeGreaterThan(0);
      const res = await w.waitFor((m) => m.topic === "qx10/cmd/shoot/result", "result");
      expect([res.retain, res.qos]).toEqual([false, 1]);
    },
  );

  it.skipIf(lacks("mqtt5", "MQTT 5 response topic and retain-as-published"))(
    "delivers subscribed commands with retain flag and MQTT 5 properties, again after a broker restart",
    async () => {
      const b = await broker();
      const conn = connection(b.url);
      const got: { topic: string; payload: string; retain: boolean; props: unknown }[] = [];
      conn.onMessage((m) => {
        got.push({
          topic: m.topic,
          payload: m.payload.toString(),
          retain: m.retain,
          props: m.properties.responseTopic ?? null,
        });
      });
      await conn.subscribe(topics.commandWildcard(BASE)); // before start: sent on connect
      await conn.start(AbortSignal.timeout(10_000));
      await until(() => conn.connected, "connected");
      const pub = await mqtt.connectAsync(b.url, { protocolVersion: 5, reconnectPeriod: 0 });
      cleanups.push(() => pub.endAsync(true));
      // The SUBSCRIBE went out on connect, before start() resolved and before `pub` connected.
      await pub.publishAsync("qx10/cmd/refresh", "", { qos: 1 });
      await until(() => got.some((g) => g.topic === "qx10/cmd/refresh"), "first command");
      await pub.publishAsync("qx10/cmd/shoot", "PRESS", {
        qos: 1,
        properties: { responseTopic: "reply/here", correlationData: Buffer.from("c1") },
      });
      await pub.publishAsync("qx10/cmd/zoom", "in", { qos: 1, retain: true });
      await pub.publishAsync("qx10/cmd/shoot/result", "{}", { qos: 1 }); // not ours: cmd/+ only
      await pub.publishAsync("qx10/state", "{}", { qos: 1 });
      await until(() => got.some((g) => g.topic === "qx10/cmd/zoom"), "zoom");
      expect(got.filter((g) => g.topic !== "qx10/cmd/refresh")).toEqual([
        { topic: "qx10/cmd/shoot", payload: "PRESS", retain: false, props: "reply/here" },
        { topic: "qx10/cmd/zoom", payload: "in", retain: true, props: null },
      ]);

      got.length = 0;
      const reconnected = nextConnect(conn);
      await b.stop();
      await b.restart?.();
      await reconnected;
      await pub.endAsync(true);
      const pub2 = await mqtt.connectAsync(b.url, { protocolVersion: 4, reconnectPeriod: 0 });
      cleanups.push(() => pub2.endAsync(true));
      // onConnect runs after the SUBSCRIBE was written, so the broker has it before pub2 connects.
      await pub2.publishAsync("qx10/cmd/movie", "START", { qos: 1 });
      await until(() => got.some((g) => g.topic === "qx10/cmd/movie"), "command after restart");
      expect(got[0]).toEqual({
        topic: "qx10/cmd/movie",
        payload: "START",
        retain: false,
        props: null,
      });
    },
  );

  it("while disconnected drops QoS 0, queues QoS 1 up to the bound, and sends the queue on reconnect", async () => {
    const b = await broker();
    const proxy = await TcpProxy.start(b.port);
    const conn = connection(`mqtt://127.0.0.1:${proxy.port}`, { offline_queue_max_messages: 3 });
    await conn.start(AbortSignal.timeout(10_000));
    const w = await watcher(b.url, "qx10/event");
    proxy.refusing = true;
    proxy.cut();
    await until(() => !conn.connected, "disconnect");
    expect(await conn.publish(topics.liveview(BASE), Buffer.alloc(10), { qos: 0 })).toBe(false);
    const sends = [1, 2, 3, 4, 5].map((i) => conn.publish(topics.event(BASE), `{"n":${i}}`));
    expect(await sends[3]).toBe(false);
    expect(await sends[4]).toBe(false);
    expect(conn.stats).toMatchObject({ droppedQos0: 1, droppedQueueFull: 2, pending: 3 });
    proxy.refusing = false;
    expect(await Promise.all(sends.slice(0, 3))).toEqual([true, true, true]);
    await w.waitFor((m) => m.payload.toString() === '{"n":3}', "third event");
    expect(w.seen.map((m) => m.payload.toString())).toEqual(['{"n":1}', '{"n":2}', '{"n":3}']);
    await until(() => conn.stats.pending === 0, "online and the queue acknowledged");
  });

  it.skipIf(lacks("maxPacketSize", "MQTT 5 CONNACK maximum packet size"))(
    "protocol_version 4 speaks MQTT 3.1.1 to the broker",
    async () => {
      const b = await broker({ maxPacketSize: 100_000 });
      const conn = connection(b.url, { protocol_version: 4 });
      await conn.start(AbortSignal.timeout(10_000));
      expect(conn.protocolVersion).toBe(4);
      expect(conn.maximumPacketSize).toBeUndefined();
      expect(
        await conn.retained(topics.state(BASE), "{}", { contentType: "application/json" }),
      ).toBe(true);
      const w = await watcher(b.url);
      const s = await w.waitFor((m) => m.topic === "qx10/state", "state");
      expect(s.properties?.contentType).toBeUndefined();
    },
  );

  it("fails start() with MQTT_UNAVAILABLE on bad credentials, connects with good ones", async () => {
    const b = await broker({ users: { bridge: "right" } });
    const bad = connection(b.url, { username: "bridge", password: "wrong" });
    const err: unknown = await bad.start(AbortSignal.timeout(10_000)).catch((e: unknown) => e);
    expect(isBridgeError(err, "MQTT_UNAVAILABLE")).toBe(true);
    const good = connection(b.url, { username: "bridge", password: "right" });
    await good.start(AbortSignal.timeout(10_000));
    expect(good.connected).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// A fake MQTT 3.1.1-only broker: refuses protocol level 5 with CONNACK return code 1 (MQTT 3.1.1
// §3.2.2.3), accepts level 4, acknowledges QoS 1 publishes. Enough to test the fallback.

function fakeV311Broker(): Promise<{ port: number; levels: number[]; close: () => Promise<void> }> {
  const levels: number[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((sock) => {
    sockets.add(sock);
    sock.on("close", () => sockets.delete(sock));
    sock.on("error", () => undefined);
    let buf = Buffer.alloc(0);
    sock.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        let len = 0;
        let mul = 1;
        let i = 1;
        for (; i < buf.length && i <= 4; i++) {
          const byte = buf[i]!;
          len += (byte & 0x7f) * mul;
          mul *= 128;
          if ((byte & 0x80) === 0) break;
        }
        if (i >= buf.length || buf.length < i + 1 + len) return;
        const type = buf[0]! >> 4;
        const body = buf.subarray(i + 1, i + 1 + len);
        const flags = buf[0]! & 0x0f;
        buf = buf.subarray(i + 1 + len);
        if (type === 1) {
          const nameLen = body.readUInt16BE(0);
          const level = body[2 + nameLen]!;
          levels.push(level);
          sock.write(Buffer.from([0x20, 0x02, 0x00, level === 4 ? 0x00 : 0x01]));
          if (level !== 4) sock.end();
        } else if (type === 3 && ((flags >> 1) & 3) === 1) {
          const topicLen = body.readUInt16BE(0);
          sock.write(
            Buffer.concat([Buffer.from([0x40, 0x02]), body.subarray(2 + topicLen, 4 + topicLen)]),
          );
        } else if (type === 12) {
          sock.write(Buffer.from([0xd0, 0x00]));
        } else if (type === 14) {
          sock.end();
        }
      }
    });
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const addr = server.address();
      resolve({
        port: typeof addr === "object" && addr ? addr.port : 0,
        levels,
        close: () => {
          for (const s of sockets) s.destroy();
          return new Promise((r) =>
            server.close(() => {
              r();
            }),
          );
        },
      });
    });
  });
}

describe("MQTT 3.1.1 fallback (fake broker)", () => {
  it("protocol_version auto retries with 3.1.1 when the broker refuses MQTT 5", async () => {
    const fake = await fakeV311Broker();
    cleanups.push(fake.close);
    const conn = connection(`mqtt://127.0.0.1:${fake.port}`);
    await conn.start(AbortSignal.timeout(10_000));
    expect(conn.protocolVersion).toBe(4);
    expect(fake.levels).toEqual([5, 4]);
    expect(await conn.publish("qx10/event", "{}")).toBe(true);
    await conn.stop();
  });

  it("protocol_version 5 does not fall back", async () => {
    const fake = await fakeV311Broker();
    cleanups.push(fake.close);
    const conn = connection(`mqtt://127.0.0.1:${fake.port}`, { protocol_version: 5 });
    const ac = new AbortController();
    const started = conn.start(ac.signal);
    await until(() => fake.levels.length >= 3, "several attempts");
    ac.abort();
    const err: unknown = await started.catch((e: unknown) => e);
    expect(isBridgeError(err, "ABORTED")).toBe(true);
    expect(new Set(fake.levels)).toEqual(new Set([5]));
  });
});

// ---------------------------------------------------------------------------------------------
// TLS: a throw-away CA and a server certificate for DNS name "localhost" only (no IP SAN), made
// with the openssl CLI, so host name verification can be seen to work.

function makeCerts(): { dir: string; ca: string; cert: string; key: string } | null {
  const dir = mkdtempSync(join(tmpdir(), "qx10-tls-"));
  const run = (args: string[]): boolean =>
    spawnSync("openssl", args, { cwd: dir, stdio: "ignore" }).status === 0;
  writeFileSync(join(dir, "san.ext"), "subjectAltName=DNS:localhost\n");
  const ok =
    run([
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      "ca.key",
      "-out",
      "ca.pem",
      "-days",
      "2",
      "-subj",
      "/CN=qx10 test CA",
    ]) &&
    run([
      "req",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      "server.key",
      "-out",
      "server.csr",
      "-subj",
      "/CN=localhost",
    ]) &&
    run([
      "x509",
      "-req",
      "-in",
      "server.csr",
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      "server.pem",
      "-days",
      "2",
      "-extfile",
      "san.ext",
    ]);
  if (!ok) {
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
  return {
    dir,
    ca: join(dir, "ca.pem"),
    cert: join(dir, "server.pem"),
    key: join(dir, "server.key"),
  };
}

const haveOpenssl = spawnSync("openssl", ["version"], { stdio: "ignore" }).status === 0;

describe.skipIf(!haveOpenssl || lacks("tls", "MqttConnection over TLS"))(
  "MqttConnection over TLS",
  () => {
    async function tlsBroker() {
      const certs = makeCerts();
      if (certs === null) throw new Error("openssl could not make test certificates");
      cleanups.push(() => {
        rmSync(certs.dir, { recursive: true, force: true });
        return Promise.resolve();
      });
      const b = await broker({ tls: { certFile: certs.cert, keyFile: certs.key } });
      return { b, certs };
    }

    /** Starts `conn`, expecting it never to connect; returns the warnings it logged. */
    async function expectNoConnect(conn: MqttConnection, lines: { level: number; msg: string }[]) {
      const ac = new AbortController();
      const started = conn.start(ac.signal);
      await until(
        () => lines.filter((l) => l.msg === "reconnect scheduled").length >= 2,
        "retries",
      );
      ac.abort();
      const err: unknown = await started.catch((e: unknown) => e);
      expect(isBridgeError(err, "ABORTED")).toBe(true);
      return lines.filter((l) => l.level === 40) as unknown as { err?: { code?: string } }[];
    }

    it("verifies the chain with the configured CA and the host name via servername", async () => {
      const { b, certs } = await tlsBroker();
      expect(b.url.startsWith("mqtts://127.0.0.1:")).toBe(true);
      const conn = connection(b.url, { tls: { ca: certs.ca, servername: "localhost" } });
      await conn.start(AbortSignal.timeout(10_000));
      expect(conn.connected).toBe(true);
    });

    it("refuses a certificate whose name does not match (hostname verification is on by default)", async () => {
      const { b, certs } = await tlsBroker();
      const { logger, lines } = capturedLogger();
      const conn = connection(b.url, { tls: { ca: certs.ca } }, logger);
      const warnings = await expectNoConnect(conn, lines);
      expect(warnings.map((w) => w.err?.code)).toEqual(["ERR_TLS_CERT_ALTNAME_INVALID"]);
    });

    it("refuses an unknown CA unless reject_unauthorized is false", async () => {
      const { b } = await tlsBroker();
      const { logger, lines } = capturedLogger();
      const strict = connection(b.url, {}, logger);
      const warnings = await expectNoConnect(strict, lines);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]?.err?.code).toMatch(/SELF_SIGNED|UNABLE_TO_GET_ISSUER|UNABLE_TO_VERIFY/);
      const lax = connection(b.url, { tls: { reject_unauthorized: false } });
      await lax.start(AbortSignal.timeout(10_000));
      expect(lax.connected).toBe(true);
    });

    it("a TLS file that cannot be read is CONFIG_INVALID at start()", async () => {
      const conn = connection("mqtts://127.0.0.1:1", { tls: { ca: "/nonexistent/ca.pem" } });
      const err: unknown = await conn.start(AbortSignal.timeout(10_000)).catch((e: unknown) => e);
      expect(isBridgeError(err, "CONFIG_INVALID")).toBe(true);
      expect((err as Error).message).toContain("mqtt.tls.ca");
    });
  },
);
