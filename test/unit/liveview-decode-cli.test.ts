/**
 * `qx10-mqtt decode` (src/cli/decode.ts) on the real QX100 capture and on a synthetic stream with
 * every packet type, through a collecting CliContext.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDecode } from "../../src/cli/decode.js";
import { type CliContext } from "../../src/cli/context.js";
import { isBridgeError } from "../../src/errors.js";
import { findJpegEnd } from "../../src/liveview/jpeg.js";
import { fixturePath, haveFixtures, readFixture } from "../helpers/fixtures.js";
import { encodeSpec, randomBytes, randomSpecs, rng } from "../helpers/liveview-data.js";

const CAPTURE = "liveview/QX100-liveview-640x480.bin";

function collecting(signal = new AbortController().signal): {
  ctx: CliContext;
  out: string[];
  err: string[];
} {
  const out: string[] = [];
  const err: string[] = [];
  return { ctx: { signal, out: (l) => out.push(l), err: (l) => err.push(l), env: {} }, out, err };
}

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "qx10-decode-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!haveFixtures)("decode on the QX100 capture", () => {
  it("prints 138 JPEG lines, the truncated tail and the summary", async () => {
    const { ctx, out, err } = collecting();
    expect(await runDecode([fixturePath(CAPTURE)], ctx)).toBe(0);
    expect(err).toEqual([]);
    expect(out).toHaveLength(140);
    expect(out.at(-1)).toBe(
      '{"frames":138,"jpeg":138,"frame_info":0,"skipped_bytes":0,"resyncs":0,"truncated_tail_bytes":9264}',
    );
    expect(out[138]).toBe(
      '{"type":"discarded","offset":1514448,"bytes":9264,"reason":"truncated"}',
    );
    const file = readFixture(CAPTURE);
    const lines = out.slice(0, 138).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(Object.keys(lines[0] ?? {})).toEqual([
      "type",
      "seq",
      "timestamp",
      "offset",
      "payload_type",
      "bytes",
      "jpeg_bytes",
      "width",
      "height",
    ]);
    expect(lines[0]).toMatchObject({
      type: "jpeg",
      seq: 0,
      timestamp: 4,
      offset: 0,
      payload_type: 1,
    });
    lines.forEach((l, i) => {
      expect(l["seq"]).toBe(i);
      expect(l["width"]).toBe(640);
      expect(l["height"]).toBe(480);
      const offset = l["offset"] as number;
      expect(l["bytes"]).toBe(file.readUIntBE(offset + 12, 3));
      expect(l["timestamp"]).toBe(file.readUInt32BE(offset + 4));
      const region = file.subarray(offset + 136, offset + 136 + (l["bytes"] as number));
      expect(l["jpeg_bytes"]).toBe(findJpegEnd(region));
      const next = lines[i + 1];
      if (next !== undefined) expect(next["offset"]).toBe(offset + 136 + (l["bytes"] as number));
    });
  });

  it("--out writes 138 JPEGs cut at their EOI", async () => {
    const outDir = join(dir, "frames");
    const { ctx, out } = collecting();
    expect(await runDecode([fixturePath(CAPTURE), "--out", outDir], ctx)).toBe(0);
    const names = (await readdir(outDir)).sort();
    expect(names).toHaveLength(138);
    expect(names[0]).toBe("frame-00000-seq0.jpg");
    expect(names[137]).toBe("frame-00137-seq137.jpg");
    for (const [i, name] of names.entries()) {
      const jpeg = await readFile(join(outDir, name));
      expect([jpeg[0], jpeg[1]]).toEqual([0xff, 0xd8]);
      expect([jpeg.at(-2), jpeg.at(-1)]).toEqual([0xff, 0xd9]);
      const line = JSON.parse(out[i] ?? "{}") as Record<string, unknown>;
      expect(line["file"]).toBe(join(outDir, name));
      expect(jpeg.length).toBe(line["jpeg_bytes"]);
    }
  });
});

describe("decode on a synthetic stream", () => {
  it("prints every packet type and discarded region", async () => {
    const r = rng(3);
    const specs = randomSpecs(r, 30);
    const pkts = specs.map((s) => encodeSpec(s, r));
    const stream = Buffer.concat([...pkts.slice(0, 10), randomBytes(r, 77), ...pkts.slice(10)]);
    const path = join(dir, "synthetic.bin");
    await writeFile(path, stream);
    const { ctx, out } = collecting();
    expect(await runDecode([path], ctx)).toBe(0);
    const lines = out.map((l) => JSON.parse(l) as Record<string, unknown>);
    const summary = lines.at(-1) ?? {};
    const types = lines.slice(0, -1).map((l) => l["type"]);
    expect(types.filter((t) => t === "discarded")).toHaveLength(1);
    expect(lines.find((l) => l["type"] === "discarded")).toEqual({
      type: "discarded",
      offset: pkts.slice(0, 10).reduce((n, p) => n + p.length, 0),
      bytes: 77,
      reason: "garbage",
    });
    const fi = specs.filter((s) => s.kind === "frame_info").length;
    const jp = specs.filter((s) => s.kind === "jpeg").length;
    expect(summary).toEqual({
      frames: 30,
      jpeg: jp,
      frame_info: fi,
      skipped_bytes: 77,
      resyncs: 1,
      truncated_tail_bytes: 0,
    });
    const firstFi = specs.findIndex((s) => s.kind === "frame_info");
    const spec = specs[firstFi];
    if (spec?.kind === "frame_info") {
      const line = lines.find((l) => l["seq"] === spec.sequence);
      expect(line).toEqual({
        type: "frame_info",
        seq: spec.sequence,
        timestamp: spec.timestamp,
        offset: expect.any(Number) as number,
        version: "1.0",
        frames: spec.frames.map((f) => ({
          x1: f.topLeft.x,
          y1: f.topLeft.y,
          x2: f.bottomRight.x,
          y2: f.bottomRight.y,
          category: f.category,
          status: f.status,
          additional: f.additional,
        })),
      });
    }
    const pb = specs.find((s) => s.kind === "playback_info");
    if (pb?.kind === "playback_info") {
      expect(lines.find((l) => l["seq"] === pb.sequence)).toMatchObject({
        type: "playback_info",
        duration_ms: pb.durationMs,
        position_ms: pb.positionMs,
      });
    }
  });
});

describe("decode errors", () => {
  it("a missing file exits 1 with a message naming it", async () => {
    const { ctx, out, err } = collecting();
    const missing = join(dir, "nope.bin");
    expect(await runDecode([missing], ctx)).toBe(1);
    expect(out).toEqual([]);
    expect(err).toHaveLength(1);
    expect(err[0]).toContain(missing);
    expect(err[0]).toContain("ENOENT");
  });

  it("bad usage is a USAGE error", async () => {
    for (const argv of [[], ["a", "b"], ["a", "--bogus"], ["a", "--out"]]) {
      const { ctx } = collecting();
      const error: unknown = await runDecode(argv, ctx).catch((e: unknown) => e);
      expect(isBridgeError(error, "USAGE")).toBe(true);
    }
  });

  it("--help prints the usage", async () => {
    const { ctx, out } = collecting();
    expect(await runDecode(["--help"], ctx)).toBe(0);
    expect(out[0]).toMatch(/^Usage: qx10-mqtt decode FILE/);
  });

  it("an aborted run throws ABORTED", async () => {
    const ac = new AbortController();
    ac.abort();
    const { ctx } = collecting(ac.signal);
    const path = join(dir, "small.bin");
    await writeFile(path, Buffer.alloc(10));
    const error: unknown = await runDecode([path], ctx).catch((e: unknown) => e);
    expect(isBridgeError(error, "ABORTED")).toBe(true);
  });
});
