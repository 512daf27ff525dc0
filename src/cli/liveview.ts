/**
 * `qx10-mqtt liveview [--camera URL] --out DIR [--frames N]` (mqtt-api.md "Command line"): start
 * the camera's liveview, save each frame as a JPEG trimmed to its end marker, stop liveview.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { CameraApi } from "../camera/api.js";
import { type CameraClient } from "../camera/client.js";
import { BridgeError, isBridgeError } from "../errors.js";
import { liveviewSession } from "../liveview/stream.js";
import { sleep, withTimeout } from "../util/abort.js";
import { openCamera, reportFailure } from "./call.js";
import { numberOption, parseCliArgs, type CliCommand } from "./context.js";

const HELP = `Usage: qx10-mqtt liveview [--camera URL] --out DIR [--frames N]

Starts the camera's liveview (startRecMode first where the camera needs it), saves every frame
as DIR/frame-<n>-seq<seq>.jpg (each JPEG ends at its own end marker; the camera's padding junk is
cut off), prints one JSON line per saved frame, and stops liveview on the camera at the end.
Reconnects by itself when the stream drops.

Options:
  --camera URL   ActionList base URL (http://10.0.0.1:10000/sony), a service endpoint or a dd.xml
                 URL; without it the camera is found by SSDP
  --out DIR      directory for the frames (created when missing)
  --frames N     stop after N frames (default: until Ctrl-C)`;

/** How long to wait for shooting APIs after startRecMode (camera-api.md §6.1: SCQX1 waits 5 s). */
const REC_MODE_WAIT_MS = 10_000;

/**
 * Smart-Remote cameras list startRecMode and offer startLiveview only after it (camera-api.md
 * §6.1); the available list changes asynchronously, so poll it.
 */
async function prepareLiveview(api: CameraApi, signal: AbortSignal): Promise<void> {
  let apis = await api.getAvailableApiList({ signal });
  if (apis.includes("startLiveview")) return;
  if (apis.includes("startRecMode")) await api.startRecMode({ signal });
  const deadline = Date.now() + REC_MODE_WAIT_MS;
  while (!apis.includes("startLiveview")) {
    if (Date.now() > deadline) {
      throw new BridgeError("LIVEVIEW_STREAM", "the camera does not offer startLiveview");
    }
    await sleep(250, signal);
    apis = await api.getAvailableApiList({ signal });
  }
}

/**
 * Runs `liveview`.
 * @returns 0 after N frames or on SIGINT/SIGTERM; 1 with the error JSON on stderr
 * @throws BridgeError USAGE for bad arguments
 */
export const runLiveview: CliCommand = async (argv, ctx) => {
  const { values } = parseCliArgs(
    argv,
    {
      camera: { type: "string" },
      out: { type: "string" },
      frames: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    false,
  );
  if (values["help"] === true) {
    ctx.out(HELP);
    return 0;
  }
  const out = values["out"];
  if (typeof out !== "string" || out === "")
    throw new BridgeError("USAGE", "--out DIR is required");
  const frames = numberOption(values["frames"], "frames", Number.POSITIVE_INFINITY);
  if (!(frames >= 1) || (Number.isFinite(frames) && !Number.isInteger(frames))) {
    throw new BridgeError("USAGE", "--frames must be a whole number ≥ 1");
  }
  const cameraUrl = values["camera"];
  const dir = resolve(out);

  let client: CameraClient | undefined;
  let api: CameraApi | undefined;
  let saved = 0;
  try {
    await mkdir(dir, { recursive: true });
    client = await openCamera(typeof cameraUrl === "string" ? cameraUrl : undefined, ctx.signal);
    const camera = new CameraApi(client);
    api = camera;
    await prepareLiveview(camera, ctx.signal);
    const session = liveviewSession({
      signal: ctx.signal,
      openUrl: (s) => camera.startLiveview({ signal: s }),
    });
    for await (const event of session) {
      if (event.type === "reconnect") {
        ctx.err(
          JSON.stringify({ type: "reconnect", attempt: event.attempt, delay_ms: event.delayMs }),
        );
        continue;
      }
      if (event.type === "discarded") {
        ctx.err(JSON.stringify({ type: "discarded", bytes: event.bytes, reason: event.reason }));
        continue;
      }
      if (event.type !== "jpeg" || event.jpegEnd < 0) continue;
      const file = join(
        dir,
        `frame-${String(saved).padStart(5, "0")}-seq${String(event.sequence)}.jpg`,
      );
      await writeFile(file, event.data.subarray(0, event.jpegEnd));
      saved += 1;
      ctx.out(JSON.stringify({ file, seq: event.sequence, bytes: event.jpegEnd }));
      // Leaving the loop returns the generator, which releases the stream.
      if (saved >= frames) break;
    }
    return 0;
  } catch (e) {
    // Ctrl-C ends the session with ABORTED: a normal end for a viewer.
    if (isBridgeError(e, "ABORTED")) return 0;
    return reportFailure(e, ctx);
  } finally {
    // Stop the camera's stream (battery); best effort, bounded, even after Ctrl-C.
    if (api !== undefined) {
      await api.stopLiveview({ signal: withTimeout(undefined, 3000) }).catch(() => undefined);
    }
    await client?.close();
  }
};
