/**
 * The camera side of the bridge's liveview: startLiveview, then GET the stream URL and decode it
 * (camera-api.md §5.1: one reader at a time, the URL from startLiveview, reconnect = call
 * startLiveview again). The {@link LiveviewPublisher} reconnects with backoff when this ends, so
 * one call here is one stream. Kept minimal on purpose: when src/liveview/stream.ts lands, it can
 * replace the body of {@link openCameraLiveview}.
 */
import { request } from "undici";
import { type CameraApi } from "../camera/api.js";
import { BridgeError } from "../errors.js";
import { LiveviewDecoder, type LiveviewEvent } from "../liveview/codec.js";

/** Options of {@link openCameraLiveview}. */
export interface OpenLiveviewOptions {
  /** Largest accepted packet payload, bytes (config `liveview.max_bytes`). */
  maxPayloadBytes: number;
  /** Time to the response headers, ms (default 10 000). */
  headersTimeoutMs?: number;
  /** Longest gap between body chunks, ms (default 10 000): a stalled camera ends the stream. */
  bodyTimeoutMs?: number;
}

/**
 * Starts the camera's liveview and yields decoder events until the stream ends or `signal` fires.
 * The body is destroyed on every exit path.
 * @throws BridgeError CAMERA_UNREACHABLE when `api` is null (camera offline); LIVEVIEW_STREAM on
 *   an HTTP status other than 200 or a failed body; the camera client's errors from startLiveview
 */
export async function* openCameraLiveview(
  api: CameraApi | null,
  signal: AbortSignal,
  options: OpenLiveviewOptions,
): AsyncGenerator<LiveviewEvent> {
  if (api === null) throw new BridgeError("CAMERA_UNREACHABLE", "camera is offline");
  const url = await api.startLiveview({ signal });
  let response;
  try {
    response = await request(url, {
      method: "GET",
      signal,
      headersTimeout: options.headersTimeoutMs ?? 10_000,
      bodyTimeout: options.bodyTimeoutMs ?? 10_000,
    });
  } catch (e) {
    if (signal.aborted) return;
    throw new BridgeError("LIVEVIEW_STREAM", `liveview GET failed`, { cause: e, context: { url } });
  }
  const body = response.body;
  try {
    if (response.statusCode !== 200) {
      throw new BridgeError("LIVEVIEW_STREAM", `liveview GET: HTTP ${response.statusCode}`, {
        cameraCode: response.statusCode,
        context: { url },
      });
    }
    const decoder = new LiveviewDecoder({ maxPayloadBytes: options.maxPayloadBytes });
    for await (const chunk of body) {
      for (const event of decoder.push(chunk as Uint8Array)) yield event;
    }
  } catch (e) {
    if (signal.aborted) return;
    if (e instanceof BridgeError) throw e;
    throw new BridgeError("LIVEVIEW_STREAM", "liveview stream failed", {
      cause: e,
      context: { url },
    });
  } finally {
    body.destroy();
  }
}
