/**
 * LatestThrottle (src/bridge/liveview-throttle.ts) on fake timers with an injected clock: the
 * rate limit, latest-wins, in-flight replacement, stale drop, interval 0 (per-viewer use, issue 9).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LatestThrottle, type ThrottleSinkResult } from "../../src/bridge/liveview-throttle.js";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function throttle(
  intervalMs: number,
  send: (v: number) => ThrottleSinkResult,
  staleMs?: number,
): LatestThrottle<number> {
  return new LatestThrottle<number>({
    intervalMs,
    send,
    now: () => Date.now(),
    ...(staleMs === undefined ? {} : { staleMs }),
  });
}

describe("LatestThrottle", () => {
  it("sends at once when allowed, else the newest value when the interval is over", async () => {
    const t0 = Date.now();
    const sent: [number, number][] = [];
    const th = throttle(100, (v) => {
      sent.push([Date.now() - t0, v]);
      return undefined;
    });
    th.offer(1); // t=0: at once
    await vi.advanceTimersByTimeAsync(30);
    th.offer(2);
    await vi.advanceTimersByTimeAsync(30);
    th.offer(3); // replaces 2
    await vi.advanceTimersByTimeAsync(100); // 3 at t=100
    await vi.advanceTimersByTimeAsync(140);
    th.offer(4); // t=300: interval long over: at once
    expect(sent).toEqual([
      [0, 1],
      [100, 3],
      [300, 4],
    ]);
    expect(th.stats).toMatchObject({ offered: 4, sent: 3, throttled: 1, superseded: 0, stale: 0 });
    expect(vi.getTimerCount()).toBe(0);
  });

  it("keeps one value while a send is in flight; counts replaced ones", async () => {
    const resolvers: ((ok: boolean) => void)[] = [];
    const sent: number[] = [];
    const th = throttle(0, (v) => {
      sent.push(v);
      return new Promise<boolean>((res) => resolvers.push(res));
    });
    th.offer(1);
    for (let v = 2; v <= 50; v++) th.offer(v);
    expect(sent).toEqual([1]);
    expect(th.busy).toBe(true);
    resolvers[0]?.(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toEqual([1, 50]);
    resolvers[1]?.(false);
    await th.idle();
    expect(th.stats).toMatchObject({ sent: 1, refused: 1, superseded: 48, throttled: 0 });
  });

  it("drops a value that became stale while waiting", async () => {
    let resolve: ((ok: boolean) => void) | undefined;
    const sent: number[] = [];
    const th = throttle(
      10,
      (v) => {
        sent.push(v);
        return new Promise<boolean>((res) => (resolve = res));
      },
      500,
    );
    th.offer(1);
    th.offer(2);
    await vi.advanceTimersByTimeAsync(600);
    resolve?.(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toEqual([1]);
    expect(th.stats).toMatchObject({ sent: 1, stale: 1 });
  });

  it("survives a sink that throws or rejects, and reports it", async () => {
    const errors: unknown[] = [];
    let n = 0;
    const th = new LatestThrottle<number>({
      intervalMs: 0,
      now: () => Date.now(),
      send: () => {
        n++;
        if (n === 1) throw new Error("sync");
        return Promise.reject(new Error("async"));
      },
      onError: (e) => errors.push(e),
    });
    th.offer(1);
    th.offer(2);
    await th.idle();
    th.offer(3);
    await th.idle();
    expect(n).toBe(3);
    expect(errors.map((e) => (e as Error).message)).toEqual(["sync", "async", "async"]);
    expect(th.stats.errors).toBe(3);
  });

  it("setInterval applies to the waiting value; clear and close drop it", async () => {
    const sent: number[] = [];
    const th = throttle(1000, (v) => {
      sent.push(v);
      return undefined;
    });
    th.offer(1);
    th.offer(2);
    await vi.advanceTimersByTimeAsync(100);
    th.setInterval(50); // 100 ms since the last send: 2 goes now
    expect(sent).toEqual([1, 2]);
    th.offer(3);
    th.clear();
    await vi.advanceTimersByTimeAsync(100);
    expect(sent).toEqual([1, 2]);
    th.close();
    th.offer(4);
    await vi.advanceTimersByTimeAsync(100);
    expect(sent).toEqual([1, 2]);
    expect(vi.getTimerCount()).toBe(0);
    expect(() => {
      th.setInterval(-1);
    }).toThrow(RangeError);
    expect(() => throttle(Number.NaN, () => undefined)).toThrow(RangeError);
  });
});
