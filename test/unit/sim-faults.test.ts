/** Fault spec parsing and rule matching of the simulator, pure. */
import { describe, expect, it } from "vitest";
import { FaultController, parseFaultSpec, type FaultAction } from "../../src/sim/faults.js";

describe("parseFaultSpec", () => {
  it.each([
    ["method=actTakePicture:error=40400", { kind: "error", code: 40400, method: "actTakePicture" }],
    ["error=1:method=getEvent:once", { kind: "error", code: 1, method: "getEvent", times: 1 }],
    ["http500", { kind: "http500" }],
    [
      "malformed-json:service=camera:times=3",
      { kind: "malformed-json", service: "camera", times: 3 },
    ],
    ["slow=2000", { kind: "slow", ms: 2000 }],
    ["hang:target=image", { kind: "hang", target: "image" }],
    ["drop", { kind: "drop" }],
    ["liveview=corrupt", { kind: "liveview", fault: "corrupt" }],
    ["power-off", { kind: "power-off" }],
    ["power-off=5000:for=3000", { kind: "power-off", afterMs: 5000, forMs: 3000 }],
  ])("parses %s", (spec, expected) => {
    expect(parseFaultSpec(spec)).toEqual(expected);
  });

  it.each([
    "",
    "explode",
    "http500:drop",
    "slow",
    "slow=-1",
    "error=x",
    "liveview=melt",
    "hang:target=moon",
    "http500:colour=red",
    "http500:method=a:method=b",
  ])("rejects %j as USAGE", (spec) => {
    expect(() => parseFaultSpec(spec)).toThrow(/USAGE/);
  });
});

describe("FaultController", () => {
  it("matches by target, method and service and counts uses", () => {
    const actions: FaultAction[] = [];
    const faults = new FaultController((a) => actions.push(a));
    faults.set("error=40400:method=actTakePicture:times=2", "hang:target=dd", "liveview=cut");
    expect(actions).toEqual([{ kind: "liveview", fault: "cut" }]);
    expect(faults.take({ target: "api", method: "getEvent" })).toBeUndefined();
    expect(faults.take({ target: "api", method: "actTakePicture" })?.kind).toBe("error");
    expect(faults.take({ target: "api", method: "actTakePicture" })?.kind).toBe("error");
    expect(faults.take({ target: "api", method: "actTakePicture" })).toBeUndefined();
    expect(faults.take({ target: "dd" })?.kind).toBe("hang");
    expect(faults.list()).toEqual([{ kind: "hang", target: "dd" }]);
    faults.clear();
    expect(faults.take({ target: "dd" })).toBeUndefined();
  });
});
