/**
 * The `<base>/state` document (mqtt-api.md "State document"): the camera state from the getEvent
 * loop plus the bridge's own liveview switches and a timestamp. Pure: values in, values out.
 *
 * Every key is always present (`null` when unknown), so Home Assistant templates never see a
 * missing key (mqtt-ha.md §1.5, Zigbee2MQTT "mockProperties"). Key order follows the contract's
 * list; `exposure_compensation_range` (an extra key of {@link CameraState}) sits after
 * `exposure_compensation`.
 */
import { type CameraState } from "../camera/events.js";

/** The bridge-side part of the state document. */
export interface BridgeSideState {
  /** Whether frames are being published to `<base>/liveview` (the `cmd/liveview` switch). */
  liveview: boolean;
  /** The publishing throttle, frames per second. */
  liveviewFps: number;
}

/** Keys of the state document, in publishing order. */
export const STATE_DOCUMENT_KEYS = [
  "camera_status",
  "shoot_mode",
  "shoot_modes",
  "zoom_position",
  "liveview",
  "liveview_status",
  "liveview_fps",
  "self_timer",
  "self_timers",
  "exposure_mode",
  "exposure_modes",
  "iso",
  "isos",
  "white_balance",
  "white_balances",
  "exposure_compensation",
  "exposure_compensation_range",
  "still_size",
  "still_sizes",
  "postview_size",
  "beep_mode",
  "focus_status",
  "battery",
  "storage",
  "available_apis",
  "last_picture_url",
  "updated_at",
] as const;

/** One key of the state document. */
export type StateDocumentKey = (typeof STATE_DOCUMENT_KEYS)[number];

/** The state document as an object whose key order is {@link STATE_DOCUMENT_KEYS}. */
export type StateDocument = Record<StateDocumentKey, unknown>;

/**
 * Builds the state document.
 * @param camera - the camera state (all-null while nothing is known)
 * @param bridge - the bridge's liveview switches
 * @param updatedAt - the time of the change the document reflects (becomes ISO 8601 `updated_at`)
 */
export function buildStateDocument(
  camera: CameraState,
  bridge: BridgeSideState,
  updatedAt: Date,
): StateDocument {
  const doc = {} as StateDocument;
  for (const key of STATE_DOCUMENT_KEYS) {
    if (key === "liveview") doc[key] = bridge.liveview;
    else if (key === "liveview_fps") doc[key] = bridge.liveviewFps;
    else if (key === "updated_at") doc[key] = updatedAt.toISOString();
    else doc[key] = camera[key];
  }
  return doc;
}

/**
 * The document's JSON without `updated_at`, to tell whether anything but the time changed (the
 * bridge republishes only on a real change).
 */
export function stateFingerprint(doc: StateDocument): string {
  return JSON.stringify(doc, (k, v: unknown) => (k === "updated_at" ? undefined : v));
}
