/**
 * The simulator driven by the project's real client over loopback: discovery (unicast SSDP),
 * the capability fixtures through CameraClient, takePicture with the 40403/awaitTakePicture
 * path, postview download, the EventPoller following a capture, error mapping of every fault,
 * and the liveview stream through LiveviewDecoder (with and without focus frames, and a replayed
 * real capture byte for byte).
 */
import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { CameraApi } from "../../src/camera/api.js";
import { CameraClient } from "../../src/camera/client.js";
import { discoverCameras, resolveCamera } from "../../src/camera/discover.js";
import { EventPoller } from "../../src/camera/event-loop.js";
import { type CameraService } from "../../src/camera/types.js";
import { isBridgeError, type BridgeError } from "../../src/errors.js";
import { LiveviewDecoder, type LiveviewEvent } from "../../src/liveview/codec.js";
import { splitRecordedStream } from "../../src/sim/liveview.js";
import { readSimComment } from "../../src/sim/pattern.js";
import { type Simulator, type SimulatorOptions } from "../../src/sim/simulator.js";
import { haveFixtures, readFixture, readFixtureJson } from "../helpers/fixtures.js";
import { startTestSim, waitFor } from "../helpers/sim.js";

let sim: Simulator | undefined;
let client: CameraClient | undefined;
afterEach(async () => {
  await client?.close();
  client = undefined;
  await sim?.close();
  sim = undefined;
});

async function start(
  options: SimulatorOptions = {},
): Promise<{ s: Simulator; api: CameraApi; c: CameraClient }> {
  sim = await startTestSim(options);
  client = new CameraClient({ endpoints: sim.urls.endpoints });
  return { s: sim, api: new CameraApi(client), c: client };
}

async function failure(p: Promise<unknown>): Promise<BridgeError> {
  try {
    await p;
  } catch (e) {
    if (isBridgeError(e)) return e;
    throw e;
  }
  throw new Error("expected a failure");
}

describe("discovery through the client", () => {
  it("finds the simulator by unicast SSDP and parses its dd.xml", async () => {
    sim = await startTestSim({ ssdp: true });
    const ssdp = sim.urls.ssdp;
    if (ssdp === undefined) throw new Error("no ssdp");
    const cameras = await discoverCameras({
      target: { address: ssdp.host, port: ssdp.port },
      timeoutMs: 400,
      sends: 1,
    });
    expect(cameras).toHaveLength(1);
    const [camera] = cameras;
    expect(camera?.friendlyName).toBe("DSC-QX10");
    expect(camera?.deviceType).toBe("urn:schemas-upnp-org:device:MediaServer:1");
    expect(camera?.udn).toBe("uuid:00000000-0005-0010-8000-1c994c0a1010");
    expect(camera?.location).toBe(sim.urls.ddXml);
    expect(camera?.endpoints).toEqual(sim.urls.endpoints);
    expect(camera?.liveviewUrl).toBe(sim.urls.liveview);
    expect(camera?.defaultFunction).toBe("RemoteShooting");
    const resolved = await resolveCamera({ cameraUrl: sim.urls.ddXml });
    expect(resolved.endpoints).toEqual(sim.urls.endpoints);
  });

  it("parses the Smart-Remote dd.xml (no liveview URL in it)", async () => {
    sim = await startTestSim({ model: "smart-remote" });
    const camera = await resolveCamera({ cameraUrl: sim.urls.ddXml });
    expect(camera.deviceType).toBe("urn:schemas-upnp-org:device:Basic:1");
    expect(camera.endpoints).toEqual(sim.urls.endpoints);
    expect(camera.liveviewUrl).toBeNull();
  });
});

interface CapabilityFixture {
  mode: string;
  calls: Record<string, unknown[]>;
  errors: Record<string, string>;
}

