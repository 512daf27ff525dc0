import { describe, expect, it } from "vitest";
import { isBridgeError } from "../../src/errors.js";
import {
  MAX_RPC_ID,
  decodeResponse,
  encodeRequest,
  isValidRpcId,
  nextId,
} from "../../src/camera/rpc.js";
import { haveFixtures, readFixture } from "../helpers/fixtures.js";

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isBridgeError(e) ? e.code : `not a BridgeError: ${String(e)}`;
  }
  return undefined;
}

describe("encodeRequest", () => {
  it("writes the DG120 envelope in DG120 member order", () => {
    expect(encodeRequest("setSelfTimer", [2], 1, "1.0")).toBe(
      '{"method":"setSelfTimer","params":[2],"id":1,"version":"1.0"}',
    );
    expect(encodeRequest("getEvent", [true], MAX_RPC_ID, "1.1")).toBe(
      `{"method":"getEvent","params":[true],"id":${MAX_RPC_ID},"version":"1.1"}`,
    );
  });

  it("always sends params as an array, [] when empty", () => {
    const body = JSON.parse(encodeRequest("getVersions", [], 7, "1.0")) as Record<string, unknown>;
    expect(body).toEqual({ method: "getVersions", params: [], id: 7, version: "1.0" });
    expect(Object.keys(body)).toEqual(["method", "params", "id", "version"]);
  });

  it("keeps object params as given", () => {
    const params = [{ dateTime: "2014-04-01T21:35:43Z", timeZoneOffsetMinute: 540 }];
    expect(JSON.parse(encodeRequest("setCurrentTime", params, 3, "1.0"))).toMatchObject({ params });
  });

  it.each([0, -1, 1.5, MAX_RPC_ID + 1, Number.NaN, Number.POSITIVE_INFINITY])(
    "refuses id %s",
    (id) => {
      expect(codeOf(() => encodeRequest("getEvent", [false], id, "1.0"))).toBe("COMMAND_INVALID");
    },
  );

  it.each(["", "1", "1.0.0", "v1.0", " 1.0", "1.x"])("refuses version %j", (version) => {
    expect(codeOf(() => encodeRequest("getEvent", [false], 1, version))).toBe("COMMAND_INVALID");
  });

  it("refuses an empty method, non-array params and unencodable params", () => {
    expect(codeOf(() => encodeRequest("", [], 1, "1.0"))).toBe("COMMAND_INVALID");
    const notArray = { 0: 1 } as unknown as unknown[];
    expect(codeOf(() => encodeRequest("setSelfTimer", notArray, 1, "1.0"))).toBe("COMMAND_INVALID");
    expect(codeOf(() => encodeRequest("setSelfTimer", [10n], 1, "1.0"))).toBe("COMMAND_INVALID");
  });
});

describe("ids", () => {
  it("validates the 1…2^31-1 range", () => {
    expect(MAX_RPC_ID).toBe(2 ** 31 - 1);
    expect(isValidRpcId(1)).toBe(true);
    expect(isValidRpcId(MAX_RPC_ID)).toBe(true);
    expect(isValidRpcId(0)).toBe(false);
    expect(isValidRpcId(MAX_RPC_ID + 1)).toBe(false);
    expect(isValidRpcId("1")).toBe(false);
  });

  it("counts up and wraps from 2^31-1 back to 1, never 0", () => {
    expect(nextId(0)).toBe(1);
    expect(nextId(1)).toBe(2);
    expect(nextId(MAX_RPC_ID - 1)).toBe(MAX_RPC_ID);
    expect(nextId(MAX_RPC_ID)).toBe(1);
    expect(nextId(-5)).toBe(1);
    expect(nextId(2.5)).toBe(1);
  });
});

describe("decodeResponse", () => {
  it("returns result, in either member order", () => {
    expect(decodeResponse('{"id":1,"result":[0]}', 1)).toEqual({ ok: true, result: [0] });
    expect(decodeResponse('{"result":[["1.0","1.1"]],"id":73}', 73)).toEqual({
      ok: true,
      result: [["1.0", "1.1"]],
    });
  });

  it("accepts results (getMethodTypes) and error:null beside a result", () => {
    expect(decodeResponse('{"id":8,"results":[["a",[],[],"1.0"]]}', 8)).toEqual({
      ok: true,
      result: [["a", [], [], "1.0"]],
    });
    expect(decodeResponse('{"result":["Hello"],"error":null,"id":1}', 1)).toEqual({
      ok: true,
      result: ["Hello"],
    });
  });

  it("decodes \\/ escapes (Smart Remote app)", () => {
    const text = String.raw`{"id":2,"result":["http:\/\/192.168.122.1:8080\/liveview\/liveviewstream","1\/30"]}`;
    expect(decodeResponse(text, 2)).toEqual({
      ok: true,
      result: ["http://192.168.122.1:8080/liveview/liveviewstream", "1/30"],
    });
  });

  it("returns camera errors with or without id, whatever the id", () => {
    expect(decodeResponse('{"id":4,"error":[40403,"Still Capturing Not Finished"]}', 4)).toEqual({
      ok: false,
      code: 40403,
      message: "Still Capturing Not Finished",
    });
    expect(decodeResponse('{"error":[404,"Not Found"]}', 9)).toEqual({
      ok: false,
      code: 404,
      message: "Not Found",
    });
    expect(decodeResponse('{"error":[403,"getAvailableCameraFunction"],"id":1}', 12)).toEqual({
      ok: false,
      code: 403,
      message: "getAvailableCameraFunction",
    });
    expect(decodeResponse('{"id":1,"error":[1]}', 1)).toEqual({ ok: false, code: 1, message: "" });
  });

  it.each([
    ["not JSON", "<html>Not Found</html>"],
    ["empty", ""],
    ["truncated", '{"id":1,"result":[0'],
    ["null", "null"],
    ["array", "[0]"],
    ["number", "42"],
    ["string", '"ok"'],
    ["no result, no error", '{"id":1}'],
    ["result null", '{"id":1,"result":null}'],
    ["result object", '{"id":1,"result":{"a":1}}'],
    ["result string", '{"id":1,"result":"0"}'],
    ["results object", '{"id":1,"results":{}}'],
    ["wrong id", '{"id":2,"result":[0]}'],
    ["id as string", '{"id":"1","result":[0]}'],
    ["missing id on success", '{"result":[0]}'],
    ["error object", '{"id":1,"error":{"code":1}}'],
    ["error empty", '{"id":1,"error":[]}'],
    ["error code string", '{"id":1,"error":["1","Any"]}'],
    ["error code fraction", '{"id":1,"error":[1.5,"Any"]}'],
    ["error message number", '{"id":1,"error":[1,2]}'],
    ["error too long", '{"id":1,"error":[1,"Any","x"]}'],
    ["error string", '{"id":1,"error":"Any"}'],
  ])("throws CAMERA_PROTOCOL for %s", (_name, text) => {
    expect(codeOf(() => decodeResponse(text, 1))).toBe("CAMERA_PROTOCOL");
  });

  it.skipIf(!haveFixtures)("decodes the real QX100 getMethodTypes reply (results form)", () => {
    const decoded = decodeResponse(readFixture("methodtypes/QX100-1.0.json").toString("utf8"), 8);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.result).toHaveLength(62);
    expect(decoded.result[0]).toEqual(["actFormatStorage", ["string"], ["int"], "1.0"]);
  });
});
