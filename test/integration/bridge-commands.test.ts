/**
 * End to end: every command of the contract's table once through the real daemon (child process),
 * Mosquitto and the simulator, asserting on the results and the state the broker delivers. The
 * parsing and candidate rules in detail are the commands helper's unit and runner tests.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Simulator } from "../../src/sim/simulator.js";
import { brokerKind, startBroker, type Broker } from "../helpers/broker.js";
import { MqttRecorder, startDaemon, testConfig, type Daemon } from "../helpers/daemon.js";
import { startTestSim } from "../helpers/sim.js";

type Doc = Record<string, unknown>;

describe.skipIf(!brokerKind)("bridge end to end: every command", () => {
  let broker: Broker;
  let sim: Simulator;
  let daemon: Daemon;
  let rec: MqttRecorder;

  beforeAll(async () => {
    [broker, sim] = await Promise.all([startBroker(), startTestSim()]);
    daemon = await startDaemon({ config: testConfig(broker.url, sim.urls.ddXml) });
    rec = await MqttRecorder.connect(broker.url, ["qx10/#"]);
    await rec.waitForJson("qx10/availability", (v) => v["state"] === "online", 20_000);
    await rec.waitForJson("qx10/state", (v) => v["still_sizes"] !== null, 10_000);
  });

  afterAll(async () => {
    await rec.close();
    await daemon.stop();
    await sim.close();
    await broker.stop();
  });

  /** Sends one command and returns its (single) result. */
  async function command(name: string, payload: string, timeoutMs = 10_000): Promise<Doc> {
    const from = rec.messages.length;
    await rec.publish(`qx10/cmd/${name}`, payload);
    return rec.waitForJson<Doc>(`qx10/cmd/${name}/result`, () => true, timeoutMs, from);
  }

  /** Waits for a state document (published after `from`) satisfying `match`. */
  function stateWhere(match: (s: Doc) => boolean, from: number): Promise<Doc> {
    return rec.waitForJson<Doc>("qx10/state", match, 10_000, from);
  }

  it("settings: each set call lands in the state; values outside the candidates are refused", async () => {
    const cases: [string, string, string, unknown][] = [
      ["exposure_mode", "Program Auto", "exposure_mode", "Program Auto"],
      ["self_timer", "2", "self_timer", 2],
      ["iso", "200", "iso", "200"],
      ["white_balance", "Daylight", "white_balance", "Daylight"],
      ["exposure_compensation", "1", "exposure_compensation", 1],
      ["still_size", "16:9 13M", "still_size", "16:9 13M"],
      ["postview_size", "Original", "postview_size", "Original"],
      ["beep_mode", "Off", "beep_mode", "Off"],
      ["self_timer", "0", "self_timer", 0],
    ];
    for (const [name, payload, key, value] of cases) {
      const from = rec.messages.length;
      const result = await command(name, payload);
      expect(result, `${name} ${payload}`).toMatchObject({ status: "ok" });
      await stateWhere((s) => s[key] === value, from);
    }
    const refused = await command("iso", "12345");
    expect(refused["status"]).toBe("error");
  });

  it("shoot_mode, movie START/STOP", async () => {
    let from = rec.messages.length;
    expect(await command("shoot_mode", "movie")).toMatchObject({ status: "ok" });
    await stateWhere((s) => s["shoot_mode"] === "movie", from);
    from = rec.messages.length;
    expect(await command("movie", "START")).toMatchObject({ status: "ok" });
    await stateWhere((s) => s["camera_status"] === "MovieRecording", from);
    expect(await command("movie", "STOP")).toMatchObject({ status: "ok" });
    from = rec.messages.length;
    expect(await command("shoot_mode", "still")).toMatchObject({ status: "ok" });
    await stateWhere((s) => s["shoot_mode"] === "still" && s["camera_status"] === "IDLE", from);
  });

  it("zoom in/out/stop and absolute position", async () => {
    expect(await command("zoom", "in")).toMatchObject({ status: "ok" });
    expect(await command("zoom", "out")).toMatchObject({ status: "ok" });
    expect(await command("zoom", "stop")).toMatchObject({ status: "ok" });
    const from = rec.messages.length;
    expect(await command("zoom", "50", 20_000)).toMatchObject({ status: "ok" });
    await stateWhere(
      (s) => typeof s["zoom_position"] === "number" && Math.abs(s["zoom_position"] - 50) <= 10,
      from,
    );
  });

  it("half_press ON/OFF and touch_af", async () => {
    expect(await command("half_press", "ON")).toMatchObject({ status: "ok" });
    expect(await command("half_press", "OFF")).toMatchObject({ status: "ok" });
    expect(await command("touch_af", JSON.stringify({ x: 50, y: 40 }))).toMatchObject({
      status: "ok",
    });
  });

  it("refresh and rpc (allowed, refused destructive)", async () => {
    expect(await command("refresh", "")).toMatchObject({ status: "ok" });
    const versions = await command(
      "rpc",
      JSON.stringify({ method: "getVersions", params: [], transaction: "v" }),
    );
    expect(versions).toMatchObject({ status: "ok", transaction: "v" });
    expect(JSON.stringify(versions["data"])).toContain("1.0");
    const refused = await command(
      "rpc",
      JSON.stringify({ method: "actFormatStorage", params: [] }),
    );
    expect(refused["status"]).toBe("error");
  });

  it("liveview_fps and liveview switch the state keys", async () => {
    let from = rec.messages.length;
    expect(await command("liveview_fps", "3")).toMatchObject({ status: "ok" });
    await stateWhere((s) => s["liveview_fps"] === 3, from);
    expect((await command("liveview_fps", "99"))["status"]).toBe("error");
    from = rec.messages.length;
    expect(await command("liveview", "ON")).toMatchObject({ status: "ok" });
    await stateWhere((s) => s["liveview"] === true, from);
    from = rec.messages.length;
    expect(await command("liveview", "OFF")).toMatchObject({ status: "ok" });
    await stateWhere((s) => s["liveview"] === false, from);
  });

  it("timelapse: two shots with progress events, each published as a snapshot", async () => {
    const from = rec.messages.length;
    const result = await command("timelapse", JSON.stringify({ count: 2, interval_s: 1 }), 20_000);
    expect(result["status"]).toBe("ok");
    await rec.waitForJson("qx10/event", (v) => v["type"] === "timelapse", 10_000, from);
    // Both shots arrive as picture_taken events with distinct URLs.
    const deadline = Date.now() + 20_000;
    let urls: unknown[] = [];
    while (Date.now() < deadline) {
      urls = rec.messages
        .slice(from)
        .filter((m) => m.topic === "qx10/event")
        .map((m) => JSON.parse(m.payload.toString("utf8")) as Doc)
        .filter((e) => e["type"] === "picture_taken")
        .map((e) => e["url"]);
      if (urls.length >= 2) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(new Set(urls).size).toBe(2);
    expect(urls).toHaveLength(2);
  });
});
