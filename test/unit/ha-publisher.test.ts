/**
 * HaDiscoveryPublisher (src/ha/publisher.ts) with a recording publish function and a manual,
 * abortable sleep: what changed is published, the stale scan runs before the first publish, the
 * birth republish waits a seeded random delay then calls onBirth, stop() cancels it.
 */
import { describe, expect, it } from "vitest";
import { initialCameraState, type CameraState } from "../../src/camera/events.js";
import { buildDiscovery, discoveryIds } from "../../src/ha/discovery.js";
import { HaDiscoveryPublisher, type HaUpdateInput } from "../../src/ha/publisher.js";

const UDN = "uuid:00000000-0005-0010-8000-1c994c8a1f9b";
const NODE = discoveryIds(UDN, "qx10").nodeId;

const STATE: CameraState = {
  ...initialCameraState(),
  shoot_mode: "still",
  shoot_modes: ["still", "movie"],
  self_timers: [0, 2, 10],
  available_apis: ["actTakePicture", "actZoom", "startLiveview", "setShootMode", "setSelfTimer"],
};

function input(state: CameraState = STATE): HaUpdateInput {
  return {
    baseTopic: "qx10",
    bridgeVersion: "0.1.0",
    camera: { udn: UDN, model: "DSC-QX10" },
    state,
  };
}

/** A sleep the test releases by hand; rejects on abort like src/util/abort.ts sleep. */
class ManualSleep {
  readonly pending: { ms: number; resolve: () => void }[] = [];
  readonly sleep = (ms: number, signal: AbortSignal): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      if (signal.aborted) {
        reject(new Error("aborted"));
        return;
      }
      const entry = { ms, resolve };
      this.pending.push(entry);
      signal.addEventListener(
        "abort",
        () => {
          const i = this.pending.indexOf(entry);
          if (i >= 0) this.pending.splice(i, 1);
          reject(new Error("aborted"));
        },
        { once: true },
      );
    });
  release(): number {
    const first = this.pending.shift();
    if (first === undefined) throw new Error("nothing sleeping");
    first.resolve();
    return first.ms;
  }
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

function setup(options: { mode?: "device" | "component"; scan?: number } = {}) {
  const published: { topic: string; payload: string; retain: boolean; qos: number }[] = [];
  const subscribed: string[] = [];
  const unsubscribed: string[] = [];
  const births: number[] = [];
  const sleeper = new ManualSleep();
  const pub = new HaDiscoveryPublisher({
    publish: (topic, payload, o) => {
      published.push({ topic, payload, ...o });
      return Promise.resolve(true);
    },
    subscribe: (f) => {
      subscribed.push(f);
      return Promise.resolve();
    },
    unsubscribe: (f) => {
      unsubscribed.push(f);
      return Promise.resolve();
    },
    config: {
      prefix: "homeassistant",
      status_topic: "homeassistant/status",
      discovery_mode: options.mode ?? "device",
    },
    onBirth: () => {
      births.push(published.length);
    },
    random: () => 0.5,
    sleep: sleeper.sleep,
    scanWindowMs: options.scan ?? 0,
  });
  return { pub, published, subscribed, unsubscribed, births, sleeper };
}

