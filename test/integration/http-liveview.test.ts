/**
 * The HTTP server of issue 9 in a real bridge: an in-process app (createApp, as `qx10-mqtt run`
 * builds it) with a real broker (test/helpers/broker.ts) and the camera simulator, HTTP on an
 * ephemeral loopback port with token auth.
 *
 * - `/liveview.mjpeg` read by a strict multipart parser (./http-mjpeg-reader.ts): valid JPEGs at
 *   about the simulator's rate for 3 viewers at once, over one camera stream (the camera serves
 *   one reader, camera-api.md §5.1).
 * - ffmpeg (when installed) reads and decodes the stream without a complaint.
 * (A viewer that does not read: ./http-slow-viewer.test.ts.)
 * - The camera stream stops a linger after the last viewer leaves (simulator: no reader, camera
 *   liveview stopped).
 * - `/liveview.jpg`, `/picture.jpg` after `POST /api/cmd/shoot` (same bytes as `<base>/snapshot`),
 *   `/healthz`, `/api/state`, and the token on every path.
 */
import { execFile, spawnSync } from "node:child_process";
import { setTimeout as delay } from "node:timers/promises";
import { promisify } from "node:util";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp, type App } from "../../src/app.js";
import { parseConfig } from "../../src/config/load.js";
import { createLogger } from "../../src/log.js";
import { type Simulator } from "../../src/sim/simulator.js";
import { brokerKind, startBroker, type Broker } from "../helpers/broker.js";
import { MqttRecorder, testConfig } from "../helpers/daemon.js";
import { startTestSim } from "../helpers/sim.js";
import { isJpeg, openMjpeg, type MjpegReader } from "./http-mjpeg-reader.js";

const TOKEN = "test-token-0123456789abcdef";
const SIM_FPS = 20;
const LINGER_MS = 1000;
/** Debian's ffmpeg, when installed: a real MJPEG client (its mpjpeg demuxer and JPEG decoder). */
const haveFfmpeg = spawnSync("ffmpeg", ["-version"], { stdio: "ignore" }).status === 0;

