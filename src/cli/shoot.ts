/**
 * `qx10-mqtt shoot [--camera URL] [--out FILE]` (mqtt-api.md "Command line"): take one picture,
 * download its postview image, write it to a file.
 */
import { stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { CameraApi } from "../camera/api.js";
import { type CameraClient } from "../camera/client.js";
import { BridgeError } from "../errors.js";
import { openCamera, reportFailure, timeoutOption } from "./call.js";
import { parseCliArgs, type CliCommand } from "./context.js";

const HELP = `Usage: qx10-mqtt shoot [--camera URL] [--out FILE]

Takes a picture (actTakePicture, awaitTakePicture while the camera is still capturing), downloads
the postview image and writes it. Prints {"url","bytes","file"}.

Options:
  --camera URL   ActionList base URL (http://10.0.0.1:10000/sony), a service endpoint or a dd.xml
                 URL; without it the camera is found by SSDP
  --out FILE     where to write the image; a directory gets the camera's file name
                 (default: the camera's file name, e.g. pict140318_1624510000.JPG, here)
  --timeout S    give up when no picture arrived within S seconds (default 60)`;

/**
 * The file name of a postview URL: the last path segment, e.g. `pict140318_1624510000.JPG` for
 * `http://10.0.0.1:60152/pict140318_1624510000.JPG?%211234%21…` (camera-api.md §1.4). Anything
 * that is not a plain file name falls back to `postview.jpg`.
 */
export function fileNameFromUrl(url: string): string {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    return "postview.jpg";
  }
  let name = path.slice(path.lastIndexOf("/") + 1);
  try {
    name = decodeURIComponent(name);
  } catch {
    // keep it encoded
  }
  return /^[\w][\w.-]*$/.test(name) ? name : "postview.jpg";
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Runs `shoot`.
 * @returns 0 with `{"url","bytes","file"}` on stdout; 1 with the error JSON on stderr
 * @throws BridgeError USAGE for bad arguments (exit 2 in main.ts); ABORTED on SIGINT/SIGTERM
 */
export const runShoot: CliCommand = async (argv, ctx) => {
  const { values } = parseCliArgs(
    argv,
    {
      camera: { type: "string" },
      out: { type: "string" },
      timeout: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    false,
  );
  if (values["help"] === true) {
    ctx.out(HELP);
    return 0;
  }
  const cameraUrl = values["camera"];
  const out = values["out"];
  if (out === "") throw new BridgeError("USAGE", "--out needs a file name");
  const deadlineMs = timeoutOption(values["timeout"]);

  let client: CameraClient | undefined;
  try {
    client = await openCamera(typeof cameraUrl === "string" ? cameraUrl : undefined, ctx.signal);
    const api = new CameraApi(client);
    const urls = await api.takePicture(
      deadlineMs === undefined ? { signal: ctx.signal } : { signal: ctx.signal, deadlineMs },
    );
    // takePicture never returns an empty list (CAMERA_PROTOCOL instead).
    const url = urls[0] ?? "";
    const { bytes } = await client.download(url, { signal: ctx.signal });
    let file = typeof out === "string" ? resolve(out) : resolve(fileNameFromUrl(url));
    if (typeof out === "string" && (out.endsWith("/") || (await isDirectory(file)))) {
      file = join(file, fileNameFromUrl(url));
    }
    await writeFile(file, bytes);
    ctx.out(JSON.stringify({ url, bytes: bytes.length, file }));
    return 0;
  } catch (e) {
    return reportFailure(e, ctx);
  } finally {
    await client?.close();
  }
};