describe.skipIf(!haveFixtures)("capability fixtures through CameraClient", () => {
  it.each([
    ["DSC-QX10-still-intelligent-auto.json", null],
    ["DSC-QX10-still-superior-auto.json", "Superior Auto"],
    ["DSC-QX10-still-program-auto.json", "Program Auto"],
    ["DSC-QX10-still-intelligent-auto-authenticated.json", null],
    ["DSC-QX10-movie.json", "movie"],
    ["DSC-QX10-supported.json", null],
  ])("%s", async (file, mode) => {
    const { api, c } = await start();
    const fixture = readFixtureJson(`capabilities/${file}`) as CapabilityFixture;
    if (mode === "movie") await api.setShootMode("movie");
    else if (mode !== null) await api.setExposureMode(mode);
    await waitFor(async () =>
      mode === null
        ? true
        : mode === "movie"
          ? (await api.getShootMode()) === "movie"
          : (await api.getExposureMode()) === mode,
    );
    for (const [method, error] of Object.entries(fixture.errors)) {
      expect(error).toBe("HTTP Error 403: Forbidden");
      const e = await failure(c.call("camera", method));
      expect({ method, code: e.code, cameraCode: e.cameraCode }).toEqual({
        method,
        code: "CAMERA_HTTP",
        cameraCode: 403,
      });
    }
    if (fixture.mode.includes("authenticated") || mode === "movie") await api.actEnableMethods();
    for (const [method, expected] of Object.entries(fixture.calls)) {
      expect({ method, result: await c.call("camera", method) }).toEqual({
        method,
        result: expected,
      });
    }
  });
});

describe("capture through CameraApi", () => {
  it("takePicture survives 40403 via awaitTakePicture and the postview downloads", async () => {
    const { api, c } = await start({ timings: { captureMs: 300, takePictureTimeoutMs: 100 } });
    const [url, ...more] = await api.takePicture({ retryDelayMs: 10 });
    expect(more).toEqual([]);
    expect(url).toMatch(/\/pict\d{6}_\d{10}\.JPG\?%211234%21/);
    const download = await c.download(url ?? "");
    expect(download.contentType).toBe("image/jpeg");
    expect(readSimComment(download.bytes)).toEqual({ kind: "postview", n: 0 });
    const [storage] = await api.getStorageInformation();
    expect(storage?.numberOfRecordableImages).toBe(999);
  });

  it("the EventPoller follows cameraStatus through a capture and reports the picture", async () => {
    const { api, c } = await start({ timings: { captureMs: 150, saveMs: 100 } });
    const statuses: (string | null)[] = [];
    const pictures: string[] = [];
    const poller = new EventPoller({
      rpc: c,
      onStatus: (_from, to) => statuses.push(to),
      onPictures: (urls) => pictures.push(...urls),
    });
    const controller = new AbortController();
    const run = poller.run(controller.signal);
    await waitFor(() => poller.state.camera_status === "IDLE");
    expect(poller.version).toBe("1.1");
    const [url] = await api.takePicture();
    await waitFor(() => pictures.length > 0 && poller.state.camera_status === "IDLE");
    controller.abort();
    await run;
    expect(statuses).toEqual(["IDLE", "StillCapturing", "StillSaving", "IDLE"]);
    expect(pictures).toEqual([url]);
    expect(poller.state.last_picture_url).toBe(url);
  });

  it("movie, zoom, half-press and touch AF through the wrappers", async () => {
    const { api, c } = await start();
    await api.actZoom("in", "1shot");
    await waitFor(async () => {
      const event = await api.getEvent(false);
      return (event[2] as { zoomPosition: number }).zoomPosition === 10;
    });
    const zoomStop = await failure(
      (async () => {
        await api.actZoom("in", "start");
        await api.actZoom("out", "stop");
      })(),
    );
    expect([zoomStop.code, zoomStop.cameraCode]).toEqual(["CAMERA_RPC", 3]);
    await api.actZoom("in", "stop");
    await api.actHalfPressShutter();
    await api.cancelHalfPressShutter();
    expect(await api.setTouchAFPosition(50, 50)).toEqual({ afResult: true, afType: "Touch" });
    await api.setShootMode("movie");
    await waitFor(async () => (await api.getShootMode()) === "movie");
    await api.startMovieRec();
    await waitFor(
      async () =>
        ((await c.call("camera", "getEvent", [false]))[1] as { cameraStatus: string })
          .cameraStatus === "MovieRecording",
    );
    await api.stopMovieRec();
  });
});

