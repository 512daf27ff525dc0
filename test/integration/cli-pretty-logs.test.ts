import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ensureBuilt } from "../helpers/daemon.js";

// util-linux `script` gives the daemon a pseudo-terminal, the only way to see what a user's
// terminal shows; without it this test cannot run.
const script = ["/usr/bin/script", "/bin/script"].find((p) => existsSync(p));
if (script === undefined) console.warn("[pretty logs] `script` not found: test SKIPPED");

const bin = join(import.meta.dirname, "..", "..", "bin", "qx10-mqtt.js");

function runFor(seconds: number, args: string[], tty: boolean): string {
  const command = `timeout -s INT ${seconds} ${process.execPath} ${bin} ${args.join(" ")}`;
  const r = tty
    ? spawnSync(script ?? "script", ["-qc", command, "/dev/null"], { encoding: "utf8" })
    : spawnSync("/bin/sh", ["-c", command], { encoding: "utf8" });
  return r.stdout + r.stderr;
}

describe.skipIf(script === undefined)("logs on a terminal", () => {
  it("are readable lines on a terminal, JSON otherwise, and never show the password", async () => {
    await ensureBuilt();
    const dir = mkdtempSync(join(tmpdir(), "qx10-pretty-"));
    const config = join(dir, "config.json");
    // Port 9 on loopback: nothing listens, so the bridge logs its broker outage and waits.
    writeFileSync(
      config,
      JSON.stringify({
        mqtt: { url: "mqtt://127.0.0.1:9", username: "u", password: "s3cret-pw" },
        camera: { url: "http://127.0.0.1:9/sony" },
        log: { level: "debug" },
      }),
    );
    const pretty = runFor(3, ["run", "--config", config], true);
    expect(pretty).toMatch(/\[\d\d:\d\d:\d\d\.\d{3}\] .*INFO.*starting/);
    expect(pretty).not.toMatch(/^\{"level":/m);
    expect(pretty).not.toContain("s3cret-pw");
    const json = runFor(3, ["run", "--config", config], false);
    const first = json.split("\n").find((l) => l.startsWith("{"));
    expect(JSON.parse(first ?? "null")).toMatchObject({ level: 30, msg: "starting" });
    expect(json).not.toContain("s3cret-pw");
  });
});
