/**
 * MJPEG framing and the per-viewer back-pressure of src/http/mjpeg.ts, against a fake sink whose
 * "socket" takes bytes only when the test says so. The written bytes are read back with the strict
 * multipart parser of the integration tests.
 */
import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import {
  MJPEG_BOUNDARY,
  MJPEG_CONTENT_TYPE,
  MjpegViewer,
  mjpegPartHeader,
  type MjpegSink,
} from "../../src/http/mjpeg.js";
import { StrictMultipartParser } from "../integration/http-mjpeg-reader.js";

/** A fake JPEG of `n` bytes whose third byte is `tag`. */
function jpeg(tag: number, n = 1000): Uint8Array {
  const b = new Uint8Array(n).fill(0x55);
  b[0] = 0xff;
  b[1] = 0xd8;
  b[2] = tag;
  b[n - 2] = 0xff;
  b[n - 1] = 0xd9;
  return b;
}

/** Buffers writes; reports "full" above `hwm` until flush() hands everything to the "kernel". */
class FakeSink extends EventEmitter implements MjpegSink {
  queued: Buffer[] = [];
  flushed: Buffer[] = [];
  destroyed = false;
  corked = 0;
  constructor(readonly hwm: number) {
    super();
  }
  get writableLength(): number {
    return this.queued.reduce((n, b) => n + b.length, 0);
  }
  write(chunk: Uint8Array): boolean {
    this.queued.push(Buffer.from(chunk));
    return this.writableLength < this.hwm;
  }
  cork(): void {
    this.corked++;
  }
  uncork(): void {
    this.corked--;
  }
  flush(): void {
    this.flushed.push(...this.queued);
    this.queued = [];
    this.emit("drain");
  }
  destroy(): void {
    this.destroyed = true;
    this.emit("close");
  }
  all(): Buffer {
    return Buffer.concat([...this.flushed, ...this.queued]);
  }
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe("MJPEG framing", () => {
  it("a part is delimiter, Content-Type, Content-Length, blank line (CRLF everywhere)", () => {
    expect(MJPEG_CONTENT_TYPE).toBe(`multipart/x-mixed-replace; boundary=${MJPEG_BOUNDARY}`);
    expect(mjpegPartHeader(1234).toString("latin1")).toBe(
      `--${MJPEG_BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: 1234\r\n\r\n`,
    );
    expect(MJPEG_BOUNDARY).toMatch(/^[A-Za-z0-9'()+_,./:=?-]{1,70}$/); // RFC 2046 bchars
  });
});

describe("MjpegViewer", () => {
  it("writes every frame while the sink keeps up, each as one corked part", async () => {
    const sink = new FakeSink(1 << 20);
    const v = new MjpegViewer(sink);
    for (let i = 0; i < 5; i++) v.offer(jpeg(i));
    await tick();
    expect(sink.corked).toBe(0);
    const parts = new StrictMultipartParser(MJPEG_BOUNDARY).push(sink.all());
    expect(parts.map((p) => p.jpeg[2])).toEqual([0, 1, 2, 3, 4]);
    expect(parts.every((p) => p.headers["content-length"] === "1000")).toBe(true);
    expect(v.stats).toMatchObject({ sent: 5, skipped: 0, bytes: 5000, stalled: 0 });
    v.close();
  });

  it("while the sink is full, newer frames replace each other; after drain the newest goes out", async () => {
    const sink = new FakeSink(500); // every 1000-byte frame fills it
    const v = new MjpegViewer(sink, { stallTimeoutMs: 60_000 });
    v.offer(jpeg(1));
    for (let i = 2; i <= 50; i++) v.offer(jpeg(i)); // 49 frames while waiting for drain
    await tick();
    expect(v.stats.sent).toBe(1);
    expect(v.stats.skipped).toBe(48); // 2..49 replaced; 50 waits in the slot
    // Bounded: one frame queued in the sink, however many were offered.
    expect(sink.writableLength).toBe(mjpegPartHeader(1000).length + 1000 + 2);
    sink.flush();
    await tick();
    expect(v.stats.sent).toBe(2);
    sink.flush();
    const parts = new StrictMultipartParser(MJPEG_BOUNDARY).push(sink.all());
    expect(parts.map((p) => p.jpeg[2])).toEqual([1, 50]);
    expect(v.stats.maxBuffered).toBe(mjpegPartHeader(1000).length + 1002);
    v.close();
  });

  it("drops a viewer whose sink takes nothing within the stall timeout", async () => {
    const sink = new FakeSink(500);
    const v = new MjpegViewer(sink, { stallTimeoutMs: 30 });
    v.offer(jpeg(1));
    v.offer(jpeg(2));
    await new Promise((r) => setTimeout(r, 80));
    expect(sink.destroyed).toBe(true);
    expect(v.stats.stalled).toBe(1);
    v.offer(jpeg(3));
    await tick();
    expect(v.stats.sent).toBe(1);
    v.close();
  });

  it("close() and a closed sink end it: nothing more is written", async () => {
    const sink = new FakeSink(500);
    const v = new MjpegViewer(sink, { stallTimeoutMs: 60_000 });
    v.offer(jpeg(1));
    v.offer(jpeg(2));
    sink.destroy(); // the client went away while a write was pending
    await tick();
    v.offer(jpeg(3));
    await tick();
    expect(v.stats.sent).toBe(1);
    v.close();
    v.close();
    v.offer(jpeg(4));
    expect(v.stats.sent).toBe(1);
  });
});
