/**
 * The liveview the simulator serves, saved to a file, decodes to exactly the packets it sent
 * (issue 3 "Done when"). Decoded with the project's LiveviewDecoder from the saved file.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { LiveviewDecoder } from "../../src/liveview/codec.js";
import { HEADERS_SIZE } from "../../src/liveview/types.js";
import { type Simulator } from "../../src/sim/simulator.js";
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
  });
});
