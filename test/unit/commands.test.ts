/**
 * The pure command parser: every command of the contract's table in every accepted payload form,
 * a wide set of invalid payloads (bounds, encodings, types, ranges, random bytes), transaction
 * echo, candidate checks against the real QX10 capability captures, and error results.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadCommandValidators } from "../../src/bridge/commands-schema.js";
import {
  checkSetting,
  errorResult,
  MAX_JSON_DEPTH,
  MAX_PAYLOAD_BYTES,
  okResult,
  parseCommand,
  resultFromError,
  settingProblem,
  type Command,
  type CommandResult,
  type ParseOutcome,
  type SettingCommand,
} from "../../src/bridge/commands.js";
import { applyAvailable, initialCameraState, type CameraState } from "../../src/camera/events.js";
import { BridgeError } from "../../src/errors.js";
import { COMMAND_NAMES } from "../../src/mqtt/topics.js";
import { haveFixtures, readFixtureJson } from "../helpers/fixtures.js";

const validators = loadCommandValidators();
const enc = new TextEncoder();

function parse(name: string, payload: string | Uint8Array): ParseOutcome {
  return parseCommand(
    name,
    typeof payload === "string" ? enc.encode(payload) : payload,
    validators,
  );
}

function command(name: string, payload: string): Command {
  const out = parse(name, payload);
  if (!out.ok) throw new Error(`${name} ${JSON.stringify(payload)}: ${JSON.stringify(out.result)}`);
  return out.command;
}

function failure(name: string, payload: string | Uint8Array): CommandResult & { status: "error" } {
  const out = parse(name, payload);
  if (out.ok) throw new Error(`${name}: expected a failure, got ${JSON.stringify(out.command)}`);
  if (out.result.status !== "error") throw new Error("not an error result");
  expect(out.result.code).toBe("COMMAND_INVALID");
  return out.result;
}

describe("accepted payload forms, per command", () => {
  const cases: [string, string[], Command][] = [
    [
      "shoot",
      ["", "PRESS", "press", " Press\n", '"PRESS"', "{}", '{"download":true}', '{"value":"press"}'],
      { name: "shoot", download: true },
    ],
    [
      "shoot",
      ['{"download":false}', '{"value":"PRESS","download":false}'],
      { name: "shoot", download: false },
    ],
    [
      "timelapse",
      ['{"count":3,"interval_s":2}', '{"count":3,"interval_s":2.0,"transaction":1}'],
      { name: "timelapse", action: "start", count: 3, intervalS: 2 },
    ],
    [
      "timelapse",
      ['{"count":1,"interval_s":0}'],
      { name: "timelapse", action: "start", count: 1, intervalS: 0 },
    ],
    [
      "timelapse",
      ["STOP", "stop", '"Stop"', '{"value":"STOP"}'],
      { name: "timelapse", action: "stop" },
    ],
    [
      "movie",
      ["START", "start", '"START"', "ON", "true", '{"value":true}'],
      { name: "movie", action: "start" },
    ],
    [
      "movie",
      ["STOP", "Stop", "OFF", "false", '{"value":"stop"}'],
      { name: "movie", action: "stop" },
    ],
    ["zoom", ["in", "IN", '"In"', '{"value":"in"}'], { name: "zoom", action: "in" }],
    ["zoom", ["out", "OUT"], { name: "zoom", action: "out" }],
    ["zoom", ["stop", "STOP"], { name: "zoom", action: "stop" }],
    ["zoom", ["42", "42.0", '{"value":42}', " 42 "], { name: "zoom", position: 42 }],
    ["zoom", ["0"], { name: "zoom", position: 0 }],
    ["zoom", ["100"], { name: "zoom", position: 100 }],
    ["zoom", ["12.5"], { name: "zoom", position: 12.5 }],
    [
      "liveview",
      ["ON", "on", "On", "true", '"ON"', '{"value":"ON"}', '{"value":true}'],
      { name: "liveview", on: true },
    ],
    ["liveview", ["OFF", "off", "false", '{"value":false}'], { name: "liveview", on: false }],
    ["liveview_fps", ["5", "5.0", '{"value":5}'], { name: "liveview_fps", fps: 5 }],
    ["liveview_fps", ["0.1"], { name: "liveview_fps", fps: 0.1 }],
    ["liveview_fps", ["30"], { name: "liveview_fps", fps: 30 }],
    ["half_press", ["ON", "true"], { name: "half_press", on: true }],
    ["half_press", ["OFF", "false"], { name: "half_press", on: false }],
    [
      "touch_af",
      ['{"x":50,"y":25.5}', '{"y":25.5,"x":50,"transaction":"a"}'],
      { name: "touch_af", x: 50, y: 25.5 },
    ],
    ["touch_af", ['{"x":0,"y":100}'], { name: "touch_af", x: 0, y: 100 }],
    [
      "shoot_mode",
      ["still", '"still"', '{"value":"still"}'],
      { name: "shoot_mode", value: "still" },
    ],
    ["shoot_mode", ["movie"], { name: "shoot_mode", value: "movie" }],
    ["self_timer", ["2", '"2"', '{"value":2}', '{"value":"2"}'], { name: "self_timer", value: 2 }],
    ["self_timer", ["0"], { name: "self_timer", value: 0 }],
    [
      "exposure_mode",
      ["Program Auto", '"Program Auto"'],
      { name: "exposure_mode", value: "Program Auto" },
    ],
    ["iso", ["400", '"400"', '{"value":400}'], { name: "iso", value: "400" }],
    ["iso", ["AUTO", '"AUTO"'], { name: "iso", value: "AUTO" }],
    [
      "white_balance",
      ["Fluorescent: Cool White (0)", '"Fluorescent: Cool White (0)"'],
      { name: "white_balance", value: "Fluorescent: Cool White (0)" },
    ],
    [
      "exposure_compensation",
      ["-3", '"-3"', '{"value":-3}', "-3.0"],
      { name: "exposure_compensation", value: -3 },
    ],
    ["exposure_compensation", ["+2", "2"], { name: "exposure_compensation", value: 2 }],
    [
      "still_size",
      ["4:3 18M", '"4:3 18M"', '{"value":"4:3  18M"}'],
      { name: "still_size", value: "4:3 18M" },
    ],
    ["postview_size", ["Original", '"Original"'], { name: "postview_size", value: "Original" }],
    ["postview_size", ["2M"], { name: "postview_size", value: "2M" }],
    ["beep_mode", ["Shutter Only", "On"], { name: "beep_mode", value: "Shutter Only" }],
    ["refresh", ["", "PRESS", "{}", '{"transaction":5}'], { name: "refresh" }],
    [
      "rpc",
      [
        '{"method":"getAvailableApiList"}',
        '{"method":"getAvailableApiList","params":[],"version":"1.0","service":"camera"}',
      ],
      { name: "rpc", service: "camera", method: "getAvailableApiList", params: [], version: "1.0" },
    ],
    [
      "rpc",
      ['{"method":"getVersions","service":"system","version":"1.0","params":[]}'],
      { name: "rpc", service: "system", method: "getVersions", params: [], version: "1.0" },
    ],
    [
      "rpc",
      ['{"method":"setSelfTimer","params":[2],"version":"1.0"}'],
      { name: "rpc", service: "camera", method: "setSelfTimer", params: [2], version: "1.0" },
    ],
  ];
  for (const [name, payloads, expected] of cases) {
    for (const payload of payloads) {
      it(`${name} ${JSON.stringify(payload)}`, () => {
        const got = command(name, payload);
        // beep_mode's second payload differs on purpose: check the value it names.
        if (name === "beep_mode" && payload === "On") {
          expect(got).toEqual({ name: "beep_mode", value: "On" });
          return;
        }
        expect(got).toEqual(expected);
      });
    }
  }

  it("covers every command of the contract's table", () => {
    const covered = new Set(cases.map(([name]) => name));
    expect([...COMMAND_NAMES].filter((n) => !covered.has(n))).toEqual([]);
  });

  it("keeps rpc params verbatim (objects, nested arrays)", () => {
    const params = [{ developerName: "", sg: "", methods: "", developerID: "" }];
    const out = command(
      "rpc",
      JSON.stringify({ method: "actEnableMethods", params, service: "accessControl" }),
    );
    expect(out).toEqual({
      name: "rpc",
      service: "accessControl",
      method: "actEnableMethods",
      params,
      version: "1.0",
    });
  });

  it("accepts a UTF-8 BOM and CRLF around a bare value", () => {
    expect(command("shoot_mode", "\uFEFFstill\r\n")).toEqual({
      name: "shoot_mode",
      value: "still",
    });
  });
});

describe("invalid payloads", () => {
  const cases: [string, string, string][] = [
    ["shoot", "CLICK", "value: must be PRESS (or empty)"],
    ["shoot", '{"download":"yes"}', "download: must be boolean"],
    ["shoot", '{"download":true,"extra":1}', "extra: unknown key"],
    ["shoot", "true", "value: must be PRESS (or empty)"],
    ["timelapse", '{"count":3}', "interval_s: required"],
    ["timelapse", '{"interval_s":3}', 'count: required (send {"count":N,"interval_s":S} or STOP)'],
    ["timelapse", "{}", 'count: required (send {"count":N,"interval_s":S} or STOP)'],
    ["timelapse", '{"count":0,"interval_s":1}', "count: must be >= 1"],
    ["timelapse", '{"count":2.5,"interval_s":1}', "count: must be integer"],
    ["timelapse", '{"count":10001,"interval_s":1}', "count: must be <= 10000"],
    ["timelapse", '{"count":3,"interval_s":-1}', "interval_s: must be >= 0"],
    ["timelapse", '{"count":3,"interval_s":"5"}', "interval_s: must be number"],
    ["timelapse", '{"value":"STOP","count":3}', "value: STOP takes no count or interval_s"],
    ["timelapse", "START", 'value: must be STOP (to start, send {"count":N,"interval_s":S})'],
    ["movie", "", "value: required"],
    ["movie", "RECORD", "value: must be START or STOP"],
    ["movie", "1", "value: must be START or STOP"],
    ["zoom", "", "value: required"],
    ["zoom", "101", "value: must be in, out, stop or a number 0-100"],
    ["zoom", "-1", "value: must be in, out, stop or a number 0-100"],
    ["zoom", "sideways", "value: must be in, out, stop or a number 0-100"],
    ["zoom", "true", "value: must be in, out, stop or a number 0-100"],
    ["zoom", "1e400", "value: number out of range"],
    ["liveview", "maybe", "value: must be ON or OFF (or true/false)"],
    ["liveview", "1", "value: must be ON or OFF (or true/false)"],
    ["liveview", "", "value: required"],
    ["liveview_fps", "0", "value: must be >= 0.1"],
    ["liveview_fps", "31", "value: must be <= 30"],
    ["liveview_fps", "fast", "value: must be number"],
    ["half_press", "PRESS", "value: must be ON or OFF (or true/false)"],
    ["touch_af", '{"x":50}', "y: required"],
    ["touch_af", '{"x":-1,"y":50}', "x: must be >= 0"],
    ["touch_af", '{"x":50,"y":100.5}', "y: must be <= 100"],
    ["touch_af", '{"x":"50","y":50}', "x: must be number"],
    ["touch_af", "50", 'payload: must be a JSON object like {"x":50,"y":50}'],
    ["touch_af", "", "x: required; y: required"],
    ["shoot_mode", "", "value: required"],
    ["shoot_mode", "42", "value: must be a non-empty string of at most 64 characters"],
    ["shoot_mode", '""', "value: must be a non-empty string of at most 64 characters"],
    ["shoot_mode", "x".repeat(65), "value: must be a non-empty string of at most 64 characters"],
    [
      "shoot_mode",
      '{"value":["still"]}',
      "value: must be a non-empty string of at most 64 characters",
    ],
    ["shoot_mode", '{"mode":"still"}', "value: required; mode: unknown key"],
    ["self_timer", "2.5", "value: must be a whole number of seconds"],
    ["self_timer", "-2", "value: must be a whole number of seconds"],
    ["self_timer", "two", "value: must be a whole number of seconds"],
    ["iso", "true", "value: must be AUTO or an ISO number such as 400"],
    ["iso", "0", "value: must be AUTO or an ISO number such as 400"],
    ["exposure_compensation", "0.5", "value: must be a whole number (the camera's index, e.g. -3)"],
    [
      "exposure_compensation",
      "1000",
      "value: must be a whole number (the camera's index, e.g. -3)",
    ],
    [
      "exposure_compensation",
      "+1 EV",
      "value: must be a whole number (the camera's index, e.g. -3)",
    ],
    ["still_size", "18M", 'value: must be "<aspect> <size>", e.g. "4:3 18M"'],
    ["white_balance", "null", "value: must be a non-empty string of at most 64 characters"],
    ["refresh", "NOW", "value: must be empty (or PRESS)"],
    [
      "rpc",
      "getEvent",
      'payload: must be a JSON object like {"method":"getAvailableApiList","params":[]}',
    ],
    ["rpc", "{}", "method: required"],
    ["rpc", '{"method":"get Event"}', 'method: must match pattern "^[A-Za-z][A-Za-z0-9_]{0,63}$"'],
    ["rpc", '{"method":"getEvent","params":false}', "params: must be array"],
    ["rpc", '{"method":"getEvent","params":{}}', "params: must be array"],
    [
      "rpc",
      '{"method":"getEvent","version":"one"}',
      'version: must match pattern "^[0-9]{1,3}\\.[0-9]{1,3}$"',
    ],
    [
      "rpc",
      '{"method":"getEvent","service":"system/../camera"}',
      'service: must be one of "camera", "system", "guide", "accessControl", "avContent"',
    ],
    [
      "rpc",
      `{"method":"x","params":[${"0,".repeat(16)}0]}`,
      "params: must NOT have more than 16 items",
    ],
    ["shoot", "[]", "payload: must be a value or a JSON object, not an array"],
    ["shoot", "{", "payload: not valid JSON"],
    ["shoot", '{"download":true,}', "payload: not valid JSON"],
    ["shoot", '"PRESS', "payload: not valid JSON"],
    ["shoot_mode", "sti\u0000ll", "value: control characters are not allowed"],
    ["shoot_mode", "sti\u001bll", "value: control characters are not allowed"],
    ["shoot_mode", '"sti\\u0007ll"', "value: control characters are not allowed"],
    ["shoot_mode", '{"value":"a\\nb"}', "value: control characters are not allowed"],
    ["rpc", '{"method":"x","params":["\\u007f"]}', "params[0]: control characters are not allowed"],
    [
      "rpc",
      '{"method":"x","params":[{"k\\u0001":1}]}',
      "params[0]: control characters are not allowed in keys",
    ],
  ];
  for (const [name, payload, error] of cases) {
    it(`${name} ${JSON.stringify(payload.slice(0, 40))} → ${error}`, () => {
      expect(failure(name, payload).error).toBe(error);
    });
  }

  it("refuses a payload over the size limit before decoding it", () => {
    const big = new Uint8Array(MAX_PAYLOAD_BYTES + 1).fill(0x20);
    expect(failure("shoot", big).error).toBe(`payload: larger than ${MAX_PAYLOAD_BYTES} bytes`);
    // Exactly at the limit is decoded (and here refused for its content, not its size).
    const atLimit = enc.encode(`{"value":"${"x".repeat(MAX_PAYLOAD_BYTES - 12)}"}`);
    expect(atLimit.byteLength).toBe(MAX_PAYLOAD_BYTES);
    expect(failure("shoot_mode", atLimit).error).toBe(
      "value: must be a non-empty string of at most 64 characters",
    );
  });

  it("refuses JSON nested deeper than the limit, also when the nesting would still parse", () => {
    const deep = (n: number): string => `{"method":"x","params":${"[".repeat(n)}${"]".repeat(n)}}`;
    expect(parse("rpc", deep(MAX_JSON_DEPTH - 1)).ok).toBe(true);
    expect(failure("rpc", deep(MAX_JSON_DEPTH)).error).toBe(
      `payload: JSON nested deeper than ${MAX_JSON_DEPTH} levels`,
    );
    const huge = "[".repeat(30_000) + "]".repeat(30_000);
    expect(failure("rpc", huge).error).toBe(
      `payload: JSON nested deeper than ${MAX_JSON_DEPTH} levels`,
    );
    // Brackets inside strings do not count.
    expect(parse("rpc", `{"method":"x","params":["${"[".repeat(50)}"]}`).ok).toBe(true);
  });

  it("refuses bytes that are not UTF-8", () => {
    for (const bytes of [[0xff], [0xc3, 0x28], [0x50, 0x52, 0xe2, 0x82], [0xed, 0xa0, 0x80]]) {
      expect(failure("shoot", new Uint8Array(bytes)).error).toBe("payload: not valid UTF-8");
    }
  });

  it("names unknown commands", () => {
    const out = parse("explode", "");
    expect(out.ok).toBe(false);
    if (!out.ok) {
      expect(out.result).toEqual({
        status: "error",
        error: 'unknown command "explode"',
        code: "COMMAND_INVALID",
      });
    }
  });

  it("never throws on random bytes and always answers ok or COMMAND_INVALID (seeded)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...COMMAND_NAMES),
        fc.uint8Array({ maxLength: 300 }),
        (name, bytes) => {
          const out = parseCommand(name, bytes, validators);
          if (!out.ok) {
            expect(out.result.status).toBe("error");
            if (out.result.status === "error") expect(out.result.code).toBe("COMMAND_INVALID");
          }
        },
      ),
      { seed: 4242, numRuns: 3000 },
    );
  });

  it("never throws on random JSON and echoes any readable transaction (seeded)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...COMMAND_NAMES),
        fc.jsonValue({ maxDepth: 4 }),
        fc.oneof(
          fc.integer(),
          fc.string({
            maxLength: 10,
            unit: fc.constantFrom("a", "b", "Z", " ", "0", "9", "-", "é", "✓"),
          }),
        ),
        (name, value, transaction) => {
          const body = JSON.stringify({ value, transaction });
          const out = parseCommand(name, enc.encode(body), validators);
          expect(out.ok ? out.transaction : out.result.transaction).toEqual(transaction);
        },
      ),
      { seed: 99, numRuns: 2000 },
    );
  });
});

describe("transaction", () => {
  it("is returned with a valid command, verbatim (any JSON)", () => {
    for (const tx of [23, "abc", { id: 1, tag: ["a"] }, null, false]) {
      const out = parse("zoom", JSON.stringify({ value: "in", transaction: tx }));
      expect(out).toEqual({ ok: true, command: { name: "zoom", action: "in" }, transaction: tx });
    }
  });

  it("is echoed in the error result whenever it could be read", () => {
    expect(failure("zoom", '{"value":"sideways","transaction":23}')).toEqual({
      status: "error",
      error: "value: must be in, out, stop or a number 0-100",
      code: "COMMAND_INVALID",
      transaction: 23,
    });
    expect(failure("shoot_mode", '{"value":"a\\u0000","transaction":"t1"}').transaction).toBe("t1");
    expect(failure("touch_af", '{"value":5,"transaction":"t2"}').transaction).toBe("t2");
  });

  it("is absent when the request had none or it could not be read", () => {
    expect(parse("zoom", "in")).toEqual({ ok: true, command: { name: "zoom", action: "in" } });
    expect("transaction" in failure("zoom", '{"value":"x","transaction":1')).toBe(false);
    expect("transaction" in failure("zoom", "sideways")).toBe(false);
    // A transaction with control characters is not echoed back.
    expect("transaction" in failure("zoom", '{"value":"in","transaction":"\\u0000"}')).toBe(false);
  });
});

describe("results", () => {
  it("builds ok and error results, leaving out an absent transaction", () => {
    expect(okResult({ a: 1 })).toEqual({ status: "ok", data: { a: 1 } });
    expect(okResult(null, 7)).toEqual({ status: "ok", data: null, transaction: 7 });
    expect(errorResult("x", "BUSY")).toEqual({ status: "error", error: "x", code: "BUSY" });
    expect(errorResult("x", 40400, "t")).toEqual({
      status: "error",
      error: "x",
      code: 40400,
      transaction: "t",
    });
  });

  it("maps camera errors to the camera's code and others to their string code", () => {
    const rpc = new BridgeError("CAMERA_RPC", "actTakePicture failed: [40400]", {
      cameraCode: 40400,
    });
    expect(resultFromError(rpc, 1)).toEqual({
      status: "error",
      error: rpc.message,
      code: 40400,
      transaction: 1,
    });
    const http = new BridgeError("CAMERA_HTTP", "HTTP 403", { cameraCode: 403 });
    expect(resultFromError(http)).toMatchObject({ code: 403 });
    const timeout = new BridgeError("CAMERA_TIMEOUT", "no answer");
    expect(resultFromError(timeout)).toMatchObject({ code: "CAMERA_TIMEOUT" });
    expect(resultFromError(new Error("secret=hunter2"))).toEqual({
      status: "error",
      error: "internal error while running the command",
      code: "INTERNAL",
    });
  });
});

function stateFrom(fixture: string): CameraState {
  const capture = readFixtureJson(`capabilities/${fixture}`) as { calls: Record<string, unknown> };
  let state = initialCameraState();
  for (const [method, result] of Object.entries(capture.calls)) {
    if (Array.isArray(result)) state = applyAvailable(state, method, result).state;
  }
  return state;
}

function setting(name: SettingCommand["name"], payload: string): SettingCommand {
  const c = command(name, payload);
  if (!("value" in c)) throw new Error("not a setting");
  return c;
}

describe.skipIf(!haveFixtures)("checkSetting against the real QX10 captures", () => {
  const program = haveFixtures
    ? stateFrom("DSC-QX10-still-program-auto.json")
    : initialCameraState();
  const auto = haveFixtures
    ? stateFrom("DSC-QX10-still-intelligent-auto.json")
    : initialCameraState();

  it("accepts every candidate the camera reports (Program Auto)", () => {
    const accepted: [SettingCommand["name"], string][] = [
      ["shoot_mode", "still"],
      ["shoot_mode", "movie"],
      ["self_timer", "0"],
      ["self_timer", "2"],
      ["self_timer", '"10"'],
      ["exposure_mode", "Intelligent Auto"],
      ["exposure_mode", "Superior Auto"],
      ["exposure_mode", "Program Auto"],
      ["iso", "AUTO"],
      ["iso", "100"],
      ["iso", "3200"],
      ["white_balance", "Auto WB"],
      ["white_balance", "Fluorescent: Daylight (+2)"],
      ["exposure_compensation", "-6"],
      ["exposure_compensation", "0"],
      ["exposure_compensation", "6"],
      ["still_size", "4:3 18M"],
      ["still_size", "16:9 2M"],
    ];
    for (const [name, payload] of accepted) {
      expect(checkSetting(setting(name, payload), program), `${name} ${payload}`).toBeNull();
    }
  });

  it("refuses values that are not candidates, naming the setting and the candidates", () => {
    expect(checkSetting(setting("self_timer", "5"), program)).toBe(
      "self_timer: 5 is not one of the camera's current values 0, 2, 10",
    );
    expect(checkSetting(setting("shoot_mode", "audio"), program)).toBe(
      'shoot_mode: "audio" is not one of the camera\'s current values "still", "movie"',
    );
    expect(checkSetting(setting("iso", "6400"), program)).toMatch(/^iso: "6400" is not one of/);
    expect(checkSetting(setting("iso", "auto"), program)).toMatch(/^iso: "auto" is not one of/);
    expect(checkSetting(setting("white_balance", "Shade"), program)).toMatch(/^white_balance: /);
    expect(checkSetting(setting("still_size", "3:2 20M"), program)).toMatch(/^still_size: /);
    expect(checkSetting(setting("exposure_mode", "Manual"), program)).toMatch(/^exposure_mode: /);
    expect(checkSetting(setting("exposure_compensation", "7"), program)).toBe(
      "exposure_compensation: 7 is outside the camera's range -6..6",
    );
    expect(checkSetting(setting("exposure_compensation", "-7"), program)).toBe(
      "exposure_compensation: -7 is outside the camera's range -6..6",
    );
  });

  it("says the camera does not offer ISO, WB and EV outside Program Auto", () => {
    for (const [name, payload] of [
      ["iso", "AUTO"],
      ["white_balance", "Auto WB"],
      ["exposure_compensation", "0"],
    ] as const) {
      expect(checkSetting(setting(name, payload), auto)).toMatch(
        new RegExp(
          `^${name}: the camera does not offer this setting now \\(set\\w+ is not available`,
        ),
      );
    }
    expect(checkSetting(setting("self_timer", "2"), auto)).toBeNull();
  });

  it("uses the candidates handed in for postview_size and beep_mode", () => {
    const pv = setting("postview_size", "Original");
    expect(checkSetting(pv, program, ["2M", "Original"])).toBeNull();
    expect(checkSetting(pv, program, ["2M"])).toBe(
      'postview_size: "Original" is not one of the camera\'s current values "2M"',
    );
    expect(checkSetting(pv, program)).toBeNull(); // left to the camera
    expect(
      checkSetting(setting("beep_mode", "Silent"), program, ["Shutter Only", "On", "Off"]),
    ).toMatch(/^beep_mode: "Silent" is not one of/);
    expect(checkSetting(pv, program, null)).toBe(
      "postview_size: the camera does not offer this setting now",
    );
  });
});

describe("settingProblem codes", () => {
  it("NOT_AVAILABLE when the camera does not offer the setting, COMMAND_INVALID for a bad value", () => {
    const state: CameraState = {
      ...initialCameraState(),
      available_apis: ["setSelfTimer"],
      self_timers: [0, 2, 10],
    };
    expect(settingProblem({ name: "self_timer", value: 5 }, state)).toEqual({
      error: "self_timer: 5 is not one of the camera's current values 0, 2, 10",
      code: "COMMAND_INVALID",
    });
    expect(settingProblem({ name: "iso", value: "AUTO" }, state)).toEqual({
      error:
        "iso: the camera does not offer this setting now (setIsoSpeedRate is not available in the current mode)",
      code: "NOT_AVAILABLE",
    });
    expect(settingProblem({ name: "self_timer", value: 2 }, state)).toBeNull();
  });
});

describe("checkSetting without the API list", () => {
  it("says the camera does not offer a setting whose candidates are null", () => {
    const state = initialCameraState();
    expect(checkSetting({ name: "iso", value: "AUTO" }, state)).toBe(
      "iso: the camera does not offer this setting now",
    );
    expect(checkSetting({ name: "exposure_compensation", value: 0 }, state)).toBe(
      "exposure_compensation: the camera does not offer this setting now",
    );
    const withList: CameraState = {
      ...state,
      isos: ["AUTO"],
      exposure_compensation_range: { min: -2, max: 2, step: 1 },
    };
    expect(checkSetting({ name: "iso", value: "AUTO" }, withList)).toBeNull();
    expect(checkSetting({ name: "exposure_compensation", value: 1.5 }, withList)).toBe(
      "exposure_compensation: must be a whole number",
    );
  });
});
