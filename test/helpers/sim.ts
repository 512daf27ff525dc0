/**
 * Starting and stopping the camera simulator in tests, plus raw wire helpers (undici) for tests
 * that check exact bytes rather than going through the client.
 */
import { request } from "undici";
import { startSimulator, type Simulator, type SimulatorOptions } from "../../src/sim/simulator.js";
import { type SimTimings } from "../../src/sim/camera.js";

/** Timings that keep tests fast but still asynchronous. */
export const FAST_TIMINGS: Partial<SimTimings> = {
  settingDelayMs: 20,
  captureMs: 60,
  saveMs: 30,
  selfTimerUnitMs: 50,
  takePictureTimeoutMs: 2000,
  eventTimeoutMs: 1500,
  movieWaitStartMs: 30,
  movieWaitStopMs: 20,
  movieSaveMs: 30,
  zoomTickMs: 10,
  zoomStepPercent: 10,
  zoomOneShotPercent: 10,
  focusMs: 40,
  recModeDelayMs: 50,
};

/** Starts a simulator on 127.0.0.1 with ephemeral ports and {@link FAST_TIMINGS}. */
export async function startTestSim(options: SimulatorOptions = {}): Promise<Simulator> {
  return startSimulator({
    postviewSize: { width: 320, height: 240 },
    ...options,
    timings: { ...FAST_TIMINGS, ...options.timings },
  });
}

/** A raw HTTP reply. */
export interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The parsed body (undefined when it is not JSON). */
  json: unknown;
}

/** POSTs `body` verbatim to `url` and reads the whole reply. */
export async function postRaw(url: string, body: string): Promise<RawReply> {
  const res = await request(url, {
    method: "POST",
    body,
    headers: { "content-type": "application/json" },
  });
  const text = await res.body.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers: res.headers, text, json };
}

/** One JSON-RPC call over the wire: `{method, params, id, version}`. */
export async function rpcRaw(
  url: string,
  method: string,
  params: unknown[] = [],
  version = "1.0",
  id = 1,
): Promise<RawReply> {
  return postRaw(url, JSON.stringify({ method, params, id, version }));
}

/** Calls a camera-service method and returns `result`, failing the test on an error reply. */
export async function cameraCall(
  sim: Simulator,
  method: string,
  params: unknown[] = [],
  version = "1.0",
): Promise<unknown[]> {
  const endpoint = sim.urls.endpoints["camera"] ?? "";
  const reply = await rpcRaw(endpoint, method, params, version);
  const body = reply.json as { result?: unknown[]; error?: unknown };
  if (body.result === undefined) {
    throw new Error(`${method} failed: ${reply.status} ${reply.text}`);
  }
  return body.result;
}

/** Polls `check` every few ms until it returns true or `timeoutMs` passes. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 3000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("waitFor: condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}
