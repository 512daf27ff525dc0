/**
 * The liveview the simulator serves, saved to a file, decodes to exactly the packets it sent
 * (issue 3 "Done when"): with the project's LiveviewDecoder, and with `qx10-mqtt decode`
 * (runDecode), whose JPEGs cut at the EOI are byte-identical to the frames the pattern rendered.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { runDecode } from "../../src/cli/decode.js";
import { LiveviewDecoder } from "../../src/liveview/codec.js";
import { HEADERS_SIZE } from "../../src/liveview/types.js";
import { readSimComment, renderFrame } from "../../src/sim/pattern.js";
import { type Simulator } from "../../src/sim/simulator.js";
import { haveFixtures, readFixture } from "../helpers/fixtures.js";
import { cameraCall, startTestSim } from "../helpers/sim.js";

let sim: Simulator | undefined;
let dir: string | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe.each([false, true])("saved liveview (focus frames %s)", (focusFrames) => {
  it("decodes to exactly the packets sent", async () => {
    const sent: { bytes: Buffer; payloadType: number; sequence: number }[] = [];
    sim = await startTestSim({
      liveview: {
        fps: 60,
        width: 160,
        height: 120,
        quality: 60,
        focusFrames,
        onPacket: (bytes, info) =>
          sent.push({
            bytes: Buffer.from(bytes),
            payloadType: info.payloadType,
            sequence: info.sequence,
          }),
      },
    });
    const url = (await cameraCall(sim, "startLiveview"))[0] as string;
    const res = await request(url);
    const chunks: Buffer[] = [];
    let stopped = false;
    for await (const chunk of res.body) {
      chunks.push(chunk as Buffer);
      // stopLiveview ends the response at a packet boundary, so the file holds whole packets.
      if (!stopped && sent.length >= 12) {
        stopped = true;
        await cameraCall(sim, "stopLiveview");
      }
    }
    dir = await mkdtemp(join(tmpdir(), "qx10-sim-"));
    const file = join(dir, "liveview.bin");
    await writeFile(file, Buffer.concat(chunks));

    const saved = await readFile(file);
    expect(saved.equals(Buffer.concat(sent.map((p) => p.bytes)))).toBe(true);
    const decoder = new LiveviewDecoder();
    const events = [...decoder.push(saved), ...decoder.end()];
    expect(events.map((e) => (e.type === "discarded" ? e.reason : e.type))).toEqual(
      sent.map((p) => (p.payloadType === 1 ? "jpeg" : "frame_info")),
    );
    events.forEach((e, i) => {
      const p = sent[i];
      if (p === undefined || e.type === "discarded") throw new Error("unexpected event");
      expect(e.sequence).toBe(p.sequence);
      if (e.type === "jpeg") {
        const size = p.bytes.readUIntBE(12, 3);
        expect(
          Buffer.from(e.data).equals(p.bytes.subarray(HEADERS_SIZE, HEADERS_SIZE + size)),
        ).toBe(true);
      }
    });

    // qx10-mqtt decode FILE --out DIR: one line per packet, then the summary; JPEG files cut at
    // the EOI equal the frames the simulator rendered before padding them with junk.
    const out: string[] = [];
    const ctx = {
      signal: new AbortController().signal,
      out: (l: string) => out.push(l),
      err: () => undefined,
      env: {},
    };
    const jpegDir = join(dir, "frames");
    expect(await runDecode([file, "--out", jpegDir], ctx)).toBe(0);
    const lines = out.map((l) => JSON.parse(l) as Record<string, unknown>);
    const summary = lines.pop();
    const jpegCount = sent.filter((p) => p.payloadType === 1).length;
    expect(summary).toEqual({
      frames: sent.length,
      jpeg: jpegCount,
      frame_info: sent.length - jpegCount,
      skipped_bytes: 0,
      resyncs: 0,
      truncated_tail_bytes: 0,
    });
    expect(lines.map((l) => [l["type"], l["seq"]])).toEqual(
      sent.map((p) => [p.payloadType === 1 ? "jpeg" : "frame_info", p.sequence]),
    );
    for (const line of lines.filter((l) => l["type"] === "jpeg")) {
      expect([line["width"], line["height"]]).toEqual([160, 120]);
      const jpeg = await readFile(String(line["file"]));
      const n = readSimComment(jpeg)?.n ?? -1;
      expect(jpeg.equals(renderFrame(n, { width: 160, height: 120, quality: 60 }))).toBe(true);
    }
  });
});

describe.skipIf(!haveFixtures)("replayed real capture", () => {
  it("comes out byte-identical and decodes to its 138 frames", async () => {
    const recording = readFixture("liveview/QX100-liveview-640x480.bin");
    sim = await startTestSim({
      liveview: { replay: recording, replayLoop: false, replayPacing: "fps", fps: 1000 },
    });
    const url = (await cameraCall(sim, "startLiveview"))[0] as string;
    const res = await request(url);
    const body = Buffer.from(await res.body.arrayBuffer());
    dir = await mkdtemp(join(tmpdir(), "qx10-sim-"));
    const file = join(dir, "replay.bin");
    await writeFile(file, body);
    // The capture's 138 complete packets, byte for byte (its truncated 139th is not replayed).
    expect(body.equals(recording.subarray(0, body.length))).toBe(true);
    expect(recording.length - body.length).toBe(9264);
    const out: string[] = [];
    const ctx = {
      signal: new AbortController().signal,
      out: (l: string) => out.push(l),
      err: () => undefined,
      env: {},
    };
    expect(await runDecode([file], ctx)).toBe(0);
    expect(JSON.parse(out.at(-1) ?? "{}")).toEqual({
      frames: 138,
      jpeg: 138,
      frame_info: 0,
      skipped_bytes: 0,
      resyncs: 0,
      truncated_tail_bytes: 0,
    });
  });
});
