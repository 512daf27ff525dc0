/**
 * End to end lifecycle of the real daemon (issue 4 "Done when"): SIGTERM → retained `offline` and
 * exit 0; state and availability retained and correct after a restart of the bridge and of the
 * broker; a retained command is not replayed on restart; camera power-off flips availability and
 * the bridge recovers when the camera returns. Asserts only on what the broker delivers.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setTimeout as delay } from "node:timers/promises";
import { type Simulator } from "../../src/sim/simulator.js";
import { brokerKind, lacks, startBroker, type Broker } from "../helpers/broker.js";
import { MqttRecorder, startDaemon, testConfig, type Daemon } from "../helpers/daemon.js";
import { cameraCall, startTestSim } from "../helpers/sim.js";

describe.skipIf(!brokerKind)("bridge end to end: lifecycle", () => {
  let broker: Broker;
  let sim: Simulator;
  let daemon: Daemon | undefined;
  const config = (): Record<string, unknown> => testConfig(broker.url, sim.urls.ddXml);

  /** A fresh subscriber's view of the retained documents. */
  async function retainedView(topicsWanted: string[]): Promise<Map<string, unknown>> {
    const late = await MqttRecorder.connect(broker.url, ["qx10/#"]);
    try {
      const out = new Map<string, unknown>();
      for (const t of topicsWanted) {
        const m = await late.waitFor(t, (r) => r.retain, 10_000);
        out.set(t, JSON.parse(m.payload.toString("utf8")));
      }
      return out;
    } finally {
      await late.close();
    }
  }

  beforeAll(async () => {
    [broker, sim] = await Promise.all([startBroker(), startTestSim()]);
  });

  afterAll(async () => {
    await daemon?.stop("SIGKILL");
    await sim.close();
    await broker.stop();
  });

  it("SIGTERM publishes retained offline and exits 0; a restart brings everything back", async () => {
    const rec = await MqttRecorder.connect(broker.url, ["qx10/#"]);
    try {
      daemon = await startDaemon({ config: config() });
      await rec.waitForJson("qx10/availability", (v) => v["state"] === "online", 20_000);
      await rec.waitForJson("qx10/state", (v) => v["camera_status"] === "IDLE", 10_000);
      // A retained command left on the broker must not fire when the bridge (re)subscribes.
      await rec.publish("qx10/cmd/shoot", "PRESS", { retain: true });

      const exit = await daemon.stop("SIGTERM", 10_000);
      expect(exit).toEqual({ code: 0, signal: null });
      const view = await retainedView(["qx10/bridge/state", "qx10/availability"]);
      expect(view.get("qx10/bridge/state")).toEqual({ state: "offline" });
      expect(view.get("qx10/availability")).toEqual({ state: "offline" });

      const from = rec.messages.length;
      daemon = await startDaemon({ config: config() });
      await rec.waitForJson("qx10/availability", (v) => v["state"] === "online", 20_000, from);
      await rec.waitForJson("qx10/state", (v) => v["camera_status"] === "IDLE", 10_000, from);
      const after = await retainedView(["qx10/bridge/state", "qx10/availability", "qx10/state"]);
      expect(after.get("qx10/bridge/state")).toEqual({ state: "online" });
      expect(after.get("qx10/availability")).toEqual({ state: "online" });
      expect(after.get("qx10/state")).toMatchObject({ camera_status: "IDLE", shoot_mode: "still" });
      await delay(500);
      expect(rec.messages.slice(from).some((m) => m.topic === "qx10/cmd/shoot/result")).toBe(false);
      await rec.publish("qx10/cmd/shoot", "", { retain: true }); // clear it
    } finally {
      await rec.close();
    }
  });

  it.skipIf(
    lacks(
      "mqtt5",
      "telling the republish after a broker restart from live messages needs retain-as-published",
    ),
  )("republishes state and availability after a broker restart", async () => {
    if (broker.restart === undefined) return; // containers: no restart on the same port
    expect(daemon).toBeDefined();
    await broker.restart(); // no persistence: every retained message is gone
    const view = await retainedView(["qx10/bridge/state", "qx10/availability", "qx10/state"]);
    expect(view.get("qx10/bridge/state")).toEqual({ state: "online" });
    expect(view.get("qx10/availability")).toEqual({ state: "online" });
    expect(view.get("qx10/state")).toMatchObject({ camera_status: "IDLE", shoot_mode: "still" });
    // Commands work over the new connection.
    const rec = await MqttRecorder.connect(broker.url, ["qx10/#"]);
    try {
      await rec.publish("qx10/cmd/refresh", "");
      expect(await rec.waitForJson("qx10/cmd/refresh/result")).toMatchObject({ status: "ok" });
    } finally {
      await rec.close();
    }
  });

  it("camera power-off flips availability offline; the bridge recovers when it returns", async () => {
    const rec = await MqttRecorder.connect(broker.url, ["qx10/#"]);
    try {
      await rec.waitForJson("qx10/availability", (v) => v["state"] === "online");
      const from = rec.messages.length;
      await sim.powerOff();
      await rec.waitForJson("qx10/availability", (v) => v["state"] === "offline", 15_000, from);
      // A command while the camera is offline fails at once.
      const from2 = rec.messages.length;
      await rec.publish("qx10/cmd/shoot", "");
      const failed = await rec.waitForJson("qx10/cmd/shoot/result", () => true, 5000, from2);
      expect(failed["status"]).toBe("error");

      const from3 = rec.messages.length;
      await sim.powerOn();
      await rec.waitForJson("qx10/availability", (v) => v["state"] === "online", 20_000, from3);
      await rec.waitForJson("qx10/state", (v) => v["camera_status"] === "IDLE", 10_000, from3);
      const from4 = rec.messages.length;
      await rec.publish("qx10/cmd/shoot", "");
      const ok = await rec.waitForJson("qx10/cmd/shoot/result", () => true, 15_000, from4);
      expect(ok["status"]).toBe("ok");
    } finally {
      await rec.close();
    }
  });

  it("SIGTERM during liveview and a timelapse still exits 0 with retained offline", async () => {
    // Last test: the daemon of the earlier tests makes way (same client id and base topic).
    await daemon?.stop("SIGTERM");
    daemon = undefined;
    const rec = await MqttRecorder.connect(broker.url, ["qx10/#"]);
    const busy = await startDaemon({ config: config() });
    try {
      const from = rec.messages.length;
      await rec.waitForJson("qx10/availability", (v) => v["state"] === "online", 20_000, from);
      await rec.publish("qx10/cmd/liveview", "ON");
      await rec.waitFor("qx10/liveview", () => true, 10_000, from);
      await rec.publish("qx10/cmd/timelapse", JSON.stringify({ count: 50, interval_s: 0.5 }));
      await rec.waitForJson("qx10/event", (v) => v["type"] === "timelapse", 10_000, from);
      const exit = await busy.stop("SIGTERM", 8000);
      expect(exit).toEqual({ code: 0, signal: null });
      // The bridge told the camera to stop liveview on the way out (battery).
      expect(sim.liveview.stats.readerConnected).toBe(false);
      const event = await cameraCall(sim, "getEvent", [false]);
      const lv = event.find(
        (o): o is { liveviewStatus: boolean } =>
          typeof o === "object" &&
          o !== null &&
          (o as { type?: unknown }).type === "liveviewStatus",
      );
      expect(lv?.liveviewStatus).toBe(false);
      const view = await retainedView(["qx10/bridge/state", "qx10/availability"]);
      expect(view.get("qx10/bridge/state")).toEqual({ state: "offline" });
      expect(view.get("qx10/availability")).toEqual({ state: "offline" });
    } finally {
      await busy.stop("SIGKILL");
      await rec.close();
    }
  });
});
