/**
 * `qx10-mqtt run` argument and configuration handling, in-process: an invalid configuration lists
 * every problem and returns 2 before any I/O; the file comes from `--config` or `QX10_CONFIG`;
 * `--help` prints usage.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runBridge } from "../../src/cli/run.js";
import { type CliContext } from "../../src/cli/context.js";

describe("qx10-mqtt run: configuration", () => {
  let dir: string;
  let out: string[];
  let err: string[];
  const ctx = (env: Record<string, string> = {}): CliContext => ({
    signal: new AbortController().signal,
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    env,
  });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "qx10-run-"));
    out = [];
    err = [];
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("lists every problem of an invalid file and returns 2", async () => {
    const file = join(dir, "bad.yaml");
    writeFileSync(file, "mqtt:\n  keepalive_s: -1\n  base_topic: 'a/#'\nliveview:\n  fps: 0\n");
    expect(await runBridge(["--config", file], ctx())).toBe(2);
    expect(err[0]).toContain(file);
    const problems = err.slice(1).join("\n");
    expect(problems).toContain("mqtt.keepalive_s");
    expect(problems).toContain("mqtt.base_topic");
    expect(problems).toContain("liveview.fps");
    expect(err.length).toBeGreaterThanOrEqual(4);
  });

  it("reads the file named by QX10_CONFIG and applies QX10_* overrides", async () => {
    const file = join(dir, "c.json");
    writeFileSync(file, JSON.stringify({ liveview: { fps: 2 } }));
    expect(await runBridge([], ctx({ QX10_CONFIG: file, QX10_LIVEVIEW__FPS: "0" }))).toBe(2);
    expect(err.join("\n")).toContain("QX10_LIVEVIEW__FPS");
  });

  it("reports an unreadable file with exit 2", async () => {
    expect(await runBridge(["--config", join(dir, "missing.yaml")], ctx())).toBe(2);
    expect(err.join("\n")).toContain("missing.yaml");
  });

  it("prints usage for --help", async () => {
    expect(await runBridge(["--help"], ctx())).toBe(0);
    expect(out.join("\n")).toContain("qx10-mqtt run [--config FILE]");
  });
});