describe.skipIf(!brokerKind)("HTTP server in the bridge: MJPEG, stills, picture, health", () => {
  let broker: Broker;
  let sim: Simulator;
  let app: App;
  let base: string;
  let rec: MqttRecorder;
  const auth = { authorization: `Bearer ${TOKEN}` };

  beforeAll(async () => {
    [broker, sim] = await Promise.all([
      startBroker(),
      startTestSim({ liveview: { fps: SIM_FPS, width: 320, height: 240 } }),
    ]);
    const config = parseConfig(
      testConfig(broker.url, sim.urls.ddXml, {
        http: { enabled: true, port: 0, auth: { mode: "token", token: TOKEN } },
      }),
    );
    app = createApp({
      config,
      logger: createLogger({ level: "warn" }),
      bridge: { liveviewLingerMs: LINGER_MS, pictureClaimDelayMs: 200 },
      http: { stillWaitMs: 5000 },
    });
    await app.start(AbortSignal.timeout(20_000));
    base = app.http?.url ?? "";
    rec = await MqttRecorder.connect(broker.url, ["qx10/#"]);
    await rec.waitForJson("qx10/availability", (v) => v["state"] === "online", 20_000);
  });

  afterAll(async () => {
    await rec.close();
    await app.stop();
    await sim.close();
    await broker.stop();
  });

  async function get(path: string, headers: Record<string, string> = auth) {
    const res = await request(base + path, { headers });
    const body = Buffer.from(await res.body.arrayBuffer());
    return { status: res.statusCode, headers: res.headers, body };
  }

  it("listens on 127.0.0.1 and refuses every path without the token", async () => {
    expect(app.http?.address?.address).toBe("127.0.0.1");
    for (const path of ["/", "/liveview.mjpeg", "/liveview.jpg", "/picture.jpg", "/healthz"]) {
      const res = await get(path, {});
      expect(res.status, path).toBe(401);
      expect(res.headers["www-authenticate"]).toBe('Bearer realm="qx10-mqtt"');
      expect((await get(`${path}?token=wrong-token-0123456789`, {})).status, path).toBe(401);
      expect((await get(path, { authorization: "Bearer nope" })).status, path).toBe(401);
    }
    const post = await request(`${base}/api/cmd/shoot`, { method: "POST", body: "" });
    expect(post.statusCode).toBe(401);
    await post.body.dump();
    expect(app.bridge.lastSnapshot).toBeNull();
  });

  it("/healthz reports the bridge and the camera", async () => {
    const res = await get(`/healthz?token=${TOKEN}`, {});
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(JSON.parse(res.body.toString())).toMatchObject({
      status: "ok",
      mqtt_connected: true,
      camera_online: true,
      camera_model: "DSC-QX10",
      liveview_publishing: false,
    });
  });

  it("/liveview.jpg starts the stream and returns a fresh frame", async () => {
    expect(sim.liveview.stats.readerConnected).toBe(false);
    const res = await get("/liveview.jpg");
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("image/jpeg");
    expect(Number(res.headers["content-length"])).toBe(res.body.length);
    expect(isJpeg(res.body)).toBe(true);
  });

  it("serves MJPEG to 3 viewers at the camera's rate over one camera stream; the stream stops after the last leaves", async () => {
    const readers: MjpegReader[] = [];
    for (let i = 0; i < 3; i++)
      readers.push(await openMjpeg(`${base}/liveview.mjpeg`, { headers: auth }));
    const connections = sim.liveview.stats.connections;
    // Count over a window that starts once every viewer has its first frame.
    await expect.poll(() => readers.every((r) => r.count() > 0), { timeout: 10_000 }).toBe(true);
    const from = readers.map((r) => r.count());
    const windowMs = 2000;
    await delay(windowMs);
    const got = readers.map((r, i) => r.count() - (from[i] ?? 0));
    const nominal = (SIM_FPS * windowMs) / 1000; // 40
    for (const n of got) {
      expect(n).toBeGreaterThanOrEqual(nominal * 0.5);
      expect(n).toBeLessThanOrEqual(nominal * 1.25);
    }
    for (const r of readers) {
      expect(r.response.headers["cache-control"]).toContain("no-store");
      // Consecutive frames differ (the simulator's pattern moves): no frame is sent twice.
      for (let i = 1; i < r.parts.length; i++) {
        expect(r.parts[i]?.jpeg.equals(r.parts[i - 1]?.jpeg ?? Buffer.alloc(0))).toBe(false);
      }
    }
    // One camera reader for everyone: no reconnect while the viewers watched.
    expect(sim.liveview.stats.connections).toBe(connections);
    expect(sim.liveview.stats.readerConnected).toBe(true);
    expect(app.http?.stats.viewers).toBe(3);

    for (const r of readers) r.close();
    await Promise.all(readers.map((r) => r.done));
    await expect.poll(() => app.http?.stats.viewers, { timeout: 2000 }).toBe(0);
    // Still streaming during the linger…
    expect(sim.liveview.stats.readerConnected).toBe(true);
    // …and stopped a few seconds after the last viewer left.
    await expect
      .poll(() => sim.liveview.stats.readerConnected, { timeout: LINGER_MS + 5000 })
      .toBe(false);
    await expect.poll(() => app.bridge.status.liveview_streaming).toBe(false);
    // The camera was told to stop (stopLiveview): its own liveviewStatus says so.
    await expect
      .poll(() => app.bridge.stateDocument().liveview_status, { timeout: 5000 })
      .toBe(false);
  });

  it.skipIf(!haveFfmpeg)("ffmpeg reads and decodes the MJPEG stream", async () => {
    const url = `${base}/liveview.mjpeg?token=${TOKEN}`;
    // -v error: any demuxer or decoder complaint is printed; none is expected.
    const { stdout, stderr } = await promisify(execFile)(
      "ffmpeg",
      ["-nostdin", "-v", "error", "-i", url, "-frames:v", "20", "-f", "null", "-"],
      { timeout: 20_000 },
    );
    expect(stdout + stderr).toBe("");
  });

  it("/picture.jpg is 404 before a shot, then the picture of POST /api/cmd/shoot (as on <base>/snapshot)", async () => {
    expect((await get("/picture.jpg")).status).toBe(404);
    const from = rec.messages.length;
    const res = await request(`${base}/api/cmd/shoot`, { method: "POST", body: "", headers: auth });
    expect(res.statusCode).toBe(200);
    const result = (await res.body.json()) as {
      status: string;
      data: { urls: string[]; snapshot: { bytes: number; taken_at: string } };
    };
    expect(result.status).toBe("ok");
    expect(result.data.urls).toHaveLength(1);
    const pic = await get("/picture.jpg");
    expect(pic.status).toBe(200);
    expect(pic.headers["content-type"]).toBe("image/jpeg");
    expect(isJpeg(pic.body)).toBe(true);
    expect(pic.body.length).toBe(result.data.snapshot.bytes);
    // The same picture went to MQTT, like a cmd/shoot.
    const snap = await rec.waitFor("qx10/snapshot", () => true, 5000, from);
    expect(snap.payload.equals(pic.body)).toBe(true);
    await rec.waitForJson("qx10/event", (v) => v["type"] === "picture_taken", 5000, from);
    // The HTTP result is the caller's; nothing on cmd/shoot/result.
    expect(rec.messages.slice(from).some((m) => m.topic === "qx10/cmd/shoot/result")).toBe(false);
    // Conditional GET.
    const etag = String(pic.headers["etag"]);
    expect((await get("/picture.jpg", { ...auth, "if-none-match": etag })).status).toBe(304);
    // The state endpoint names it.
    const state = JSON.parse((await get("/api/state")).body.toString()) as {
      picture: { taken_at: string };
      state: { shoot_modes: string[] };
    };
    expect(state.picture.taken_at).toBe(result.data.snapshot.taken_at);
    expect(state.state.shoot_modes).toContain("still");
  });

  it("POST /api/cmd answers like MQTT: invalid payloads and unknown commands are refused", async () => {
    const bad = await request(`${base}/api/cmd/zoom`, {
      method: "POST",
      body: "sideways",
      headers: auth,
    });
    expect(bad.statusCode).toBe(400);
    expect(await bad.body.json()).toMatchObject({ status: "error", code: "COMMAND_INVALID" });
    const unknown = await request(`${base}/api/cmd/nope`, {
      method: "POST",
      body: "",
      headers: auth,
    });
    expect(unknown.statusCode).toBe(400);
    await unknown.body.dump();
    const zoom = await request(`${base}/api/cmd/zoom`, {
      method: "POST",
      body: "in",
      headers: auth,
    });
    expect(zoom.statusCode).toBe(200);
    expect(await zoom.body.json()).toMatchObject({ status: "ok" });
  });
});
