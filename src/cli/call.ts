/**
 * `qx10-mqtt call METHOD [PARAMS_JSON] [--service camera] [--version 1.0] [--camera URL]`
 * (mqtt-api.md "Command line"): one JSON-RPC call, the result array on stdout as one JSON line.
 */
import { CameraClient } from "../camera/client.js";
import { resolveCamera } from "../camera/discover.js";
import { type CameraService } from "../camera/types.js";
import { BridgeError, isBridgeError } from "../errors.js";
import { numberOption, parseCliArgs, type CliCommand, type CliContext } from "./context.js";

const SERVICES: readonly CameraService[] = [
  "camera",
  "system",
  "guide",
  "accessControl",
  "avContent",
];

const HELP = `Usage: qx10-mqtt call METHOD [PARAMS_JSON] [options]

Makes one JSON-RPC call and prints its result array as one JSON line. A camera error is printed
on stderr as {"error","code","camera_code"} with exit code 1.

  PARAMS_JSON          a JSON array, e.g. '[2]' or '["in","1shot"]' (default [])

Options:
  --service NAME       ${SERVICES.join(", ")} (default camera)
  --version X.Y        API version of the method (default 1.0)
  --camera URL         ActionList base URL (http://10.0.0.1:10000/sony), a service endpoint or a
                       dd.xml URL; without it the camera is found by SSDP
  --timeout S          call timeout in seconds (default: per method, 10 s for most)`;

/**
 * Finds the camera (`--camera URL` or SSDP) and opens a client to it. The caller closes it.
 * @throws BridgeError USAGE for a malformed URL; CAMERA_NOT_FOUND; discovery errors; ABORTED
 */
export async function openCamera(
  cameraUrl: string | undefined,
  signal: AbortSignal,
): Promise<CameraClient> {
  const camera = await resolveCamera({ cameraUrl, signal });
  return new CameraClient({ endpoints: camera.endpoints });
}

/**
 * Reports a runtime failure as one JSON line on stderr, `{"error","code","camera_code"}`, and
 * returns exit code 1. USAGE and ABORTED errors and non-BridgeErrors are rethrown for main.ts
 * (exit 2, exit 0, exit 1 with the message).
 */
export function reportFailure(e: unknown, ctx: CliContext): number {
  if (!isBridgeError(e) || e.code === "USAGE" || e.code === "ABORTED") throw e;
  ctx.err(JSON.stringify({ error: e.message, code: e.code, camera_code: e.cameraCode ?? null }));
  return 1;
}

/** Parses PARAMS_JSON: it must be a JSON array (the API's params are always one). */
function parseParams(text: string | undefined): unknown[] {
  if (text === undefined) return [];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new BridgeError("USAGE", `PARAMS_JSON is not JSON: ${text}`, { cause: e });
  }
  if (!Array.isArray(value)) {
    throw new BridgeError("USAGE", `PARAMS_JSON must be a JSON array, e.g. [${text}]`);
  }
  return value as unknown[];
}

/** `--timeout S` in ms, or undefined for the per-method default. */
export function timeoutOption(value: string | boolean | undefined): number | undefined {
  if (value === undefined) return undefined;
  const seconds = numberOption(value, "timeout", 0);
  if (!(seconds > 0) || seconds > 3600) {
    throw new BridgeError("USAGE", "--timeout must be between 0 and 3600 seconds");
  }
  return Math.round(seconds * 1000);
}

/**
 * Runs `call`.
 * @returns 0 with the result on stdout; 1 with the error JSON on stderr for camera/runtime errors
 * @throws BridgeError USAGE for bad arguments (exit 2 in main.ts); ABORTED on SIGINT/SIGTERM
 */
export const runCall: CliCommand = async (argv, ctx) => {
  const { values, positionals } = parseCliArgs(argv, {
    service: { type: "string" },
    version: { type: "string" },
    camera: { type: "string" },
    timeout: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values["help"] === true) {
    ctx.out(HELP);
    return 0;
  }
  const [method, paramsText, ...extra] = positionals;
  if (method === undefined || method === "") {
    throw new BridgeError("USAGE", "call needs a METHOD (see qx10-mqtt call --help)");
  }
  if (extra.length > 0) {
    throw new BridgeError("USAGE", `unexpected arguments: ${extra.join(" ")} (quote PARAMS_JSON)`);
  }
  const params = parseParams(paramsText);
  const service = values["service"] ?? "camera";
  if (typeof service !== "string" || !(SERVICES as readonly string[]).includes(service)) {
    throw new BridgeError("USAGE", `--service must be one of ${SERVICES.join(", ")}`);
  }
  const version = values["version"] ?? "1.0";
  if (typeof version !== "string" || !/^\d+\.\d+$/.test(version)) {
    throw new BridgeError("USAGE", '--version must look like "1.0"');
  }
  const timeoutMs = timeoutOption(values["timeout"]);
  const cameraUrl = values["camera"];

  let client: CameraClient | undefined;
  try {
    client = await openCamera(typeof cameraUrl === "string" ? cameraUrl : undefined, ctx.signal);
    const result = await client.call(
      service as CameraService,
      method,
      params,
      version,
      timeoutMs === undefined ? { signal: ctx.signal } : { signal: ctx.signal, timeoutMs },
    );
    ctx.out(JSON.stringify(result));
    return 0;
  } catch (e) {
    return reportFailure(e, ctx);
  } finally {
    await client?.close();
  }
};
