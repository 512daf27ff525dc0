/**
 * `qx10-mqtt decode FILE [--out DIR]` (mqtt-api.md "Command line"): decode a recorded liveview
 * byte stream (a de-chunked HTTP body, camera-api.md §5.2) offline, e.g. the QX100 capture of §5.3.
 */
import { createReadStream } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { BridgeError } from "../errors.js";
import { abortError } from "../util/abort.js";
import { LiveviewDecoder, type LiveviewEvent } from "../liveview/codec.js";
import { jpegSize } from "../liveview/jpeg.js";
import { parseCliArgs, type CliCommand, type CliContext } from "./context.js";

const HELP = `Usage: qx10-mqtt decode FILE [--out DIR]

Decodes a recorded liveview byte stream (the de-chunked body of the liveview GET) and prints one
JSON line per packet or discarded region, then one summary line:
  {"type":"jpeg","seq","timestamp","offset","payload_type","bytes","jpeg_bytes","width","height"[,"file"]}
  {"type":"frame_info","seq","timestamp","offset","version","frames":[{"x1","y1","x2","y2","category","status","additional"}]}
  {"type":"playback_info","seq","timestamp","offset","duration_ms","position_ms"}
  {"type":"discarded","offset","bytes","reason"}
  {"frames","jpeg","frame_info","skipped_bytes","resyncs","truncated_tail_bytes"}
offset: byte offset in FILE; bytes: payload size (JPEG region with the camera's junk after the
EOI); jpeg_bytes: size up to the JPEG's structural EOI (null if incomplete); width/height: from
the JPEG's SOF marker (null if none); frames in the summary: packets decoded, all types.

Options:
  --out DIR   also write each JPEG, cut at its EOI, as DIR/frame-<index>-seq<seq>.jpg`;

/** Running state of one decode. */
interface DecodeRun {
  ctx: CliContext;
  outDir: string | undefined;
  jpegIndex: number;
}

async function report(event: LiveviewEvent, run: DecodeRun): Promise<void> {
  const { ctx } = run;
  switch (event.type) {
    case "jpeg": {
      const size = jpegSize(event.data);
      const line: Record<string, unknown> = {
        type: "jpeg",
        seq: event.sequence,
        timestamp: event.timestamp,
        offset: event.offset,
        payload_type: event.payloadType,
        bytes: event.data.length,
        jpeg_bytes: event.jpegEnd < 0 ? null : event.jpegEnd,
        width: size?.width ?? null,
        height: size?.height ?? null,
      };
      if (run.outDir !== undefined) {
        let file: string | null = null;
        if (event.jpegEnd >= 0) {
          const index = String(run.jpegIndex).padStart(5, "0");
          file = join(run.outDir, `frame-${index}-seq${event.sequence}.jpg`);
          await writeFile(file, event.data.subarray(0, event.jpegEnd));
        }
        line["file"] = file;
      }
      run.jpegIndex++;
      ctx.out(JSON.stringify(line));
      return;
    }
    case "frame_info":
      ctx.out(
        JSON.stringify({
          type: "frame_info",
          seq: event.sequence,
          timestamp: event.timestamp,
          offset: event.offset,
          version: `${event.version.major}.${event.version.minor}`,
          frames: event.frames.map((f) => ({
            x1: f.topLeft.x,
            y1: f.topLeft.y,
            x2: f.bottomRight.x,
            y2: f.bottomRight.y,
            category: f.category,
            status: f.status,
            additional: f.additional,
          })),
        }),
      );
      return;
    case "playback_info":
      ctx.out(
        JSON.stringify({
          type: "playback_info",
          seq: event.sequence,
          timestamp: event.timestamp,
          offset: event.offset,
          duration_ms: event.durationMs,
          position_ms: event.positionMs,
        }),
      );
      return;
    case "discarded":
      ctx.out(
        JSON.stringify({
          type: "discarded",
          offset: event.offset,
          bytes: event.bytes,
          reason: event.reason,
        }),
      );
      return;
  }
}

function describeError(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Runs `decode`: streams FILE through the liveview decoder in chunks.
 * @returns 0 after the summary line; 1 when FILE cannot be read or DIR not written (message on
 *   stderr)
 * @throws BridgeError USAGE for bad arguments (exit 2 in main.ts); ABORTED on SIGINT/SIGTERM
 */
export const runDecode: CliCommand = async (argv, ctx) => {
  const { values, positionals } = parseCliArgs(argv, {
    out: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values["help"] === true) {
    ctx.out(HELP);
    return 0;
  }
  const [file, ...extra] = positionals;
  if (file === undefined || file === "") {
    throw new BridgeError("USAGE", "decode needs a FILE: qx10-mqtt decode FILE [--out DIR]");
  }
  if (extra.length > 0) {
    throw new BridgeError("USAGE", `decode takes one FILE, got also: ${extra.join(" ")}`);
  }
  const out = values["out"];
  if (out === "" || out === true) throw new BridgeError("USAGE", "--out needs a directory");
  const outDir = typeof out === "string" ? out : undefined;

  if (outDir !== undefined) {
    try {
      await mkdir(outDir, { recursive: true });
    } catch (e) {
      ctx.err(`decode: cannot create ${outDir}: ${describeError(e)}`);
      return 1;
    }
  }

  const decoder = new LiveviewDecoder();
  const run: DecodeRun = { ctx, outDir, jpegIndex: 0 };
  let reading = true;
  try {
    // Chunks are processed (and files written) before the next is read: emitted data may point
    // into the chunk.
    for await (const chunk of createReadStream(file, { signal: ctx.signal })) {
      reading = false;
      for (const event of decoder.push(chunk as Buffer)) await report(event, run);
      reading = true;
    }
  } catch (e) {
    if (ctx.signal.aborted) throw abortError(ctx.signal);
    ctx.err(`decode: ${reading ? `cannot read ${file}: ` : ""}${describeError(e)}`);
    return 1;
  }
  try {
    for (const event of decoder.end()) await report(event, run);
  } catch (e) {
    ctx.err(`decode: ${describeError(e)}`);
    return 1;
  }
  const stats = decoder.stats;
  ctx.out(
    JSON.stringify({
      frames: stats.packets,
      jpeg: stats.jpeg,
      frame_info: stats.frameInfo,
      skipped_bytes: stats.skippedBytes,
      resyncs: stats.resyncs,
      truncated_tail_bytes: stats.truncatedBytes,
    }),
  );
  return 0;
};
