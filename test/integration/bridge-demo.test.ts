/**
 * `qx10-mqtt demo` in-process: with no broker at `mqtt.url` it starts the embedded one (aedes,
 * MQTT 3.1.1) on 127.0.0.1, prints the mosquitto_sub / mosquitto_pub lines, and the printed
 * command takes a picture through simulator and bridge. Stops on the context's signal with 0.
 */
import { describe, expect, it } from "vitest";
import { runDemo } from "../../src/cli/demo.js";
import { type CliContext } from "../../src/cli/context.js";
import { brokerKind, freePort, startBroker } from "../helpers/broker.js";
import { MqttRecorder } from "../helpers/daemon.js";
import { waitFor } from "../helpers/sim.js";

describe("qx10-mqtt demo", () => {
  it("starts an embedded broker when none answers and shoots through it", async () => {
    const unused = await freePort();
    const controller = new AbortController();
    const out: string[] = [];
    const err: string[] = [];
    const ctx: CliContext = {
      signal: controller.signal,
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      env: { QX10_MQTT__URL: `mqtt://127.0.0.1:${unused}`, QX10_LOG__LEVEL: "silent" },
    };
    const running = runDemo([], ctx);
    let rec: MqttRecorder | undefined;
    try {
      await waitFor(() => out.some((l) => l.includes("mosquitto_pub")), 10_000);
      const sub = out.find((l) => l.includes("mosquitto_sub")) ?? "";
      const m = /mosquitto_sub -h 127\.0\.0\.1 -p (\d+) -t 'qx10\/#' -v$/.exec(sub);
      expect(m, sub).not.toBeNull();
      const port = Number(m?.[1]);
      expect(port).not.toBe(unused);
      expect(out.find((l) => l.includes("mosquitto_pub"))).toMatch(
        new RegExp(`mosquitto_pub -h 127\\.0\\.0\\.1 -p ${port} -t qx10/cmd/shoot -n$`),
      );
      rec = await MqttRecorder.connect(`mqtt://127.0.0.1:${port}`, ["qx10/#"], {
        protocolVersion: 4,
      });
      await rec.waitForJson("qx10/availability", (v) => v["state"] === "online", 15_000);
      const from = rec.messages.length;
      await rec.publish("qx10/cmd/shoot", "");
      expect(
        await rec.waitForJson("qx10/cmd/shoot/result", () => true, 15_000, from),
      ).toMatchObject({ status: "ok" });
      const snap = await rec.waitFor("qx10/snapshot", () => true, 10_000, from);
      expect([snap.payload[0], snap.payload[1]]).toEqual([0xff, 0xd8]);
    } finally {
      await rec?.close();
      controller.abort("SIGINT");
      expect(await running).toBe(0);
    }
    expect(err).toEqual([]);
  });
  it.skipIf(!brokerKind)("uses the broker at mqtt.url when it answers", async () => {
    const broker = await startBroker();
    const controller = new AbortController();
    const out: string[] = [];
    const ctx: CliContext = {
      signal: controller.signal,
      out: (l) => out.push(l),
      err: () => undefined,
      env: { QX10_MQTT__URL: broker.url, QX10_LOG__LEVEL: "silent" },
    };
    const running = runDemo([], ctx);
    let rec: MqttRecorder | undefined;
    try {
      await waitFor(() => out.some((l) => l.includes("mosquitto_pub")), 10_000);
      expect(out.some((l) => l.includes(`using the MQTT broker at ${broker.url}`))).toBe(true);
      expect(out.find((l) => l.includes("mosquitto_sub"))).toContain(`-p ${broker.port} `);
      rec = await MqttRecorder.connect(broker.url, ["qx10/#"]);
      await rec.waitForJson("qx10/availability", (v) => v["state"] === "online", 15_000);
    } finally {
      await rec?.close();
      controller.abort("SIGTERM");
      expect(await running).toBe(0);
      await broker.stop();
    }
  });
});
