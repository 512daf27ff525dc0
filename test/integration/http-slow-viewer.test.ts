/**
 * A viewer of `/liveview.mjpeg` that stops reading (issue 9: "a slow viewer skips frames, it never
 * makes the bridge buffer"): an in-process app with a real broker and the simulator sending large
 * frames fast (1280×960, quality 100, ≈ 40 KB at 100 fps ≈ 4 MB/s) so the loopback socket's kernel
 * buffers (several MB) fill within a second or two.
 *
 * Asserted: once the socket is full nothing more is written to it and every frame is counted as
 * skipped; what the bridge queued for it stays at about one frame; a reading viewer keeps getting
 * frames; after the stall timeout the stalled viewer is disconnected.
 */
import { connect } from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp, type App } from "../../src/app.js";
import { parseConfig } from "../../src/config/load.js";
import { createLogger } from "../../src/log.js";
import { type Simulator } from "../../src/sim/simulator.js";
import { brokerKind, startBroker, type Broker } from "../helpers/broker.js";
import { testConfig } from "../helpers/daemon.js";
import { startTestSim } from "../helpers/sim.js";
import { openMjpeg } from "./http-mjpeg-reader.js";

const STALL_TIMEOUT_MS = 2500;

describe.skipIf(!brokerKind)("HTTP MJPEG: a viewer that does not read", () => {
  let broker: Broker;
  let sim: Simulator;
  let app: App;

  beforeAll(async () => {
    [broker, sim] = await Promise.all([
      startBroker(),
      startTestSim({ liveview: { fps: 100, width: 1280, height: 960, quality: 100 } }),
    ]);
    app = createApp({
      config: parseConfig(
        testConfig(broker.url, sim.urls.ddXml, { http: { enabled: true, port: 0 } }),
      ),
      logger: createLogger({ level: "warn" }),
      bridge: { liveviewLingerMs: 500 },
      http: { stallTimeoutMs: STALL_TIMEOUT_MS },
    });
    await app.start(AbortSignal.timeout(20_000));
  });

  afterAll(async () => {
    await app.stop();
    await sim.close();
    await broker.stop();
  });

  it("skips frames for it without buffering them, keeps serving others, drops it after the stall timeout", async () => {
    const http = app.http;
    if (http === undefined) throw new Error("no HTTP server");
    // A raw socket that sends the request and then never reads.
    const socket = connect(http.address?.port ?? 0, "127.0.0.1");
    await new Promise<void>((resolve) => socket.once("connect", resolve));
    socket.on("error", () => undefined);
    socket.write("GET /liveview.mjpeg HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    socket.pause();
    await expect.poll(() => http.stats.viewers, { timeout: 5000 }).toBe(1);
    const reader = await openMjpeg(`${http.url ?? ""}/liveview.mjpeg`, { keep: false });
    try {
      const stalled = () => http.stats.perViewer[0];
      // Its socket fills; from then on every frame is skipped for it.
      await expect.poll(() => stalled()?.skipped ?? 0, { timeout: 15_000 }).toBeGreaterThan(20);
      const before = stalled();
      const readBefore = reader.count();
      await delay(800);
      const after = stalled();
      expect(after?.sent).toBe(before?.sent); // nothing more was written to it
      expect(after?.skipped).toBeGreaterThan((before?.skipped ?? 0) + 20);
      // Queued for it in the bridge: at most about one frame (+ part header).
      const frame = app.bridge.latestLiveviewFrame()?.length ?? 0;
      expect(frame).toBeGreaterThan(10_000);
      expect(after?.maxBuffered).toBeLessThanOrEqual(2 * frame + 512);
      // The reading viewer was not held back (nominal 80 frames in 0.8 s).
      expect(reader.count() - readBefore).toBeGreaterThanOrEqual(10);
      // After the stall timeout the stalled viewer is dropped; the other stays.
      await expect.poll(() => http.stats.stalled, { timeout: STALL_TIMEOUT_MS + 3000 }).toBe(1);
      expect(http.stats.viewers).toBe(1);
      expect(http.stats.framesSkipped).toBeGreaterThan(20);
    } finally {
      reader.close();
      socket.destroy();
    }
    await expect.poll(() => http.stats.viewers, { timeout: 5000 }).toBe(0);
  });
});
