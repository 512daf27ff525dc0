/**
 * The Smart-Remote profile: port-8080 layout (API, liveview and postview on one server),
 * HX400V-shaped dd.xml, `\/` escapes, startRecMode before shooting APIs appear (asynchronously),
 * getEvent v1.2 with batteryInfo (camera-api.md §1.3–1.4, §2.2, §6.1).
 */
import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { SMART_REMOTE_API_BEFORE_REC_MODE } from "../../src/sim/profile.js";
import { type Simulator } from "../../src/sim/simulator.js";
import { haveFixtures, readFixture } from "../helpers/fixtures.js";
import { cameraCall, rpcRaw, startTestSim, waitFor } from "../helpers/sim.js";

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe("Smart-Remote profile", () => {
  it("serves API, liveview and postview on one server and the dd.xml on another", async () => {
    sim = await startTestSim({ model: "smart-remote" });
    const api = new URL(sim.urls.actionListUrl);
    expect(new URL(sim.urls.liveview).host).toBe(api.host);
    expect(new URL(sim.urls.liveview).pathname).toBe("/liveview/liveviewstream");
    expect(new URL(sim.urls.ddXml).host).not.toBe(api.host);
    expect(Object.keys(sim.urls.endpoints)).toEqual(["guide", "accessControl", "camera"]);
  });

  it.skipIf(!haveFixtures)(
    "serves a dd.xml equal to the HX400V one apart from URL and UDN",
    async () => {
      sim = await startTestSim({ model: "smart-remote" });
      const res = await request(sim.urls.ddXml);
      const ours = await res.body.text();
      const real = readFixture("ddxml/DSC-HX400V.xml")
        .toString("utf8")
        .replace(
          "uuid:000000001000-1010-8000-B272BF3A6A3F",
          "uuid:000000001000-1010-8000-5EA7C0FFEE01",
        )
        .replaceAll("http://192.168.122.1:8080/sony", sim.urls.actionListUrl);
      expect(ours).toBe(real);
    },
  );

  it("offers shooting APIs only some time after startRecMode", async () => {
    sim = await startTestSim({ model: "smart-remote", timings: { recModeDelayMs: 100 } });
    const camera = sim.urls.endpoints["camera"] ?? "";
    expect(await cameraCall(sim, "getAvailableApiList")).toEqual([
      [...SMART_REMOTE_API_BEFORE_REC_MODE],
    ]);
    expect((await rpcRaw(camera, "startLiveview")).json).toEqual({
      id: 1,
      error: [1, "Not Available Now"],
    });
    expect(await cameraCall(sim, "startRecMode")).toEqual([0]);
    // Asynchronous: right after the reply the list has not changed yet (§6.1).
    expect(await cameraCall(sim, "getAvailableApiList")).toEqual([
      [...SMART_REMOTE_API_BEFORE_REC_MODE],
    ]);
    await waitFor(async () =>
      ((await cameraCall(sim!, "getAvailableApiList"))[0] as string[]).includes("actTakePicture"),
    );
    const reply = await rpcRaw(camera, "startLiveview");
    // Smart-Remote firmware escapes "/" in JSON strings (§2.2).
    expect(reply.text).toBe(`{"id":1,"result":["${sim.urls.liveview.replaceAll("/", "\\/")}"]}`);
    expect(reply.json).toEqual({ id: 1, result: [sim.urls.liveview] });
    const [[url]] = (await cameraCall(sim, "actTakePicture")) as [string[]];
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/postview\/pict\d{8}_\d{6}_\d+\.JPG$/);
    const pic = await request(url ?? "");
    expect(Buffer.from(await pic.body.arrayBuffer()).subarray(0, 2)).toEqual(
      Buffer.from([0xff, 0xd8]),
    );
  });

  it("answers getEvent v1.2 with 60 slots and batteryInfo", async () => {
    sim = await startTestSim({ model: "smart-remote" });
    expect(await cameraCall(sim, "getVersions")).toEqual([["1.0", "1.1", "1.2"]]);
    const event = await cameraCall(sim, "getEvent", [false], "1.2");
    expect(event).toHaveLength(60);
    expect(event[56]).toEqual({
      batteryInfo: [
        {
          batteryID: "externalBattery1",
          status: "active",
          additionalStatus: "",
          levelNumer: 4,
          levelDenom: 4,
          description: "",
        },
      ],
      type: "batteryInfo",
    });
    expect((event[0] as { names: string[] }).names).toEqual([...SMART_REMOTE_API_BEFORE_REC_MODE]);
  });
});
