/**
 * Structural JPEG end, trimming and size (camera-api.md §5.4): marker walk to SOS, first FF D9
 * in the scan data, never the last FF D9.
 */
import { describe, expect, it } from "vitest";
import { findJpegEnd, jpegSize, trimJpeg } from "../../src/liveview/jpeg.js";
import { qxJunk, rng, syntheticJpeg } from "../helpers/liveview-data.js";

function seg(marker: number, body: number[]): number[] {
  const len = body.length + 2;
  return [0xff, marker, len >> 8, len & 0xff, ...body];
}

describe("findJpegEnd / trimJpeg", () => {
  it("ends at the EOI, not at an FF D9 in the junk after it", () => {
    const r = rng(1);
    for (let i = 0; i < 50; i++) {
      const jpeg = syntheticJpeg(r, {
        scanBytes: 100 + i * 37,
        thumbnail: i % 3 === 0,
        traps: i % 2 === 0,
      });
      const junk = qxJunk(r, 1 + (i % 127));
      const data = Buffer.concat([jpeg, junk]);
      expect(findJpegEnd(data)).toBe(jpeg.length);
      expect(Buffer.from(trimJpeg(data) ?? [])).toEqual(jpeg);
      expect(findJpegEnd(jpeg)).toBe(jpeg.length);
    }
  });

  it("returns a subarray, not a copy", () => {
    const data = Buffer.concat([syntheticJpeg(rng(2)), Buffer.from([0xff, 0xd9, 1, 2])]);
    const t = trimJpeg(data);
    expect(t?.buffer).toBe(data.buffer);
    expect(t?.byteOffset).toBe(data.byteOffset);
  });

  it("skips FF D9 inside header tables and inside an APP1 thumbnail", () => {
    const r = rng(3);
    const jpeg = syntheticJpeg(r, { thumbnail: true, scanBytes: 300 });
    const firstEoi = jpeg.indexOf(Buffer.from([0xff, 0xd9]));
    expect(firstEoi).toBeLessThan(jpeg.length - 2); // the thumbnail's (or the DQT's) FF D9
    expect(findJpegEnd(jpeg)).toBe(jpeg.length);
  });

  it("is -1 for every proper prefix of a JPEG (a cut-off frame is never complete)", () => {
    const jpeg = syntheticJpeg(rng(4), { scanBytes: 400, thumbnail: true });
    for (let n = 0; n < jpeg.length; n++) expect(findJpegEnd(jpeg.subarray(0, n))).toBe(-1);
  });

  it("handles stuffing, restart markers and fill bytes in scan data", () => {
    const head = [0xff, 0xd8, ...seg(0xdb, [0, 1, 2]), ...seg(0xda, [1, 1, 0, 0, 0x3f, 0])];
    const scan = [0x12, 0xff, 0x00, 0x34, 0xff, 0xd3, 0x56, 0xff, 0xff, 0xd9];
    const data = Uint8Array.from([...head, ...scan, 0xaa, 0xff, 0xd9]);
    expect(findJpegEnd(data)).toBe(head.length + scan.length);
    // Works on a plain Uint8Array view with an offset too.
    const wrapped = new Uint8Array(data.length + 5);
    wrapped.set(data, 5);
    expect(findJpegEnd(wrapped.subarray(5))).toBe(head.length + scan.length);
  });

  it("skips marker segments between scans (progressive) by their length", () => {
    const data = Uint8Array.from([
      0xff,
      0xd8,
      ...seg(0xc2, [8, 0, 2, 0, 3, 1, 1, 0x11, 0]),
      ...seg(0xda, [1, 1, 0, 0, 0, 0]),
      0x01,
      0x02,
      ...seg(0xc4, [0x10, 0xff, 0xd9, 0x00]), // a DHT between scans holding FF D9
      ...seg(0xda, [1, 1, 0, 1, 5, 0]),
      0x03,
      0xff,
      0xd9,
    ]);
    expect(findJpegEnd(data)).toBe(data.length);
    expect(jpegSize(data)).toEqual({ width: 3, height: 2 });
  });

  it("rejects non-JPEG data and spliced packets", () => {
    expect(findJpegEnd(new Uint8Array(0))).toBe(-1);
    expect(findJpegEnd(Uint8Array.from([0xff, 0xd8, 0xff, 0xd9]))).toBe(-1); // no scan
    expect(findJpegEnd(Uint8Array.from([0x00, 0xd8, 0xff, 0xd9]))).toBe(-1);
    expect(findJpegEnd(Uint8Array.from([0xff, 0xd8, 0xff, 0x00, 0, 2]))).toBe(-1);
    expect(findJpegEnd(Uint8Array.from([0xff, 0xd8, ...seg(0xdb, [1]), 0x12]))).toBe(-1);
    expect(findJpegEnd(Uint8Array.from([0xff, 0xd8, 0xff, 0xdb, 0x00, 0x01]))).toBe(-1); // length < 2
    // A cut JPEG followed by a liveview packet header: FF 01 in scan data is illegal.
    const jpeg = syntheticJpeg(rng(5), { scanBytes: 500 });
    for (const type of [0x01, 0x02, 0x11, 0x12]) {
      const header = Buffer.alloc(136);
      header[0] = 0xff;
      header[1] = type;
      header.set([0x24, 0x35, 0x68, 0x79], 8);
      const spliced = Buffer.concat([jpeg.subarray(0, 300), header, jpeg]);
      expect(findJpegEnd(spliced)).toBe(-1);
    }
  });
});

describe("jpegSize", () => {
  it("reads width and height from SOF0, after an APP1 thumbnail with its own SOF", () => {
    const r = rng(6);
    expect(jpegSize(syntheticJpeg(r, { width: 1024, height: 768 }))).toEqual({
      width: 1024,
      height: 768,
    });
    expect(jpegSize(syntheticJpeg(r, { width: 640, height: 480, thumbnail: true }))).toEqual({
      width: 640,
      height: 480,
    });
  });

  it("is null without a SOF or for non-JPEG data", () => {
    expect(jpegSize(new Uint8Array(10))).toBeNull();
    expect(
      jpegSize(Uint8Array.from([0xff, 0xd8, ...seg(0xdb, [0]), ...seg(0xda, [0]), 1, 0xff, 0xd9])),
    ).toBeNull();
    expect(jpegSize(Uint8Array.from([0xff, 0xd8, ...seg(0xc0, [8, 0])]))).toBeNull(); // short SOF
  });
});
