import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { DESTRUCTIVE_METHODS, isRpcAllowed } from "../../src/config/rpc-allow.js";

describe("isRpcAllowed", () => {
  it("the default list allows read-only getters only", () => {
    const allow = parseConfig({}).rpc.allow;
    expect(isRpcAllowed(allow, "getAvailableApiList")).toBe(true);
    expect(isRpcAllowed(allow, "getEvent")).toBe(false);
    expect(isRpcAllowed(allow, "actTakePicture")).toBe(false);
    expect(isRpcAllowed(allow, "setShootMode")).toBe(false);
    for (const m of DESTRUCTIVE_METHODS) expect(isRpcAllowed(allow, m)).toBe(false);
  });

  it('"*" allows everything except destructive methods, which need their own name', () => {
    expect(isRpcAllowed(["*"], "actTakePicture")).toBe(true);
    expect(isRpcAllowed(["*"], "actFormatStorage")).toBe(false);
    expect(isRpcAllowed(["*"], "deleteContent")).toBe(false);
    expect(isRpcAllowed(["*", "deleteContent"], "deleteContent")).toBe(true);
    expect(isRpcAllowed(["*", "deleteContent"], "actFormatStorage")).toBe(false);
    expect(isRpcAllowed(["actFormatStorage"], "actFormatStorage")).toBe(true);
  });

  it("matches names exactly", () => {
    expect(isRpcAllowed(["getEvent"], "getevent")).toBe(false);
    expect(isRpcAllowed([], "getEvent")).toBe(false);
  });
});
