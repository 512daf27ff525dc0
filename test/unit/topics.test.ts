import { describe, expect, it } from "vitest";
import {
  availability,
  bridgeInfo,
  bridgeState,
  command,
  COMMAND_NAMES,
  commandResult,
  commandWildcard,
  event,
  isCommandName,
  isValidTopicPrefix,
  liveview,
  liveviewFrames,
  parseCommandTopic,
  snapshot,
  snapshotAttributes,
  state,
  topicPrefixProblem,
} from "../../src/mqtt/topics.js";

describe("topic builders (mqtt-api.md Topics table)", () => {
  it("build every published topic under the base", () => {
    expect(bridgeState("qx10")).toBe("qx10/bridge/state");
    expect(bridgeInfo("qx10")).toBe("qx10/bridge/info");
    expect(availability("qx10")).toBe("qx10/availability");
    expect(state("qx10")).toBe("qx10/state");
    expect(event("qx10")).toBe("qx10/event");
    expect(liveview("qx10")).toBe("qx10/liveview");
    expect(liveviewFrames("qx10")).toBe("qx10/liveview/frames");
    expect(snapshot("qx10")).toBe("qx10/snapshot");
    expect(snapshotAttributes("qx10")).toBe("qx10/snapshot/attributes");
  });

  it("build command, result and wildcard topics, also under a multi-level base", () => {
    expect(command("qx10", "shoot")).toBe("qx10/cmd/shoot");
    expect(commandResult("qx10", "shoot")).toBe("qx10/cmd/shoot/result");
    expect(commandWildcard("qx10")).toBe("qx10/cmd/+");
    expect(command("home/cams/left", "zoom")).toBe("home/cams/left/cmd/zoom");
    expect(commandResult("home/cams/left", "zoom")).toBe("home/cams/left/cmd/zoom/result");
    expect(commandWildcard("home/cams/left")).toBe("home/cams/left/cmd/+");
  });

  it("list exactly the commands of the contract's table", () => {
    expect([...COMMAND_NAMES].sort()).toEqual(
      [
        "beep_mode",
        "exposure_compensation",
        "exposure_mode",
        "half_press",
        "iso",
        "liveview",
        "liveview_fps",
        "movie",
        "postview_size",
        "refresh",
        "rpc",
        "self_timer",
        "shoot",
        "shoot_mode",
        "still_size",
        "timelapse",
        "touch_af",
        "white_balance",
        "zoom",
      ].sort(),
    );
    expect(new Set(COMMAND_NAMES).size).toBe(COMMAND_NAMES.length);
    expect(isCommandName("shoot")).toBe(true);
    expect(isCommandName("Shoot")).toBe(false);
  });
});

describe("parseCommandTopic", () => {
  it("round-trips every command name for several bases", () => {
    for (const base of ["qx10", "a/b", "cam-1/x_y"]) {
      for (const name of COMMAND_NAMES) {
        expect(parseCommandTopic(base, command(base, name))).toBe(name);
      }
    }
  });

  it("rejects results, unknown names, other bases, deeper levels and case changes", () => {
    expect(parseCommandTopic("qx10", "qx10/cmd/shoot/result")).toBeNull();
    expect(parseCommandTopic("qx10", "qx10/cmd/explode")).toBeNull();
    expect(parseCommandTopic("qx10", "qx10/cmd/")).toBeNull();
    expect(parseCommandTopic("qx10", "qx100/cmd/shoot")).toBeNull();
    expect(parseCommandTopic("qx10", "other/qx10/cmd/shoot")).toBeNull();
    expect(parseCommandTopic("qx10", "QX10/cmd/shoot")).toBeNull();
    expect(parseCommandTopic("qx10", "qx10/cmd/SHOOT")).toBeNull();
    expect(parseCommandTopic("qx10", "qx10/state")).toBeNull();
    expect(parseCommandTopic("a/b", "a/cmd/shoot")).toBeNull();
  });
});

describe("topicPrefixProblem (base topic validation)", () => {
  it("accepts ordinary prefixes", () => {
    for (const ok of ["qx10", "home/cameras/qx10", "qx10-left", "камера", "a b"]) {
      expect(topicPrefixProblem(ok)).toBeNull();
      expect(isValidTopicPrefix(ok)).toBe(true);
    }
  });

  it("names what is wrong", () => {
    expect(topicPrefixProblem("")).toBe("must not be empty");
    expect(topicPrefixProblem("qx10/+")).toBe("must not contain the wildcards + or #");
    expect(topicPrefixProblem("qx10/#")).toBe("must not contain the wildcards + or #");
    expect(topicPrefixProblem("a+b")).toBe("must not contain the wildcards + or #");
    expect(topicPrefixProblem("qx\u000010")).toBe("must not contain NUL characters");
    expect(topicPrefixProblem("/qx10")).toBe("must not start with /");
    expect(topicPrefixProblem("qx10/")).toBe("must not end with /");
    expect(topicPrefixProblem("a//b")).toBe("must not contain empty levels (//)");
    expect(topicPrefixProblem("x".repeat(70_000))).toBe("is too long");
    expect(isValidTopicPrefix("a//b")).toBe(false);
  });
});
