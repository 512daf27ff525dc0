import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type CliContext } from "../../src/cli/context.js";
import { runLiveview } from "../../src/cli/liveview.js";
import { isBridgeError } from "../../src/errors.js";
import { jpegSize } from "../../src/liveview/jpeg.js";
import { readSimComment } from "../../src/sim/pattern.js";
import { type Simulator } from "../../src/sim/simulator.js";
import { cameraCall, startTestSim } from "../helpers/sim.js";

function collectingContext(signal = new AbortController().signal) {
  const out: string[] = [];
  const err: string[] = [];
  const ctx: CliContext = { signal, out: (l) => out.push(l), err: (l) => err.push(l), env: {} };
  return { ctx, out, err };
}

describe("qx10-mqtt liveview", () => {
  let sim: Simulator | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  for (const model of ["qx10", "smart-remote"] as const) {
    it(`saves N trimmed frames from the ${model} simulator and stops liveview`, async () => {
      sim = await startTestSim({ model, liveview: { fps: 30 } });
      dir = await mkdtemp(join(tmpdir(), "qx10-lv-"));
      const { ctx, out } = collectingContext();
      const code = await runLiveview(
        ["--camera", sim.urls.ddXml, "--out", dir, "--frames", "5"],
        ctx,
      );
      expect(code).toBe(0);
      expect(out).toHaveLength(5);
      const files = (await readdir(dir)).sort();
      expect(files).toHaveLength(5);
      const frameNumbers: number[] = [];
      for (const [i, name] of files.entries()) {
        expect(name).toMatch(new RegExp(`^frame-0000${i}-seq\\d+\\.jpg$`));
        const jpeg = await readFile(join(dir, name));
        // Trimmed to the real end marker: no QX padding junk after FF D9.
        expect([...jpeg.subarray(0, 2)]).toEqual([0xff, 0xd8]);
        expect([...jpeg.subarray(-2)]).toEqual([0xff, 0xd9]);
        expect(jpegSize(jpeg)).toEqual({ width: 640, height: 480 });
        const comment = readSimComment(jpeg);
        expect(comment?.kind).toBe("frame");
        frameNumbers.push(comment?.n ?? -1);
        const line = JSON.parse(out[i] ?? "{}") as { file: string; bytes: number };
        expect(line.file).toBe(join(dir, name));
        expect(line.bytes).toBe(jpeg.length);
      }
      // Consecutive, distinct frames of the simulator's pattern.
      expect(new Set(frameNumbers).size).toBe(5);
      // stopLiveview was sent: the simulator no longer serves a stream.
      expect(sim.liveview.stats.readerConnected).toBe(false);
      const snapshot = await cameraCall(sim, "getEvent", [false]);
      expect(snapshot[3]).toEqual({ type: "liveviewStatus", liveviewStatus: false });
    });
  }

  it("reports an unreachable camera as a runtime failure (exit 1)", async () => {
    dir = await mkdtemp(join(tmpdir(), "qx10-lv-"));
    const { ctx, err } = collectingContext();
    const code = await runLiveview(
      ["--camera", "http://127.0.0.1:9/sony", "--out", dir, "--frames", "1"],
      ctx,
    );
    expect(code).toBe(1);
    expect(JSON.parse(err[0] ?? "{}")).toMatchObject({ code: "CAMERA_UNREACHABLE" });
  });

  it("rejects bad usage with USAGE", async () => {
    const { ctx } = collectingContext();
    const err = await runLiveview(["--frames", "2"], ctx).catch((e: unknown) => e);
    expect(isBridgeError(err, "USAGE")).toBe(true);
    const err2 = await runLiveview(["--out", "/tmp/x", "--frames", "0"], ctx).catch(
      (e: unknown) => e,
    );
    expect(isBridgeError(err2, "USAGE")).toBe(true);
  });
});
