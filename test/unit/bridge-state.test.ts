import { describe, expect, it } from "vitest";
import { CAMERA_STATE_KEYS, initialCameraState } from "../../src/camera/events.js";
import {
  buildStateDocument,
  STATE_DOCUMENT_KEYS,
  stateFingerprint,
} from "../../src/bridge/state.js";

describe("state document", () => {
  const at = new Date("2026-11-24T12:00:00.000Z");

  it("has every contract key, in order, null when unknown", () => {
    const doc = buildStateDocument(initialCameraState(), { liveview: false, liveviewFps: 2 }, at);
    expect(Object.keys(doc)).toEqual([...STATE_DOCUMENT_KEYS]);
    expect(doc).toMatchObject({ liveview: false, liveview_fps: 2, updated_at: at.toISOString() });
    for (const key of CAMERA_STATE_KEYS) expect(doc[key]).toBeNull();
  });

  it("covers every camera state key plus liveview, liveview_fps and updated_at", () => {
    expect([...STATE_DOCUMENT_KEYS].sort()).toEqual(
      [...CAMERA_STATE_KEYS, "liveview", "liveview_fps", "updated_at"].sort(),
    );
  });

  it("copies camera values; the fingerprint ignores only updated_at", () => {
    const camera = { ...initialCameraState(), shoot_mode: "still", zoom_position: 40 };
    const a = buildStateDocument(camera, { liveview: true, liveviewFps: 5 }, at);
    const b = buildStateDocument(camera, { liveview: true, liveviewFps: 5 }, new Date(0));
    expect(a).toMatchObject({ shoot_mode: "still", zoom_position: 40, liveview: true });
    expect(stateFingerprint(a)).toBe(stateFingerprint(b));
    const c = buildStateDocument(camera, { liveview: false, liveviewFps: 5 }, at);
    expect(stateFingerprint(c)).not.toBe(stateFingerprint(a));
  });
});
