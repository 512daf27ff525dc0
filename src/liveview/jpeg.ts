/**
 * Pure JPEG helpers for liveview frames (camera-api.md §5.3, §5.4). No I/O.
 *
 * QX cameras send the JPEG region of a liveview packet with 1–127 bytes of stale buffer contents
 * after the EOI (the size field is a multiple of 128), and that junk can itself contain `FF D9`.
 * The real end is therefore found structurally: walk the marker segments by their lengths up to
 * SOS (this skips an APP1 thumbnail and its own EOI), then take the first `FF D9` in the
 * entropy-coded data, where every `FF` is either stuffed (`FF 00`), a restart marker
 * (`FF D0`–`FF D7`) or a real marker.
 */

/** SOI: start of image. */
const SOI = 0xd8;
/** EOI: end of image. */
const EOI = 0xd9;
/** SOS: start of scan. */
const SOS = 0xda;

/** A Buffer view of `data` without copying, so searches run natively (memchr) instead of in JS. */
function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Marker segments (with a length) allowed between SOI and the end of the image (ITU T.81
 * Table B.1): SOFn, DHT, DAC (C0–CF), SOS, DQT, DNL, DRI, DHP, EXP (DA–DF), APPn (E0–EF), JPGn
 * and COM (F0–FE). Standalone markers (TEM, RSTn, SOI, EOI) and the reserved 02–BF are not
 * segments; finding one where a segment must start means the bytes are not one JPEG (a liveview
 * packet header inside the data starts FF 01/02/11/12: two packets spliced together).
 */
function isSegmentMarker(marker: number): boolean {
  return marker >= 0xc0 && marker !== 0xff && !(marker >= 0xd0 && marker <= 0xd9);
}

/**
 * Walks the marker segments from just after SOI. Calls `visit(marker, segmentStart, segmentEnd)`
 * for each segment with a length (segmentStart = index of the first byte after the length field);
 * stops when `visit` returns true. Returns the index just after the SOS segment (start of
 * entropy-coded data), -2 when `visit` stopped the walk, or -1 when the data is not a well-formed
 * JPEG header (or is cut short).
 */
function walkHeader(
  data: Uint8Array,
  visit?: (marker: number, start: number, end: number) => boolean,
): number {
  const len = data.length;
  if (len < 4 || data[0] !== 0xff || data[1] !== SOI) return -1;
  let i = 2;
  for (;;) {
    if (i >= len || data[i] !== 0xff) return -1;
    // Any number of 0xFF fill bytes may precede a marker (T.81 B.1.1.2).
    while (i < len && data[i] === 0xff) i++;
    if (i >= len) return -1;
    const marker = data[i] ?? 0;
    i++;
    if (!isSegmentMarker(marker)) return -1;
    if (i + 2 > len) return -1;
    const segLen = ((data[i] ?? 0) << 8) | (data[i + 1] ?? 0);
    if (segLen < 2) return -1;
    const end = i + segLen;
    if (end > len) return -1;
    if (visit?.(marker, i + 2, end) === true) return -2;
    i = end;
    if (marker === SOS) return i;
  }
}

/**
 * The structural end of the JPEG at the start of `data`: the index just after its EOI marker,
 * or -1 when `data` does not start with a complete JPEG (no SOI, a malformed or cut-off marker
 * segment, or no EOI in the scan data). Bytes after the EOI (QX junk) are ignored, however many
 * `FF D9` they contain.
 */
export function findJpegEnd(data: Uint8Array): number {
  let i = walkHeader(data);
  if (i < 0) return -1;
  const buf = asBuffer(data);
  const len = buf.length;
  for (;;) {
    const ff = buf.indexOf(0xff, i);
    if (ff < 0 || ff + 1 >= len) return -1;
    const next = buf[ff + 1] ?? 0;
    if (next === EOI) return ff + 2;
    if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) {
      i = ff + 2; // stuffed 0xFF or a restart marker
    } else if (next === 0xff) {
      i = ff + 1; // fill byte before a marker
    } else if (!isSegmentMarker(next)) {
      return -1; // TEM, SOI or a reserved marker cannot occur in scan data
    } else {
      // Another marker segment between scans (progressive JPEG: DHT, SOS, DRI, ...): skip it by
      // its length, its contents may hold FF D9.
      if (ff + 4 > len) return -1;
      const segLen = ((buf[ff + 2] ?? 0) << 8) | (buf[ff + 3] ?? 0);
      if (segLen < 2) return -1;
      i = ff + 2 + segLen;
      if (i > len) return -1;
    }
  }
}

/**
 * `data` cut at its structural end (a subarray, no copy), or null when it holds no complete
 * JPEG. See {@link findJpegEnd}.
 */
export function trimJpeg(data: Uint8Array): Uint8Array | null {
  const end = findJpegEnd(data);
  return end < 0 ? null : data.subarray(0, end);
}

/**
 * Image size from the first SOF marker (SOF0 baseline, SOF1, SOF2 progressive, and the other
 * SOFn), read before the first scan; null when there is none or the header is malformed. QX
 * liveview packets leave the payload-header size fields zero, so this is where the size comes
 * from (camera-api.md §5.2 notes).
 */
export function jpegSize(data: Uint8Array): { width: number; height: number } | null {
  let result: { width: number; height: number } | null = null;
  walkHeader(data, (marker, start, end) => {
    const isSof =
      marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (!isSof) return false;
    // SOFn: P (1), Y (2), X (2), Nf (1), ...
    if (end - start < 6) return true;
    const height = ((data[start + 1] ?? 0) << 8) | (data[start + 2] ?? 0);
    const width = ((data[start + 3] ?? 0) << 8) | (data[start + 4] ?? 0);
    result = { width, height };
    return true;
  });
  return result;
}
