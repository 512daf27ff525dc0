/**
 * The camera side of the bridge's liveview: startLiveview, then the stream at the URL it returned
 * (camera-api.md §5.1: one reader at a time; §5.4: reconnect = call startLiveview again). The
 * {@link LiveviewPublisher} reconnects with backoff when a stream ends, so one call here is one
 * stream; the HTTP edge and decoding are src/liveview/stream.ts `liveviewEvents`.
 */
import { type CameraApi } from "../camera/api.js";
import { sleep } from "../util/abort.js";
import { type LiveviewEvent } from "../liveview/codec.js";
import { liveviewEvents } from "../liveview/stream.js";

/** Options of {@link openCameraLiveview}. */
export interface OpenLiveviewOptions {
  /** Largest accepted packet payload, bytes (config `liveview.max_bytes`). */
  maxPayloadBytes: number;
  /** How often to look whether an offline camera is back, ms (default 250). */
  offlinePollMs?: number;
}

/**
 * Starts the camera's liveview and yields decoder events until the stream ends or `signal` fires.
 * While the camera is offline it waits for it (looking every `offlinePollMs`) instead of failing,
 * so the publisher's reconnect backoff does not grow during an outage and frames resume as soon
 * as the camera session is back.
 * @param camera - the current camera API, null while offline
 * @throws BridgeError ABORTED when `signal` fires; the camera client's errors from startLiveview;
 *   `liveviewEvents`' LIVEVIEW_STREAM
 */
export async function* openCameraLiveview(
  camera: () => CameraApi | null,
  signal: AbortSignal,
  options: OpenLiveviewOptions,
): AsyncGenerator<LiveviewEvent> {
  let api = camera();
  while (api === null) {
    await sleep(options.offlinePollMs ?? 250, signal);
    api = camera();
  }
  const url = await api.startLiveview({ signal });
  yield* liveviewEvents(url, { signal, maxPayloadBytes: options.maxPayloadBytes });
}
