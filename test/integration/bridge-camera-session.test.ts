/**
 * CameraSession supervisor in-process against a server that is there but broken, and against the
 * simulator: a camera that keeps failing is retried with backoff (never a tight loop) and reported
 * offline once; a working one comes online with its description and API versions.
 */
import { createServer, type Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { pino } from "pino";
import { CameraSession } from "../../src/bridge/camera-session.js";
import { parseConfig } from "../../src/config/load.js";
import { type Simulator } from "../../src/sim/simulator.js";
import { startTestSim, waitFor } from "../helpers/sim.js";

const logger = pino({ level: "silent" });

function cameraConfig(url: string): ReturnType<typeof parseConfig>["camera"] {
  return parseConfig({ camera: { url, request_timeout_s: 2 } }).camera;
}

describe("CameraSession", () => {
  let server: Server | undefined;
  let sim: Simulator | undefined;
  let session: CameraSession | undefined;

  afterEach(async () => {
    await session?.stop();
    session = undefined;
    await sim?.close();
    sim = undefined;
    await new Promise<void>((resolve) => {
      if (server === undefined) resolve();
      else
        server.close(() => {
          resolve();
        });
    });
    server = undefined;
  });

  it("backs off while the camera keeps failing and reports offline once", async () => {
    let requests = 0;
    server = createServer((_req, res) => {
      requests++;
      res.writeHead(500).end();
    });
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    const availability: boolean[] = [];
    session = new CameraSession({
      config: cameraConfig(`http://127.0.0.1:${port}/dd.xml`),
      logger,
      random: () => 0.999, // the longest delay of each step: base 200 → 200, 400, 800, 1600 …
      backoffBaseMs: 200,
    });
    session.subscribe({ onAvailability: (online) => availability.push(online) });
    session.start(new AbortController().signal);
    await new Promise((r) => setTimeout(r, 2000));
    // 0 + 200 + 400 + 800 ms of waits fit in 2 s: about 4 attempts, never dozens.
    expect(requests).toBeGreaterThanOrEqual(2);
    expect(requests).toBeLessThanOrEqual(6);
    expect(availability).toEqual([false]);
    expect(session.online).toBe(false);
    expect(session.camera()).toBeNull();
  });

  it("comes online with the description, versions and the candidates merged into the state", async () => {
    sim = await startTestSim();
    const availability: boolean[] = [];
    session = new CameraSession({ config: cameraConfig(sim.urls.ddXml), logger });
    session.subscribe({ onAvailability: (online) => availability.push(online) });
    session.start(new AbortController().signal);
    await waitFor(() => session?.state.still_sizes != null, 10_000);
    expect(availability).toEqual([true]);
    expect(session.info?.description.friendlyName).toBe("DSC-QX10");
    expect(session.info?.apiVersions).toContain("1.0");
    expect(session.state.still_sizes).toContain("4:3 18M");
    // White balance is offered only in Program Auto on the QX10 (not the power-on mode).
    expect(session.state.white_balances).toBeNull();
    expect(session.camera()).not.toBeNull();
    await session.stop();
    expect(session.camera()).toBeNull();
  });
});
