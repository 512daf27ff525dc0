/**
 * End to end with SSDP discovery (no camera.url; the M-SEARCH goes to the simulator's responder on
 * 127.0.0.1, never to the multicast group) and a Smart-Remote camera, which needs startRecMode
 * before its shooting APIs appear (camera-api.md §6.1). Also: a picture taken on the camera itself
 * (not through the bridge) is published as a snapshot with source "camera"; after a power cycle
 * the camera is found again by SSDP.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Simulator } from "../../src/sim/simulator.js";
import { brokerKind, startBroker, type Broker } from "../helpers/broker.js";
import { MqttRecorder, startDaemon, testConfig, type Daemon } from "../helpers/daemon.js";
import { cameraCall, startTestSim } from "../helpers/sim.js";

describe.skipIf(!brokerKind)("bridge end to end: SSDP discovery, Smart Remote camera", () => {
  let broker: Broker;
  let sim: Simulator;
  let daemon: Daemon;
  let rec: MqttRecorder;

  beforeAll(async () => {
    [broker, sim] = await Promise.all([
      startBroker(),
      startTestSim({ model: "smart-remote", ssdp: { host: "127.0.0.1", port: 0 } }),
    ]);
    const ssdp = sim.urls.ssdp;
    if (ssdp === undefined) throw new Error("simulator SSDP responder did not start");
    const config = testConfig(broker.url, "", {
      camera: {
        url: null,
        discovery: { address: "127.0.0.1", port: ssdp.port, timeout_s: 2 },
      },
    });
    rec = await MqttRecorder.connect(broker.url, ["qx10/#"]);
    daemon = await startDaemon({ config });
    await rec.waitForJson("qx10/availability", (v) => v["state"] === "online", 20_000);
  });

  afterAll(async () => {
    await rec.close();
    await daemon.stop();
    await sim.close();
    await broker.stop();
  });

  it("finds the camera by SSDP, enters rec mode and shoots", async () => {
    const info = await rec.waitForJson(
      "qx10/bridge/info",
      (v) => v["camera_model"] === "DSC-HX400V",
      10_000,
    );
    expect(info["camera_location"]).toBe(sim.urls.ddXml);
    await rec.waitForJson(
      "qx10/state",
      (v) => Array.isArray(v["available_apis"]) && v["available_apis"].includes("actTakePicture"),
      10_000,
    );
    const from = rec.messages.length;
    await rec.publish("qx10/cmd/shoot", "");
    const result = await rec.waitForJson("qx10/cmd/shoot/result", () => true, 15_000, from);
    expect(result["status"]).toBe("ok");
    const snap = await rec.waitFor("qx10/snapshot", () => true, 10_000, from);
    expect([snap.payload[0], snap.payload[1]]).toEqual([0xff, 0xd8]);
  });

  it("publishes a picture taken on the camera itself once, as source camera", async () => {
    const from = rec.messages.length;
    const [urls] = (await cameraCall(sim, "actTakePicture")) as [string[]];
    const event = await rec.waitForJson(
      "qx10/event",
      (v) => v["type"] === "picture_taken",
      10_000,
      from,
    );
    expect(event).toMatchObject({ source: "camera", url: urls[0], snapshot: true });
    const attrs = await rec.waitForJson("qx10/snapshot/attributes", () => true, 5000, from);
    expect(attrs["url"]).toBe(urls[0]);
    expect(rec.messages.slice(from).some((m) => m.topic === "qx10/cmd/shoot/result")).toBe(false);
  });

  it("rediscovers the camera by SSDP after a power cycle", async () => {
    const from = rec.messages.length;
    await sim.powerOff();
    await rec.waitForJson("qx10/availability", (v) => v["state"] === "offline", 15_000, from);
    await sim.powerOn();
    await rec.waitForJson("qx10/availability", (v) => v["state"] === "online", 20_000, from);
    const from2 = rec.messages.length;
    await rec.publish("qx10/cmd/refresh", "");
    expect(
      await rec.waitForJson("qx10/cmd/refresh/result", () => true, 10_000, from2),
    ).toMatchObject({ status: "ok" });
  });
});
