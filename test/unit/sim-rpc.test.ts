/** The simulator's JSON-RPC envelope rules (camera-api.md §2.1–2.2), pure. */
import { describe, expect, it } from "vitest";
import { paramsMatch, parseRpcRequest, serializeReply } from "../../src/sim/rpc.js";

describe("parseRpcRequest", () => {
  it("accepts a valid request", () => {
    expect(
      parseRpcRequest('{"method":"getEvent","params":[false],"id":9,"version":"1.1"}'),
    ).toEqual({
      ok: true,
      request: { id: 9, method: "getEvent", params: [false], version: "1.1" },
    });
  });

  it.each([
    ["", undefined],
    ["null", undefined],
    ['"text"', undefined],
    ['{"method":"m","params":[],"id":1.5,"version":"1.0"}', undefined],
    ['{"method":"m","params":[],"id":-1,"version":"1.0"}', undefined],
    ['{"method":"","params":[],"id":4,"version":"1.0"}', 4],
    ['{"method":7,"params":[],"id":4,"version":"1.0"}', 4],
    ['{"method":"m","params":"x","id":4,"version":"1.0"}', 4],
    ['{"method":"m","params":[],"id":4,"version":1}', 4],
  ])("rejects %s with error 5 (id %s)", (body, id) => {
    expect(parseRpcRequest(body)).toEqual({ ok: false, id, code: 5 });
  });
});

describe("serializeReply", () => {
  it("puts the id first and omits the other member", () => {
    expect(serializeReply(3, { kind: "result", result: ["a/b"] }, { escapeSlashes: false })).toBe(
      '{"id":3,"result":["a/b"]}',
    );
    expect(serializeReply(3, { kind: "results", results: [] }, { escapeSlashes: false })).toBe(
      '{"id":3,"results":[]}',
    );
    expect(
      serializeReply(
        undefined,
        { kind: "error", code: 5, message: "Illegal Request" },
        { escapeSlashes: false },
      ),
    ).toBe('{"error":[5,"Illegal Request"]}');
  });

  it("escapes slashes like Smart-Remote firmware when asked", () => {
    const json = serializeReply(1, { kind: "result", result: ["1/30"] }, { escapeSlashes: true });
    expect(json).toBe('{"id":1,"result":["1\\/30"]}');
    expect(JSON.parse(json)).toEqual({ id: 1, result: ["1/30"] });
  });
});

describe("paramsMatch", () => {
  it("checks count and getMethodTypes type strings", () => {
    expect(paramsMatch(["a", true, 3], ["string", "bool", "int"])).toBe(true);
    expect(paramsMatch([1.5, 2], ["double", "double"])).toBe(true);
    expect(paramsMatch([1.5], ["int"])).toBe(false);
    expect(paramsMatch([], ["string"])).toBe(false);
    expect(paramsMatch([{ a: 1 }], ['{"a":"int"}'])).toBe(true);
    expect(paramsMatch([[1]], ['{"a":"int"}'])).toBe(false);
    expect(paramsMatch([Number.NaN], ["double"])).toBe(false);
  });
});
