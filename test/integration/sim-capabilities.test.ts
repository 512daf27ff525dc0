/**
 * Every QX10 getAvailable and getSupported reply recorded by pysony (capability fixtures) comes back
 * from the simulator with the same value in the matching mode, and the recorded HTTP 403s too.
 */
import { createHash } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ACT_ENABLE_METHODS_KEY } from "../../src/sim/profile.js";
import { type Simulator } from "../../src/sim/simulator.js";
import { haveFixtures, readFixtureJson } from "../helpers/fixtures.js";
import { cameraCall, rpcRaw, startTestSim, waitFor } from "../helpers/sim.js";

interface CapabilityFixture {
  mode: string;
  calls: Record<string, unknown[]>;
  errors: Record<string, string>;
}

let sim: Simulator;
beforeEach(async () => {
  sim = await startTestSim();
});
afterEach(async () => {
  await sim.close();
});

/** The two-step actEnableMethods flow of camera-api.md §3.5. */
async function enableMethods(s: Simulator): Promise<void> {
  const url = s.urls.endpoints["accessControl"] ?? "";
  const step = (sg: string): Promise<{ json: unknown }> =>
    rpcRaw(url, "actEnableMethods", [
      { developerName: sg === "" ? "" : "Sony Corporation", sg, methods: "", developerID: "" },
    ]);
  const first = (await step("")).json as { result: [{ dg: string }] };
  const dg = first.result[0].dg;
  expect(dg).toMatch(/^[A-Za-z0-9]{16}$/);
  const sg = createHash("sha256")
    .update(ACT_ENABLE_METHODS_KEY + dg)
    .digest("base64");
  expect((await step(sg)).json).toEqual({ id: 1, result: [{ dg: "" }] });
}

async function enterMode(s: Simulator, mode: string): Promise<void> {
  if (mode === "movie") {
    await cameraCall(s, "setShootMode", ["movie"]);
    await waitFor(async () => (await cameraCall(s, "getShootMode"))[0] === "movie");
    return;
  }
  const exposure = mode.includes("Superior")
    ? "Superior Auto"
    : mode.includes("Program")
      ? "Program Auto"
      : "Intelligent Auto";
  await cameraCall(s, "setExposureMode", [exposure]);
  await waitFor(async () => (await cameraCall(s, "getExposureMode"))[0] === exposure);
}

const files = [
  "DSC-QX10-still-intelligent-auto.json",
  "DSC-QX10-still-superior-auto.json",
  "DSC-QX10-still-program-auto.json",
  "DSC-QX10-still-intelligent-auto-authenticated.json",
  "DSC-QX10-movie.json",
  "DSC-QX10-supported.json",
];

describe.skipIf(!haveFixtures)("QX10 capability fixtures", () => {
  it.each(files)("%s: every recorded reply and 403", async (file) => {
    const fixture = readFixtureJson(`capabilities/${file}`) as CapabilityFixture;
    await enterMode(sim, fixture.mode);
    // The movie dump answered getAvailableCameraFunction; the simulator keeps the CameraFunction
    // family private in every mode, so that dump is replayed after authenticating.
    if (fixture.mode.includes("authenticated") || fixture.mode === "movie")
      await enableMethods(sim);
    for (const [method, expected] of Object.entries(fixture.calls)) {
      const reply = await rpcRaw(sim.urls.endpoints["camera"] ?? "", method);
      expect({ method, body: reply.json }).toEqual({ method, body: { id: 1, result: expected } });
    }
    for (const [method, error] of Object.entries(fixture.errors)) {
      expect(error).toBe("HTTP Error 403: Forbidden");
      const reply = await rpcRaw(sim.urls.endpoints["camera"] ?? "", method);
      expect(reply.status).toBe(403);
      expect(reply.json).toEqual({ id: 1, error: [403, method] });
    }
  });

  it("actEnableMethods refuses a wrong signature with 403 and keeps the methods private", async () => {
    const url = sim.urls.endpoints["accessControl"] ?? "";
    await rpcRaw(url, "actEnableMethods", [
      { developerName: "", sg: "", methods: "", developerID: "" },
    ]);
    const bad = await rpcRaw(url, "actEnableMethods", [
      { developerName: "x", sg: "bm90IGl0", methods: "", developerID: "" },
    ]);
    expect(bad.status).toBe(403);
    expect((await rpcRaw(sim.urls.endpoints["camera"] ?? "", "getCameraFunction")).status).toBe(
      403,
    );
  });
});

describe.skipIf(!haveFixtures)("getMethodTypes", () => {
  it("matches the QX100 capture for every method both cameras have", async () => {
    const real = readFixtureJson("methodtypes/QX100-1.0.json") as { results: unknown[][] };
    const reply = (await rpcRaw(sim.urls.endpoints["camera"] ?? "", "getMethodTypes", ["1.0"]))
      .json as { results: unknown[][] };
    const ours = new Map(reply.results.map((r) => [r[0] as string, r]));
    let shared = 0;
    for (const entry of real.results) {
      const mine = ours.get(entry[0] as string);
      if (mine === undefined) continue; // QX100-only (F-number, focus mode, shutter speed)
      shared += 1;
      expect(mine).toEqual(entry);
    }
    // 62 QX100 methods minus the F-number, focus-mode and shutter-speed families.
    expect(shared).toBe(52);
  });

  it("lists every method of the QX10 available lists", async () => {
    const reply = (await rpcRaw(sim.urls.endpoints["camera"] ?? "", "getMethodTypes", [""]))
      .json as { results: unknown[][] };
    const names = new Set(reply.results.map((r) => r[0]));
    for (const file of files.slice(0, 5)) {
      const fixture = readFixtureJson(`capabilities/${file}`) as CapabilityFixture;
      const list = (fixture.calls["getAvailableApiList"]?.[0] ?? []) as string[];
      for (const name of list) expect(names.has(name), name).toBe(true);
    }
  });
});
