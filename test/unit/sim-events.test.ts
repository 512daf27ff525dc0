/** getEvent snapshots and deltas of the simulator (camera-api.md §4.2–4.3), pure. */
import { describe, expect, it } from "vitest";
import {
  buildEventSlots,
  diffEventSlots,
  emptyEventSlots,
  type EventState,
} from "../../src/sim/events.js";
import { defaultSettings } from "../../src/sim/profile.js";

function state(over: Partial<EventState> = {}): EventState {
  return {
    apiList: ["getEvent"],
    cameraStatus: "IDLE",
    zoomPosition: 0,
    liveviewStatus: false,
    pendingPictureUrls: [],
    recordableImages: 10,
    settings: defaultSettings(),
    programControls: false,
    touchAfSet: false,
    focusStatus: "Not Focusing",
    cameraFunctionResult: "",
    formatResult: "",
    battery: false,
    ...over,
  };
}

const reported = (slots: unknown[]): string[] => slots.map((v) => JSON.stringify(v));

describe("buildEventSlots", () => {
  it("sorts keys alphabetically like the QX100 reply", () => {
    const slots = buildEventSlots(state(), 35);
    expect(Object.keys(slots[2] as object)).toEqual([
      "type",
      "zoomIndexCurrentBox",
      "zoomNumberBox",
      "zoomPosition",
      "zoomPositionCurrentBox",
    ]);
    expect(Object.keys((slots[10] as object[])[0] ?? {})).toEqual([
      "numberOfRecordableImages",
      "recordTarget",
      "recordableTime",
      "storageDescription",
      "storageID",
      "type",
    ]);
  });

  it("empties the candidates of settings a movie cannot change", () => {
    const settings = { ...defaultSettings(), shootMode: "movie" as const };
    const slots = buildEventSlots(state({ settings }), 35);
    expect(slots[20]).toEqual({ currentSelfTimer: 0, selfTimerCandidates: [], type: "selfTimer" });
  });
});

describe("diffEventSlots", () => {
  it("reports nothing when nothing changed", () => {
    const slots = buildEventSlots(state(), 36);
    expect(diffEventSlots(slots, reported(slots))).toBeNull();
  });

  it("reports only changed slots, null/[] elsewhere", () => {
    const before = buildEventSlots(state(), 35);
    const after = buildEventSlots(state({ cameraStatus: "StillCapturing" }), 35);
    const delta = diffEventSlots(after, reported(before));
    expect(delta?.[1]).toEqual({ cameraStatus: "StillCapturing", type: "cameraStatus" });
    expect(
      delta?.filter((v, i) => i !== 1 && v !== null && !(Array.isArray(v) && v.length === 0)),
    ).toEqual([]);
    expect([delta?.[5], delta?.[6], delta?.[10]]).toEqual([[], [], []]);
  });

  it("always reports pending picture URLs", () => {
    const slots = buildEventSlots(state({ pendingPictureUrls: ["u1", "u2"] }), 35);
    const delta = diffEventSlots(slots, reported(slots));
    expect(delta?.[5]).toEqual([{ takePictureUrl: ["u1", "u2"], type: "takePicture" }]);
  });

  it("does not count a slot that became null as a change", () => {
    const before = buildEventSlots(state({ programControls: true }), 35);
    const after = buildEventSlots(state({ programControls: false }), 35);
    expect(diffEventSlots(after, reported(before))).toBeNull();
  });

  it("emptyEventSlots has [] at 5, 6 and 10 only", () => {
    const empty = emptyEventSlots(36);
    expect(empty).toHaveLength(36);
    expect(empty.filter((v) => v !== null)).toEqual([[], [], []]);
  });
});
