/**
 * The camera side of the bridge's liveview: startLiveview, then the stream at the URL it returned
 * (camera-api.md §5.1: one reader at a time; §5.4: reconnect = call startLiveview again). The
 * {@link LiveviewPublisher} reconnects with backoff when a stream ends, so one call here is one
 * stream; the HTTP edge and decoding are src/liveview/stream.ts `liveviewEvents`.
 */
import { type CameraApi } from "../camera/api.js";
import { BridgeError } from "../errors.js";
import { type LiveviewEvent } from "../liveview/codec.js";
import { liveviewEvents } from "../liveview/stream.js";

/** Options of {@link openCameraLiveview}. */
export interface OpenLiveviewOptions {
  /** Largest accepted packet payload, bytes (config `liveview.max_bytes`). */
  maxPayloadBytes: number;
}

/**
 * Starts the camera's liveview and yields decoder events until the stream ends or `signal` fires.
 * @throws BridgeError CAMERA_UNREACHABLE when `api` is null (camera offline); the camera client's
 *   errors from startLiveview; `liveviewEvents`' LIVEVIEW_STREAM / ABORTED
 */
export async function* openCameraLiveview(
  api: CameraApi | null,
  signal: AbortSignal,
  options: OpenLiveviewOptions,
): AsyncGenerator<LiveviewEvent> {
  if (api === null) throw new BridgeError("CAMERA_UNREACHABLE", "camera is offline");
  const url = await api.startLiveview({ signal });
  yield* liveviewEvents(url, { signal, maxPayloadBytes: options.maxPayloadBytes });
}
