/**
 * SnapshotManager with a recording MQTT double and an in-memory downloader (the real broker path
 * is covered by bridge-shoot.test.ts): each URL published once whichever way it arrives, the
 * caps (snapshot.max_bytes, the broker's maximum packet size) refuse with an `error` event, the save
 * directory never overwrites, attributes key order. Then once through the daemon against a broker
 * with a small max_packet_size.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { pino } from "pino";
import { BridgeError } from "../../src/errors.js";
import {
  postviewFileName,
  SnapshotManager,
  type PostviewDownloader,
} from "../../src/bridge/snapshot.js";
import { renderPostview } from "../../src/sim/pattern.js";
import { type Simulator } from "../../src/sim/simulator.js";
import { brokerKind, lacks, startBroker, type Broker } from "../helpers/broker.js";
import { MqttRecorder, startDaemon, testConfig, type Daemon } from "../helpers/daemon.js";
import { startTestSim } from "../helpers/sim.js";

const JPEG = renderPostview(1, { width: 64, height: 48 });
const URL_A = "http://127.0.0.1:60152/pict140318_1624510000.JPG?%211234%21http%2dget";
const URL_B = "http://127.0.0.1:60152/pict140318_1624510001.JPG";

interface Published {
  topic: string;
  payload: Buffer;
}

function fakeMqtt(maximumPacketSize?: number): {
  mqtt: {
    retained: (t: string, p: string | Uint8Array) => Promise<boolean>;
    maximumPacketSize: number | undefined;
  };
  published: Published[];
} {
  const published: Published[] = [];
  return {
    published,
    mqtt: {
      maximumPacketSize,
      retained: (topic, payload) => {
        published.push({ topic, payload: Buffer.from(payload) });
        return Promise.resolve(true);
      },
    },
  };
}

describe("SnapshotManager", () => {
  let dir: string;
  let events: Record<string, unknown>[];
  let downloads: string[];
  const downloader: PostviewDownloader = (url, o) => {
    downloads.push(url);
    if (JPEG.length > o.maxBytes) {
      return Promise.reject(
        new BridgeError("CAMERA_PROTOCOL", "too big", { context: { maxBytes: o.maxBytes } }),
      );
    }
    return Promise.resolve({ bytes: Buffer.from(JPEG), contentType: "image/jpeg" });
  };

  function manager(
    mqtt: ReturnType<typeof fakeMqtt>["mqtt"],
    config: { max_bytes: number; save_dir: string | null },
  ): SnapshotManager {
    return new SnapshotManager({
      mqtt,
      baseTopic: "qx10",
      config,
      logger: pino({ level: "silent" }),
      downloader: () => downloader,
      emitEvent: (e) => events.push(e),
      claimDelayMs: 50,
      now: () => new Date("2026-01-02T03:04:05.678Z"),
    });
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "qx10-snap-"));
    events = [];
    downloads = [];
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("publishes image then attributes (taken_at first), saves without overwriting", async () => {
    // A file of the same name already exists: it must survive.
    writeFileSync(join(dir, "pict140318_1624510000.JPG"), "old");
    const { mqtt, published } = fakeMqtt();
    const m = manager(mqtt, { max_bytes: 1_000_000, save_dir: dir });
    const [outcome] = await m.pictureTaken([URL_A], {
      download: true,
      signal: new AbortController().signal,
    });
    expect(published.map((p) => p.topic)).toEqual(["qx10/snapshot", "qx10/snapshot/attributes"]);
    expect(published[0]?.payload.equals(JPEG)).toBe(true);
    const attrs = JSON.parse(published[1]?.payload.toString() ?? "") as Record<string, unknown>;
    expect(attrs).toEqual({
      taken_at: "2026-01-02T03:04:05.678Z",
      url: URL_A,
      bytes: JPEG.length,
      width: 64,
      height: 48,
      filename: "pict140318_1624510000.JPG",
      saved_path: join(dir, "pict140318_1624510000-1.JPG"),
    });
    expect(Object.keys(attrs)[0]).toBe("taken_at");
    expect(outcome?.snapshot).toEqual(attrs);
    expect(readFileSync(join(dir, "pict140318_1624510000.JPG"), "utf8")).toBe("old");
    expect(readFileSync(join(dir, "pict140318_1624510000-1.JPG")).equals(JPEG)).toBe(true);
    expect(events).toMatchObject([{ type: "picture_taken", url: URL_A, source: "command" }]);
    await m.stop();
  });

  it("handles each URL once: the camera's report of the bridge's own shot is not republished", async () => {
    const { mqtt, published } = fakeMqtt();
    const m = manager(mqtt, { max_bytes: 1_000_000, save_dir: null });
    m.cameraReported([URL_A, URL_B]); // the camera reports both before the command claims A
    await m.pictureTaken([URL_A], { download: true, signal: new AbortController().signal });
    await new Promise((r) => setTimeout(r, 200));
    await m.stop();
    expect(downloads).toEqual([URL_A, URL_B]);
    expect(events.map((e) => [e["url"], e["source"]])).toEqual([
      [URL_A, "command"],
      [URL_B, "camera"],
    ]);
    expect(published.filter((p) => p.topic === "qx10/snapshot")).toHaveLength(2);
  });

  it("refuses a picture over snapshot.max_bytes with an error event and no snapshot", async () => {
    const { mqtt, published } = fakeMqtt();
    const m = manager(mqtt, { max_bytes: 100, save_dir: dir });
    const [outcome] = await m.pictureTaken([URL_A], {
      download: true,
      signal: new AbortController().signal,
    });
    expect(published).toEqual([]);
    expect(outcome?.snapshot).toBeNull();
    expect(events.map((e) => e["type"])).toEqual(["error", "picture_taken"]);
    expect(events[0]).toMatchObject({ source: "snapshot", code: "CAMERA_PROTOCOL", url: URL_A });
    expect(readdirSync(dir)).toEqual([]);
    await m.stop();
  });

  it("refuses a picture larger than the broker's maximum packet size", async () => {
    const { mqtt, published } = fakeMqtt(JPEG.length); // topic + header push it over
    const m = manager(mqtt, { max_bytes: 1_000_000, save_dir: null });
    await m.pictureTaken([URL_A], { download: true, signal: new AbortController().signal });
    expect(published).toEqual([]);
    expect(events[0]).toMatchObject({
      type: "error",
      source: "snapshot",
      code: "MQTT_UNAVAILABLE",
    });
    expect(events[1]).toMatchObject({ type: "picture_taken", snapshot: false });
    await m.stop();
  });

  it("download false: event only, and a later camera report does not download it", async () => {
    const { mqtt, published } = fakeMqtt();
    const m = manager(mqtt, { max_bytes: 1_000_000, save_dir: null });
    await m.pictureTaken([URL_A], { download: false, signal: new AbortController().signal });
    m.cameraReported([URL_A]);
    await new Promise((r) => setTimeout(r, 150));
    await m.stop();
    expect(downloads).toEqual([]);
    expect(published).toEqual([]);
    expect(events).toMatchObject([{ type: "picture_taken", url: URL_A, snapshot: false }]);
  });

  it("names files after the URL's last path segment", () => {
    expect(postviewFileName(URL_A)).toBe("pict140318_1624510000.JPG");
    expect(postviewFileName("http://h/postview/pict20140101_000001_0.JPG")).toBe(
      "pict20140101_000001_0.JPG",
    );
    expect(postviewFileName("http://h/../")).toBe("postview.jpg");
    expect(postviewFileName("not a url")).toBe("postview.jpg");
  });
});

describe.skipIf(!brokerKind)("snapshot through the daemon: broker maximum packet size", () => {
  let broker: Broker;
  let sim: Simulator;
  let daemon: Daemon | undefined;
  let rec: MqttRecorder | undefined;

  afterEach(async () => {
    await rec?.close();
    await daemon?.stop();
    await sim.close();
    await broker.stop();
  });

  it.skipIf(lacks("maxPacketSize", "MQTT 5 CONNACK maximum packet size"))(
    "refuses a postview larger than the broker's max_packet_size with an error event",
    async () => {
      [broker, sim] = await Promise.all([
        startBroker({ maxPacketSize: 16_384 }),
        startTestSim({ postviewSize: { width: 1632, height: 1224 } }),
      ]);
      const save = mkdtempSync(join(tmpdir(), "qx10-snap-"));
      try {
        daemon = await startDaemon({
          config: testConfig(broker.url, sim.urls.ddXml, { snapshot: { save_dir: save } }),
        });
        rec = await MqttRecorder.connect(broker.url, ["qx10/#"]);
        await rec.waitForJson("qx10/availability", (v) => v["state"] === "online", 20_000);
        const from = rec.messages.length;
        await rec.publish("qx10/cmd/shoot", "");
        const result = await rec.waitForJson("qx10/cmd/shoot/result", () => true, 15_000, from);
        // The shot itself worked; only the snapshot was refused.
        expect(result).toMatchObject({ status: "ok", data: { snapshot: null } });
        const error = await rec.waitForJson(
          "qx10/event",
          (v) => v["type"] === "error",
          10_000,
          from,
        );
        expect(error).toMatchObject({ source: "snapshot", code: "MQTT_UNAVAILABLE" });
        expect(String(error["error"])).toContain("16384");
        await rec.waitForJson("qx10/event", (v) => v["type"] === "picture_taken", 5000, from);
        expect(rec.messages.slice(from).some((m) => m.topic === "qx10/snapshot")).toBe(false);
        expect(readdirSync(save)).toEqual([]);
      } finally {
        rmSync(save, { recursive: true, force: true });
      }
    },
  );
});
