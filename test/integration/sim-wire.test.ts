/**
 * The simulator on the wire, checked with plain undici requests: envelope validation, error codes,
 * HTTP statuses and headers, id-first replies, dd.xml shape (camera-api.md §1.2–1.3, §2).
 */
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Simulator } from "../../src/sim/simulator.js";
import { postRaw, rpcRaw, startTestSim } from "../helpers/sim.js";
import { haveFixtures, readFixture } from "../helpers/fixtures.js";

let sim: Simulator;
let camera: string;

beforeAll(async () => {
  sim = await startTestSim();
  camera = sim.urls.endpoints["camera"] ?? "";
});
afterAll(async () => {
  await sim.close();
});

describe("JSON-RPC envelope", () => {
  it("answers id first with exactly the QX header set", async () => {
    const reply = await rpcRaw(camera, "getShootMode", [], "1.0", 7);
    expect(reply.status).toBe(200);
    expect(reply.text).toBe('{"id":7,"result":["still"]}');
    expect(Object.keys(reply.headers).sort()).toEqual([
      "connection",
      "content-length",
      "content-type",
    ]);
    expect(reply.headers["connection"]).toBe("close");
    expect(reply.headers["content-type"]).toBe("application/json");
    expect(reply.headers["content-length"]).toBe(String(Buffer.byteLength(reply.text)));
  });

  it("rejects GET with 501 Not Implemented", async () => {
    const res = await request(camera, { method: "GET" });
    expect(res.statusCode).toBe(501);
    expect(await res.body.text()).toBe('{"error":[501,"Not Implemented"]}');
  });

  it("answers 404 for an unknown service", async () => {
    const reply = await rpcRaw(`${sim.urls.actionListUrl}/avContent`, "getSchemeList");
    expect(reply.status).toBe(404);
    expect(reply.text).toBe('{"error":[404,"Not Found"]}');
  });

  it.each([
    ["invalid JSON", "{not json", undefined],
    ["an array body", "[1,2]", undefined],
    ["no id", '{"method":"getShootMode","params":[],"version":"1.0"}', undefined],
    ["id 0", '{"method":"getShootMode","params":[],"id":0,"version":"1.0"}', undefined],
    ["id 2^31", '{"method":"getShootMode","params":[],"id":2147483648,"version":"1.0"}', undefined],
    ["a string id", '{"method":"getShootMode","params":[],"id":"1","version":"1.0"}', undefined],
    ["no method", '{"params":[],"id":3,"version":"1.0"}', 3],
    ["no params", '{"method":"getShootMode","id":3,"version":"1.0"}', 3],
    ["params not an array", '{"method":"getShootMode","params":{},"id":3,"version":"1.0"}', 3],
    ["no version", '{"method":"getShootMode","params":[],"id":3}', 3],
  ])("answers error 5 Illegal Request for %s", async (_name, body, id) => {
    const reply = await postRaw(camera, body);
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual(
      id === undefined ? { error: [5, "Illegal Request"] } : { id, error: [5, "Illegal Request"] },
    );
  });

  it("accepts the largest id", async () => {
    const reply = await rpcRaw(camera, "getShootMode", [], "1.0", 2147483647);
    expect(reply.json).toEqual({ id: 2147483647, result: ["still"] });
  });

  it("answers 12 for an unknown method and 14 for an unsupported version", async () => {
    expect((await rpcRaw(camera, "setFlashMode", ["on"])).json).toEqual({
      id: 1,
      error: [12, "No Such Method"],
    });
    expect((await rpcRaw(camera, "getShootMode", [], "1.1")).json).toEqual({
      id: 1,
      error: [14, "Unsupported Version"],
    });
    expect((await rpcRaw(camera, "getEvent", [false], "1.2")).json).toEqual({
      id: 1,
      error: [14, "Unsupported Version"],
    });
  });

  it("answers 3 for wrong parameter types or counts", async () => {
    expect((await rpcRaw(camera, "setSelfTimer", ["2"])).json).toEqual({
      id: 1,
      error: [3, "Illegal Argument"],
    });
    expect((await rpcRaw(camera, "getShootMode", [1])).json).toEqual({
      id: 1,
      error: [3, "Illegal Argument"],
    });
    expect((await rpcRaw(camera, "setShootMode", ["audio"])).json).toEqual({
      id: 1,
      error: [3, "Illegal Argument"],
    });
  });

  it("answers 1 for a method that is not available in the current mode", async () => {
    // getAvailableIsoSpeedRate is only listed in Program Auto (qx10_program.txt).
    expect((await rpcRaw(camera, "getAvailableIsoSpeedRate", [])).json).toEqual({
      id: 1,
      error: [1, "Not Available Now"],
    });
  });

  it("answers getMethodTypes with `results`", async () => {
    const reply = await rpcRaw(camera, "getMethodTypes", ["1.1"]);
    expect(reply.text.startsWith('{"id":1,"results":[["getEvent",["bool"],')).toBe(true);
  });

  it("does not escape slashes on the QX profile", async () => {
    const reply = await rpcRaw(camera, "startLiveview", []);
    expect(reply.text).toBe(`{"id":1,"result":["${sim.urls.liveview}"]}`);
    await rpcRaw(camera, "stopLiveview", []);
  });
});

describe("private methods (camera-api.md §3.5)", () => {
  it("answers HTTP 403 with the method name until actEnableMethods", async () => {
    const reply = await rpcRaw(camera, "getAvailableCameraFunction", []);
    expect(reply.status).toBe(403);
    expect(reply.text).toBe('{"id":1,"error":[403,"getAvailableCameraFunction"]}');
  });
});

describe("device description", () => {
  it("serves the QX-shaped dd.xml with the AS30V header set", async () => {
    const res = await request(sim.urls.ddXml);
    const xml = await res.body.text();
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe('text/xml; charset="utf-8"');
    expect(res.headers["connection"]).toBe("close");
    expect(res.headers["server"]).toBe("UPnP/1.0 SonyImagingDevice/1.0");
    expect(res.headers["accept-range"]).toBe("none");
    expect(res.headers["content-length"]).toBe(String(Buffer.byteLength(xml)));
    expect(xml).toContain("<friendlyName>DSC-QX10</friendlyName>");
    expect(xml).toContain(
      `<av:X_ScalarWebAPI_ActionList_URL>${sim.urls.actionListUrl}</av:X_ScalarWebAPI_ActionList_URL>`,
    );
    expect(xml).toContain(
      `<av:X_ScalarWebAPI_LiveView_URL>${sim.urls.liveview}</av:X_ScalarWebAPI_LiveView_URL>`,
    );
    expect(new URL(sim.urls.ddXml).pathname).toBe("/DmsRmtDesc.xml");
  });

  it.skipIf(!haveFixtures)(
    "equals the real QX100 document apart from name, UDN and host:port",
    async () => {
      const res = await request(sim.urls.ddXml);
      const ours = await res.body.text();
      const api = new URL(sim.urls.actionListUrl);
      const image = new URL(sim.urls.liveview);
      const real = readFixture("ddxml/DSC-QX100.xml")
        .toString("utf8")
        .replace("DSC-QX100", "DSC-QX10")
        .replace(
          "uuid:00000000-0005-0010-8000-1c994c993998",
          "uuid:00000000-0005-0010-8000-1c994c0a1010",
        )
        .replaceAll("10.0.0.1:10000", api.host)
        .replaceAll("10.0.0.1:60152", image.host);
      expect(ours).toBe(real);
    },
  );
});
