import { afterEach, describe, expect, it } from "vitest";
import {
  EventPoller,
  type EventPollerOptions,
  type PollRetryInfo,
} from "../../src/camera/event-loop.js";
import { initialCameraState, type CameraState } from "../../src/camera/events.js";
import { BridgeError } from "../../src/errors.js";
import { abortError } from "../../src/util/abort.js";
import { ScriptedRpc, deferred, rpcError } from "../helpers/scripted-rpc.js";

/** An all-unchanged reply (camera-api.md §4.3). */
function emptyReply(length = 36): unknown[] {
  const r: unknown[] = new Array<unknown>(length).fill(null);
  r[5] = [];
  r[6] = [];
  r[10] = [];
  return r;
}

/** A reply carrying the given objects (each placed by its own index; position does not matter). */
function reply(...objects: unknown[]): unknown[] {
  const r = emptyReply();
  objects.forEach((o, i) => (r[11 + i] = o));
  return r;
}

const status = (s: string) => ({ type: "cameraStatus", cameraStatus: s });
const shootMode = (m: string) => ({
  type: "shootMode",
  currentShootMode: m,
  shootModeCandidates: ["still", "movie"],
});
const pictures = (...urls: string[]) => [{ type: "takePicture", takePictureUrl: urls }];

const SNAPSHOT = (() => {
  const r = emptyReply();
  r[1] = status("IDLE");
  r[5] = pictures("http://c/old.JPG");
  r[21] = shootMode("still");
  return r;
})();

const timeout = () => new BridgeError("CAMERA_TIMEOUT", "no answer");
const unreachable = () => new BridgeError("CAMERA_UNREACHABLE", "ECONNREFUSED");
const protocol = () => new BridgeError("CAMERA_PROTOCOL", "bad JSON");

interface Harness {
  rpc: ScriptedRpc;
  poller: EventPoller;
  controller: AbortController;
  states: { state: CameraState; changed: readonly string[] }[];
  statuses: [string | null, string | null][];
  pictureBatches: (readonly string[])[];
  errors: { err: BridgeError; info: PollRetryInfo }[];
  delays: number[];
}

const controllers: AbortController[] = [];
afterEach(() => {
  for (const c of controllers.splice(0)) c.abort();
});

/**
 * A poller over a scripted camera. The injected sleep records each delay and returns at once
 * (rejecting when aborted), so backoff is observable without waiting.
 */
function harness(
  rpc: ScriptedRpc,
  options: Partial<EventPollerOptions> = {},
  sleep?: EventPollerOptions["sleep"],
): Harness {
  const controller = new AbortController();
  controllers.push(controller);
  const states: Harness["states"] = [];
  const statuses: Harness["statuses"] = [];
  const pictureBatches: Harness["pictureBatches"] = [];
  const errors: Harness["errors"] = [];
  const delays: number[] = [];
  const poller = new EventPoller({
    rpc,
    random: () => 0.9,
    sleep:
      sleep ??
      (async (ms, signal) => {
        delays.push(ms);
        await Promise.resolve();
        if (signal.aborted) throw abortError(signal);
      }),
    onState: (state, changed) => states.push({ state, changed }),
    onStatus: (from, to) => statuses.push([from, to]),
    onPictures: (urls) => pictureBatches.push(urls),
    onError: (err, info) => errors.push({ err, info }),
    ...options,
  });
  const h: Harness = { rpc, poller, controller, states, statuses, pictureBatches, errors, delays };
  return h;
}

const versions = (...v: string[]) => [v];

