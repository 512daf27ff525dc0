/**
 * End to end liveview of the real daemon: `cmd/liveview ON` publishes JPEG frames on
 * `<base>/liveview` (QoS 0, not retained, MQTT 5 contentType image/jpeg and a message expiry) at
 * the configured rate, `cmd/liveview_fps` changes it, `OFF` stops it. Frame counts over a few
 * seconds with generous bounds (the rate is a ceiling; the 2-core CI machine may be slow).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setTimeout as delay } from "node:timers/promises";
import { type Simulator } from "../../src/sim/simulator.js";
import { brokerKind, lacks, startBroker, type Broker } from "../helpers/broker.js";
import { MqttRecorder, startDaemon, testConfig, type Daemon } from "../helpers/daemon.js";
import { startTestSim } from "../helpers/sim.js";

describe.skipIf(!brokerKind)("bridge end to end: liveview", () => {
  let broker: Broker;
  let sim: Simulator;
  let daemon: Daemon;
  let rec: MqttRecorder;

  beforeAll(async () => {
    [broker, sim] = await Promise.all([
      startBroker(),
      startTestSim({ liveview: { fps: 20, width: 160, height: 120, focusFrames: true } }),
    ]);
    daemon = await startDaemon({
      config: testConfig(broker.url, sim.urls.ddXml, { liveview: { fps: 2, expiry_s: 3 } }),
    });
    rec = await MqttRecorder.connect(broker.url, ["qx10/#"]);
    await rec.waitForJson("qx10/availability", (v) => v["state"] === "online", 20_000);
  });

  afterAll(async () => {
    await rec.close();
    await daemon.stop();
    await sim.close();
    await broker.stop();
  });

  /** Frames on qx10/liveview received in the window [now, now + ms). */
  async function countFrames(ms: number): Promise<number> {
    const from = rec.messages.length;
    await delay(ms);
    return rec.messages.slice(from).filter((m) => m.topic === "qx10/liveview").length;
  }

  it.skipIf(lacks("mqtt5", "liveview frames carry MQTT 5 content type and message expiry"))(
    "publishes frames at the configured rate, changes it on cmd/liveview_fps, stops on OFF",
    async () => {
      const from = rec.messages.length;
      await rec.publish("qx10/cmd/liveview", "ON");
      expect(
        await rec.waitForJson("qx10/cmd/liveview/result", () => true, 5000, from),
      ).toMatchObject({ status: "ok" });
      const first = await rec.waitFor("qx10/liveview", () => true, 10_000, from);
      expect([first.payload[0], first.payload[1]]).toEqual([0xff, 0xd8]);
      expect(first.payload.subarray(-2)).toEqual(Buffer.from([0xff, 0xd9]));
      expect(first.retain).toBe(false);
      expect(first.qos).toBe(0);
      expect(first.properties["contentType"]).toBe("image/jpeg");
      expect(first.properties["messageExpiryInterval"]).toBeGreaterThan(0);
      expect(first.properties["messageExpiryInterval"]).toBeLessThanOrEqual(3);
      await rec.waitForJson("qx10/state", (v) => v["liveview"] === true, 5000, from);
      await rec.waitForJson("qx10/event", (v) => v["type"] === "liveview", 5000, from);

      const at2 = await countFrames(3000); // nominal 6
      expect(at2).toBeGreaterThanOrEqual(3);
      expect(at2).toBeLessThanOrEqual(8);

      const from2 = rec.messages.length;
      await rec.publish("qx10/cmd/liveview_fps", "5");
      expect(
        await rec.waitForJson("qx10/cmd/liveview_fps/result", () => true, 5000, from2),
      ).toMatchObject({ status: "ok" });
      await rec.waitForJson("qx10/state", (v) => v["liveview_fps"] === 5, 5000, from2);
      const at5 = await countFrames(3000); // nominal 15
      expect(at5).toBeGreaterThanOrEqual(8);
      expect(at5).toBeLessThanOrEqual(17);

      // Focus frames of the simulator arrive as JSON on liveview/frames.
      const frames = rec.json("qx10/liveview/frames");
      expect(frames.length).toBeGreaterThan(0);

      // The camera drops out and returns: frames resume without a new command.
      const from4 = rec.messages.length;
      await sim.powerOff();
      await rec.waitForJson("qx10/availability", (v) => v["state"] === "offline", 10_000, from4);
      await sim.powerOn();
      await rec.waitForJson("qx10/availability", (v) => v["state"] === "online", 20_000, from4);
      const back = rec.messages.length;
      await rec.waitFor("qx10/liveview", () => true, 10_000, back);

      const from3 = rec.messages.length;
      await rec.publish("qx10/cmd/liveview", "OFF");
      await rec.waitForJson("qx10/cmd/liveview/result", () => true, 5000, from3);
      await rec.waitForJson("qx10/state", (v) => v["liveview"] === false, 5000, from3);
      await delay(500); // a frame in flight may still arrive
      expect(await countFrames(1500)).toBe(0);
    },
  );
});