describe("faults as the client sees them", () => {
  const service: CameraService = "camera";
  it.each([
    ["method=getShootMode:error=40400", "CAMERA_RPC", 40400],
    ["http500", "CAMERA_HTTP", 500],
    ["malformed-json", "CAMERA_PROTOCOL", undefined],
    ["drop", "CAMERA_UNREACHABLE", undefined],
  ])("%s → %s", async (spec, code, cameraCode) => {
    const { s, c } = await start();
    s.faults.set(spec);
    const e = await failure(c.call(service, "getShootMode"));
    expect([e.code, e.cameraCode]).toEqual([code, cameraCode]);
  });

  it("hang → CAMERA_TIMEOUT; slow still answers", async () => {
    const { s, c } = await start();
    s.faults.set("hang:once");
    const e = await failure(c.call(service, "getShootMode", [], "1.0", { timeoutMs: 200 }));
    expect(e.code).toBe("CAMERA_TIMEOUT");
    s.faults.set("slow=100:once");
    expect(await c.call(service, "getShootMode")).toEqual(["still"]);
  });

  it("private method → CAMERA_HTTP 403, unknown → CAMERA_RPC 12, wrong version → 14", async () => {
    const { c } = await start();
    expect((await failure(c.call(service, "getCameraFunction"))).cameraCode).toBe(403);
    expect((await failure(c.call(service, "setFlashMode", ["on"]))).cameraCode).toBe(12);
    expect((await failure(c.call(service, "getEvent", [false], "1.3"))).cameraCode).toBe(14);
  });

  it("power off → CAMERA_UNREACHABLE; power on → answers again", async () => {
    const { s, c } = await start();
    await s.powerOff();
    expect((await failure(c.call(service, "getShootMode"))).code).toBe("CAMERA_UNREACHABLE");
    await s.powerOn();
    expect(await c.call(service, "getShootMode")).toEqual(["still"]);
  });
});

/** Reads the liveview until `enough` says stop; returns the decoder's events. */
async function readLiveview(
  url: string,
  enough: (events: LiveviewEvent[]) => boolean,
): Promise<{ events: LiveviewEvent[]; bytes: Buffer }> {
  const res = await request(url);
  expect(res.statusCode).toBe(200);
  const decoder = new LiveviewDecoder();
  const events: LiveviewEvent[] = [];
  const chunks: Buffer[] = [];
  for await (const chunk of res.body) {
    chunks.push(chunk as Buffer);
    events.push(...decoder.push(chunk as Buffer));
    if (enough(events)) break;
  }
  return { events, bytes: Buffer.concat(chunks) };
}

describe("liveview through LiveviewDecoder", () => {
  it("decodes consecutive pattern frames without focus frames", async () => {
    const { s, api } = await start({ liveview: { fps: 60, width: 160, height: 120 } });
    const url = await api.startLiveview();
    const { events } = await readLiveview(
      url,
      (ev) => ev.filter((e) => e.type === "jpeg").length >= 5,
    );
    const jpegs = events.filter((e) => e.type === "jpeg");
    expect(events.filter((e) => e.type !== "jpeg")).toEqual([]);
    expect(jpegs.map((e) => e.sequence)).toEqual([0, 1, 2, 3, 4]);
    const frames = jpegs.map((e) => readSimComment(e.data.subarray(0, e.jpegEnd))?.n ?? -1);
    expect(frames[0]).toBe(0);
    expect(frames.every((n, i) => i === 0 || n > (frames[i - 1] ?? 0))).toBe(true);
    await api.stopLiveview();
    expect(s.liveview.stats.readerConnected).toBe(false);
  });

  it("decodes focus-frame packets when enabled", async () => {
    const { api } = await start({
      liveview: { fps: 60, width: 160, height: 120, focusFrames: true },
    });
    const url = await api.startLiveview();
    const { events } = await readLiveview(
      url,
      (ev) => ev.filter((e) => e.type === "frame_info").length >= 3,
    );
    const info = events.filter((e) => e.type === "frame_info");
    expect(info.length).toBeGreaterThanOrEqual(3);
    for (const e of info) {
      expect(e.version).toEqual({ major: 1, minor: 0 });
      expect(e.frames.length).toBeGreaterThanOrEqual(1);
      for (const f of e.frames) expect(f.bottomRight.x).toBeLessThanOrEqual(10000);
    }
    expect(events.some((e) => e.type === "discarded")).toBe(false);
  });

  it.skipIf(!haveFixtures)("replays the real QX100 capture byte for byte", async () => {
    const recording = readFixture("liveview/QX100-liveview-640x480.bin");
    const packets = splitRecordedStream(recording);
    const { api } = await start({
      liveview: { replay: recording, replayLoop: false, replayPacing: "fps", fps: 1000 },
    });
    const url = await api.startLiveview();
    const res = await request(url);
    const body = Buffer.from(await res.body.arrayBuffer());
    expect(packets).toHaveLength(138);
    expect(body.equals(Buffer.concat(packets))).toBe(true);
    expect(body.equals(recording.subarray(0, body.length))).toBe(true);
    const decoder = new LiveviewDecoder();
    const jpegs = decoder.push(body).filter((e) => e.type === "jpeg");
    expect(jpegs).toHaveLength(138);
  });
});