describe("EventPoller", () => {
  it("chooses the version, takes a snapshot, then long-polls back to back", async () => {
    const rpc = new ScriptedRpc()
      .on("getVersions", versions("1.0", "1.1"))
      .on("getEvent(false)", SNAPSHOT)
      .on(
        "getEvent(true)",
        reply(status("StillCapturing")),
        (() => {
          const r = reply(status("IDLE"));
          r[5] = pictures("http://c/1.JPG", "http://c/2.JPG");
          return r;
        })(),
        emptyReply(),
      );
    const h = harness(rpc);
    const done = h.poller.run(h.controller.signal);
    await rpc.waitForCalls(6); // the 4th long poll hangs
    expect(rpc.calls.map((c) => [c.service, c.method, c.params, c.version])).toEqual([
      ["camera", "getVersions", [], "1.0"],
      ["camera", "getEvent", [false], "1.1"],
      ["camera", "getEvent", [true], "1.1"],
      ["camera", "getEvent", [true], "1.1"],
      ["camera", "getEvent", [true], "1.1"],
      ["camera", "getEvent", [true], "1.1"],
    ]);
    for (const c of rpc.calls) {
      expect(c.options).toEqual({ signal: h.controller.signal }); // client default timeouts
    }
    expect(h.poller.version).toBe("1.1");
    expect(h.states.map((s) => s.changed)).toEqual([
      ["camera_status", "shoot_mode", "shoot_modes", "last_picture_url"],
      ["camera_status"],
      ["camera_status", "last_picture_url"],
    ]);
    expect(h.states.at(-1)?.state).toEqual({
      ...initialCameraState(),
      camera_status: "IDLE",
      shoot_mode: "still",
      shoot_modes: ["still", "movie"],
      last_picture_url: "http://c/2.JPG",
    });
    expect(h.poller.state).toBe(h.states.at(-1)?.state);
    expect(h.statuses).toEqual([
      [null, "IDLE"],
      ["IDLE", "StillCapturing"],
      ["StillCapturing", "IDLE"],
    ]);
    // The snapshot's old picture sets last_picture_url but is not reported as new.
    expect(h.pictureBatches).toEqual([["http://c/1.JPG", "http://c/2.JPG"]]);
    expect(h.delays).toEqual([]);
    expect(h.errors).toEqual([]);
    expect(rpc.maxLongPollsInFlight).toBe(1);
    h.controller.abort();
    await expect(done).resolves.toBeUndefined();
    expect(h.poller.running).toBe(false);
  });

  it.each([
    ["a v1.4 camera", versions("1.0", "1.1", "1.2", "1.3", "1.4"), "1.3"],
    ["getVersions error 12", rpcError(12), "1.0"],
    [
      "getVersions HTTP 404 (RX100M2)",
      new BridgeError("CAMERA_HTTP", "nf", { cameraCode: 404 }),
      "1.0",
    ],
    ["a malformed getVersions reply", [42], "1.0"],
  ])("chooses the getEvent version for %s", async (_name, answer, expected) => {
    const rpc = new ScriptedRpc().on("getVersions", answer).on("getEvent(false)", SNAPSHOT);
    const h = harness(rpc);
    const done = h.poller.run(h.controller.signal);
    await rpc.waitForCalls(3);
    expect(rpc.calls.slice(1).map((c) => c.version)).toEqual([expected, expected]);
    h.controller.abort();
    await done;
  });

  it("uses a forced version without asking getVersions, and a given long-poll timeout", async () => {
    const rpc = new ScriptedRpc().on("getEvent(false)", SNAPSHOT);
    const h = harness(rpc, { version: "1.2", longPollTimeoutMs: 40_000 });
    const done = h.poller.run(h.controller.signal);
    await rpc.waitForCalls(2);
    expect(rpc.calls.map((c) => [c.method, c.version, c.options?.timeoutMs])).toEqual([
      ["getEvent", "1.2", undefined],
      ["getEvent", "1.2", 40_000],
    ]);
    h.controller.abort();
    await done;
  });

  it("re-polls at once after error 2 and after a nothing-changed reply", async () => {
    const rpc = new ScriptedRpc()
      .on("getEvent(false)", SNAPSHOT)
      .on("getEvent(true)", rpcError(2), emptyReply(), rpcError(2), emptyReply(35));
    const h = harness(rpc, { version: "1.1" });
    const done = h.poller.run(h.controller.signal);
    await rpc.waitForCalls(6);
    expect(rpc.count("getEvent(true)")).toBe(5);
    expect(h.delays).toEqual([]);
    expect(h.errors).toEqual([]);
    expect(h.states).toHaveLength(1); // only the snapshot
    h.controller.abort();
    await done;
  });

  it("waits with growing backoff after 40402 and starts over after a reply", async () => {
    const busy = () => rpcError(40402);
    const rpc = new ScriptedRpc()
      .on("getEvent(false)", SNAPSHOT)
      .on("getEvent(true)", busy(), busy(), emptyReply(), busy());
    const h = harness(rpc, { version: "1.1" });
    const done = h.poller.run(h.controller.signal);
    await rpc.waitForCalls(6);
    // random 0.9: attempt 1 → max(1000, 0.9·1000), attempt 2 → 0.9·2000; reset after the reply.
    expect(h.delays).toEqual([1000, 1800, 1000]);
    expect(h.errors.map((e) => [e.err.cameraCode, e.info])).toEqual([
      [40402, { attempt: 1, willRetryInMs: 1000 }],
      [40402, { attempt: 2, willRetryInMs: 1800 }],
      [40402, { attempt: 1, willRetryInMs: 1000 }],
    ]);
    expect(rpc.maxLongPollsInFlight).toBe(1);
    h.controller.abort();
    await done;
  });

  it("backs off on error 1 (Not Available Now), in the snapshot and in long polls", async () => {
    const rpc = new ScriptedRpc()
      .on("getEvent(false)", rpcError(1), SNAPSHOT)
      .on("getEvent(true)", rpcError(1), rpcError(1), rpcError(1));
    const h = harness(rpc, { version: "1.1" });
    const done = h.poller.run(h.controller.signal);
    await rpc.waitForCalls(6);
    expect(h.delays).toEqual([500, 500, 900, 1800]);
    expect(h.errors.map((e) => e.info.attempt)).toEqual([1, 1, 2, 3]);
    h.controller.abort();
    await done;
  });

  it("steps the version down on 14 and 12, and gives up below 1.0", async () => {
    const rpc = new ScriptedRpc()
      .on("getVersions", versions("1.0", "1.1", "1.2"))
      .on("getEvent(false)", rpcError(14), SNAPSHOT)
      .on("getEvent(true)", rpcError(12), emptyReply(), rpcError(14));
    const h = harness(rpc);
    const done = h.poller.run(h.controller.signal);
    await expect(done).rejects.toMatchObject({ code: "CAMERA_RPC", cameraCode: 14 });
    expect(rpc.calls.map((c) => [c.method, c.params[0], c.version])).toEqual([
      ["getVersions", undefined, "1.0"],
      ["getEvent", false, "1.2"],
      ["getEvent", false, "1.1"],
      ["getEvent", true, "1.1"],
      ["getEvent", true, "1.0"],
      ["getEvent", true, "1.0"],
    ]);
    expect(h.errors.map((e) => [e.err.cameraCode, e.info.willRetryInMs])).toEqual([
      [14, 0],
      [12, 0],
    ]);
    expect(h.delays).toEqual([]);
  });

  it("rejects with CAMERA_UNREACHABLE at once, without reporting it as recovered", async () => {
    const rpc = new ScriptedRpc()
      .on("getEvent(false)", SNAPSHOT)
      .on("getEvent(true)", emptyReply(), unreachable());
    const h = harness(rpc, { version: "1.0" });
    await expect(h.poller.run(h.controller.signal)).rejects.toMatchObject({
      code: "CAMERA_UNREACHABLE",
    });
    expect(h.errors).toEqual([]);
    expect(h.poller.running).toBe(false);
  });

  it.each(["CAMERA_NOT_FOUND", "COMMAND_INVALID"] as const)(
    "rejects at once on the permanent %s",
    async (code) => {
      const rpc = new ScriptedRpc().on("getEvent(false)", new BridgeError(code, "x"));
      const h = harness(rpc, { version: "1.0" });
      await expect(h.poller.run(h.controller.signal)).rejects.toMatchObject({ code });
      expect(rpc.calls).toHaveLength(1);
      expect(h.errors).toEqual([]);
    },
  );

  it("also rejects when the snapshot finds the camera unreachable", async () => {
    const rpc = new ScriptedRpc().on("getVersions", unreachable());
    const h = harness(rpc);
    await expect(h.poller.run(h.controller.signal)).rejects.toMatchObject({
      code: "CAMERA_UNREACHABLE",
    });
  });

  it("re-polls after client timeouts and rejects after 3 in a row", async () => {
    const rpc = new ScriptedRpc().on("getEvent(false)", SNAPSHOT).on(
      "getEvent(true)",
      timeout(),
      timeout(),
      emptyReply(),
      timeout(),
      rpcError(2), // the camera answered: the timeout streak ends
      timeout(),
      timeout(),
      timeout(),
    );
    const h = harness(rpc, { version: "1.0" });
    await expect(h.poller.run(h.controller.signal)).rejects.toMatchObject({
      code: "CAMERA_TIMEOUT",
    });
    expect(rpc.count("getEvent(true)")).toBe(8);
    expect(h.errors.map((e) => [e.err.code, e.info.attempt, e.info.willRetryInMs])).toEqual([
      ["CAMERA_TIMEOUT", 1, 0],
      ["CAMERA_TIMEOUT", 2, 0],
      ["CAMERA_TIMEOUT", 1, 0],
      ["CAMERA_TIMEOUT", 1, 0],
      ["CAMERA_TIMEOUT", 2, 0],
    ]);
    expect(h.delays).toEqual([]);
  });

  it("backs off on other failures and rejects after 5 in a row", async () => {
    const rpc = new ScriptedRpc()
      .on("getEvent(false)", SNAPSHOT)
      .on(
        "getEvent(true)",
        protocol(),
        rpcError(40401),
        emptyReply(),
        protocol(),
        protocol(),
        protocol(),
        protocol(),
        protocol(),
      );
    const h = harness(rpc, { version: "1.0" });
    await expect(h.poller.run(h.controller.signal)).rejects.toMatchObject({
      code: "CAMERA_PROTOCOL",
    });
    expect(h.delays).toEqual([450, 900, 450, 900, 1800, 3600]);
  });

  it("resolves promptly when aborted during a pending long poll", async () => {
    const rpc = new ScriptedRpc().on("getEvent(false)", SNAPSHOT);
    const h = harness(rpc, { version: "1.0" });
    const done = h.poller.run(h.controller.signal);
    await rpc.waitForCalls(2);
    expect(rpc.longPollsInFlight).toBe(1);
    h.controller.abort(new BridgeError("ABORTED", "shutdown"));
    await expect(done).resolves.toBeUndefined();
    expect(rpc.longPollsInFlight).toBe(0);
  });

  it("resolves promptly when aborted during a backoff wait", async () => {
    const rpc = new ScriptedRpc()
      .on("getEvent(false)", SNAPSHOT)
      .on("getEvent(true)", rpcError(40402));
    const waits: number[] = [];
    const sleeping = deferred<undefined>();
    const h = harness(rpc, { version: "1.0" }, (ms, signal) => {
      waits.push(ms);
      sleeping.resolve(undefined);
      return new Promise<void>((_resolve, reject) => {
        signal.addEventListener(
          "abort",
          () => {
            reject(abortError(signal));
          },
          { once: true },
        );
      });
    });
    const done = h.poller.run(h.controller.signal);
    await sleeping.promise;
    expect(waits).toEqual([1000]);
    h.controller.abort();
    await expect(done).resolves.toBeUndefined();
    expect(rpc.count("getEvent(true)")).toBe(1);
  });

  it("does nothing when started with an aborted signal", async () => {
    const rpc = new ScriptedRpc();
    const h = harness(rpc);
    h.controller.abort();
    await expect(h.poller.run(h.controller.signal)).resolves.toBeUndefined();
    expect(rpc.calls).toEqual([]);
  });

  it("refreshes with a snapshot while a long poll is pending, without a second long poll", async () => {
    const pending = deferred<unknown[]>();
    const rpc = new ScriptedRpc()
      .on("getEvent(false)", SNAPSHOT, reply(shootMode("movie")), emptyReply())
      .on("getEvent(true)", () => pending.promise);
    const h = harness(rpc, { version: "1.1" });
    const done = h.poller.run(h.controller.signal);
    await rpc.waitForCalls(2);
    const refreshSignal = new AbortController().signal;
    const refreshed = await h.poller.refresh(refreshSignal);
    expect(refreshed.shoot_mode).toBe("movie");
    expect(refreshed.camera_status).toBe("IDLE"); // kept: the refresh reply did not carry it
    expect(rpc.calls[2]?.params).toEqual([false]);
    expect(rpc.calls[2]?.version).toBe("1.1");
    expect(rpc.calls[2]?.options?.signal).toBe(refreshSignal);
    expect(h.states.map((s) => s.changed)).toEqual([
      ["camera_status", "shoot_mode", "shoot_modes", "last_picture_url"],
      ["shoot_mode"],
    ]);
    expect(rpc.count("getEvent(true)")).toBe(1);
    expect(rpc.longPollsInFlight).toBe(1);
    // The pending long poll then answers; its delta lands on the refreshed state.
    pending.resolve(reply(status("StillCapturing")));
    await rpc.waitForCalls(4);
    expect(h.poller.state.shoot_mode).toBe("movie");
    expect(h.poller.state.camera_status).toBe("StillCapturing");
    // A refresh with nothing new still republishes the full state (the `refresh` command).
    await h.poller.refresh(refreshSignal);
    expect(h.states.at(-1)?.changed).toEqual([]);
    expect(rpc.maxLongPollsInFlight).toBe(1);
    h.controller.abort();
    await done;
  });

  it("refuses a second concurrent run", async () => {
    const rpc = new ScriptedRpc().on("getEvent(false)", SNAPSHOT);
    const h = harness(rpc, { version: "1.0" });
    const done = h.poller.run(h.controller.signal);
    await expect(h.poller.run(h.controller.signal)).rejects.toThrow(/already running/);
    await rpc.waitForCalls(2);
    expect(rpc.maxLongPollsInFlight).toBe(1);
    h.controller.abort();
    await done;
  });

  it("keeps candidates merged from getAvailable* replies across later deltas", async () => {
    const pending = deferred<unknown[]>();
    const rpc = new ScriptedRpc()
      .on("getEvent(false)", SNAPSHOT)
      .on("getEvent(true)", () => pending.promise);
    const h = harness(rpc, { version: "1.1" });
    const done = h.poller.run(h.controller.signal);
    await rpc.waitForCalls(2);
    const changed = h.poller.mergeAvailable("getAvailableStillSize", [
      { aspect: "4:3", size: "18M" },
      [
        { aspect: "4:3", size: "18M" },
        { aspect: "16:9", size: "13M" },
      ],
    ]);
    expect(changed).toEqual(["still_size", "still_sizes"]);
    expect(h.states.at(-1)?.changed).toEqual(["still_size", "still_sizes"]);
    expect(h.poller.mergeAvailable("getAvailableFocusMode", ["AF-S", []])).toEqual([]);
    expect(h.states).toHaveLength(2); // nothing changed → no onState
    pending.resolve(
      reply({
        type: "stillSize",
        checkAvailability: true,
        currentAspect: "16:9",
        currentSize: "13M",
      }),
    );
    await rpc.waitForCalls(3);
    expect(h.poller.state.still_size).toBe("16:9 13M");
    expect(h.poller.state.still_sizes).toEqual(["4:3 18M", "16:9 13M"]);
    h.controller.abort();
    await done;
  });

  it("starts a new run from an all-null state", async () => {
    const rpc = new ScriptedRpc()
      .on("getEvent(false)", SNAPSHOT, reply(status("IDLE")))
      .on("getEvent(true)", unreachable());
    const h = harness(rpc, { version: "1.0" });
    await expect(h.poller.run(h.controller.signal)).rejects.toMatchObject({
      code: "CAMERA_UNREACHABLE",
    });
    expect(h.poller.state.shoot_mode).toBe("still");
    const done = h.poller.run(h.controller.signal);
    await rpc.waitForCalls(4);
    expect(h.poller.state).toEqual({ ...initialCameraState(), camera_status: "IDLE" });
    h.controller.abort();
    await done;
  });

  it("lets an exception thrown by a callback reject run()", async () => {
    const rpc = new ScriptedRpc().on("getEvent(false)", SNAPSHOT);
    const h = harness(rpc, {
      version: "1.0",
      onState: () => {
        throw new TypeError("bridge bug");
      },
    });
    await expect(h.poller.run(h.controller.signal)).rejects.toThrow(TypeError);
    expect(rpc.count("getEvent(true)")).toBe(0);
  });
});