describe("HaDiscoveryPublisher", () => {
  it("start subscribes the status topic", async () => {
    const { pub, subscribed } = setup();
    await pub.start();
    expect(subscribed).toEqual(["homeassistant/status"]);
    await pub.stop();
  });

  it("update publishes retained QoS 1 configs, and only what changed", async () => {
    const { pub, published } = setup();
    await pub.update(input());
    const first = buildDiscovery({ ...input(), mode: "device" });
    expect(published).toEqual(
      first.map((m) => ({ topic: m.topic, payload: m.payload, retain: true, qos: 1 })),
    );
    await pub.update(input({ ...STATE }));
    expect(published).toHaveLength(1);
    await pub.update(input({ ...STATE, self_timers: [0, 10] }));
    expect(published).toHaveLength(2);
    expect(published[1]?.payload).toContain('"ops":["0","10"]');
    await pub.stop();
  });

  it("the battery sensor stays once the camera reported a battery", async () => {
    const { pub, published } = setup({ mode: "component" });
    await pub.update(input({ ...STATE, battery: 80 }));
    const batteryTopic = `homeassistant/sensor/${NODE}/battery/config`;
    expect(published.some((m) => m.topic === batteryTopic && m.payload !== "")).toBe(true);
    const n = published.length;
    await pub.update(input({ ...STATE, battery: null }));
    expect(published.slice(n).some((m) => m.topic === batteryTopic)).toBe(false);
    await pub.stop();
  });

  it("component mode: an entity no longer offered is cleared", async () => {
    const { pub, published } = setup({ mode: "component" });
    await pub.update(input());
    const n = published.length;
    // The camera positively lacks the setter now (API list known): removed.
    const apis = (STATE.available_apis ?? []).filter((a) => a !== "setSelfTimer");
    await pub.update(input({ ...STATE, available_apis: apis }));
    expect(published.slice(n)).toEqual([
      {
        topic: `homeassistant/select/${NODE}/self_timer/config`,
        payload: "",
        retain: true,
        qos: 1,
      },
    ]);
    await pub.stop();
  });

  it("unknown facts keep an entity as it was (camera reconnect, list invalid for a moment)", async () => {
    const { pub, published } = setup({ mode: "component" });
    await pub.update(input());
    const n = published.length;
    // A reconnect starts from an empty state: no candidates, no API list, no storage.
    await pub.update(input({ ...initialCameraState() }));
    expect(published.slice(n)).toEqual([]);
    // Candidates back, changed: republished with the new options.
    await pub.update(input({ ...STATE, shoot_modes: ["still"] }));
    // …and without "movie" among the modes (and no startMovieRec) the movie switch goes.
    expect(published.slice(n).map((m) => [m.topic, m.payload === ""])).toEqual([
      [`homeassistant/select/${NODE}/shoot_mode/config`, false],
      [`homeassistant/switch/${NODE}/movie/config`, true],
    ]);
    await pub.stop();
  });

  it("birth: republishes after the jittered delay, then calls onBirth", async () => {
    const { pub, published, births, sleeper } = setup();
    await pub.update(input());
    expect(pub.handleMessage("homeassistant/status", "online")).toBe(true);
    await tick();
    expect(sleeper.pending.map((p) => p.ms)).toEqual([3000]); // 1000 + 0.5 × 4000
    expect(published).toHaveLength(1);
    sleeper.release();
    await tick();
    await tick();
    expect(published).toHaveLength(2);
    expect(published[1]).toEqual(published[0]);
    expect(births).toEqual([2]);
    await pub.stop();
  });

  it("birth: offline cancels a pending republish; stop() cancels too", async () => {
    const { pub, published, births, sleeper } = setup();
    await pub.update(input());
    pub.onStatusMessage("online");
    pub.onStatusMessage("offline");
    await tick();
    expect(sleeper.pending).toHaveLength(0);
    pub.onStatusMessage("online");
    expect(sleeper.pending).toHaveLength(1);
    await pub.stop();
    expect(sleeper.pending).toHaveLength(0);
    expect(published).toHaveLength(1);
    expect(births).toEqual([]);
    pub.onStatusMessage("online");
    expect(sleeper.pending).toHaveLength(0);
  });

  it("republishAll sends every current config again", async () => {
    const { pub, published } = setup({ mode: "component" });
    await pub.update(input());
    const n = published.length;
    await pub.republishAll();
    expect(published.slice(n)).toEqual(published.slice(0, n));
    await pub.stop();
  });

  it("first update scans for this node's retained configs, clears stale ones, then publishes", async () => {
    const { pub, published, subscribed, unsubscribed, sleeper } = setup({ scan: 1500 });
    const done = pub.update(input());
    await tick();
    expect(subscribed).toEqual([
      `homeassistant/device/${NODE}/config`,
      `homeassistant/+/${NODE}/+/config`,
    ]);
    // Retained leftovers: an old component-mode entity of this node, one of another node.
    const stale = `homeassistant/sensor/${NODE}/battery/config`;
    expect(pub.handleMessage(stale, '{"uniq_id":"x"}')).toBe(true);
    expect(pub.handleMessage("homeassistant/sensor/other_node/battery/config", "{}")).toBe(false);
    expect(sleeper.release()).toBe(1500);
    await tick();
    await tick();
    expect(unsubscribed).toEqual(subscribed);
    expect(published).toEqual([{ topic: stale, payload: "", retain: true, qos: 1 }]);
    // Z2M's pause before re-creating entities with the same ids.
    expect(sleeper.release()).toBe(2000);
    await done;
    expect(published.slice(1).map((m) => m.topic)).toEqual([`homeassistant/device/${NODE}/config`]);
    await pub.stop();
  });

  it("updates during the scan are coalesced: one publish of the latest state", async () => {
    const { pub, published, sleeper } = setup({ scan: 1500 });
    const first = pub.update(input({ ...STATE, shoot_modes: null }));
    const second = pub.update(input({ ...STATE, self_timers: [0, 2] }));
    await tick();
    sleeper.release();
    await Promise.all([first, second]);
    expect(published).toHaveLength(1);
    expect(published[0]?.payload).toBe(
      buildDiscovery({ ...input({ ...STATE, self_timers: [0, 2] }), mode: "device" })[0]?.payload,
    );
    await pub.stop();
  });

  it("a retained device config of an earlier run is the baseline: gone components removed the device way", async () => {
    const { pub, published, sleeper } = setup({ scan: 1500 });
    const old = buildDiscovery({ ...input({ ...STATE, battery: 50 }), mode: "device" })[0];
    if (old === undefined) throw new Error("no config");
    const done = pub.update(input());
    await tick();
    pub.handleMessage(old.topic, old.payload);
    sleeper.release();
    await done;
    expect(published).toHaveLength(2);
    const reduced = JSON.parse(published[0]?.payload ?? "{}") as { cmps: Record<string, unknown> };
    expect(reduced.cmps["battery"]).toEqual({ p: "sensor" });
    expect(published[1]?.payload).toBe(buildDiscovery({ ...input(), mode: "device" })[0]?.payload);
    await pub.stop();
  });

  it("an unchanged retained config from an earlier run is not republished", async () => {
    const { pub, published, sleeper } = setup({ scan: 1500 });
    const same = buildDiscovery({ ...input(), mode: "device" })[0];
    if (same === undefined) throw new Error("no config");
    const done = pub.update(input());
    await tick();
    pub.handleMessage(same.topic, same.payload);
    sleeper.release();
    await done;
    expect(published).toEqual([]);
    await pub.stop();
  });

  it("cleanupStale clears only this node's configs the current set lacks", async () => {
    const { pub, published } = setup({ mode: "component" });
    await pub.update(input());
    const n = published.length;
    const keep = `homeassistant/button/${NODE}/shoot/config`;
    const stale = `homeassistant/switch/${NODE}/old_thing/config`;
    const cleared = await pub.cleanupStale([
      keep,
      stale,
      "homeassistant/switch/other/x/config",
      "elsewhere/x",
    ]);
    expect(cleared).toEqual([stale]);
    expect(published.slice(n)).toEqual([{ topic: stale, payload: "", retain: true, qos: 1 }]);
    await pub.stop();
  });

  it("stop is idempotent", async () => {
    const { pub } = setup();
    await pub.stop();
    await pub.stop();
  });
});
