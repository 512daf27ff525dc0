/**
 * Pure incremental liveview decoder (camera-api.md §5.2–5.4): bytes in, events out. No I/O, no
 * timers. The HTTP edge (stream.ts) feeds it body chunks; `qx10-mqtt decode` feeds it a file.
 *
 * Parsing is length-driven: 8-byte common header, 128-byte payload header, `size` bytes of data,
 * `padding` bytes skipped. When the bytes at the expected position are not a header, the decoder
 * resyncs by searching for the start code `24 35 68 79` and validating the header around it
 * (0xFF eight bytes before it, a known payload type, a size within `maxPayloadBytes`); a lone
 * 0xFF means nothing, JPEG data is full of them (§5.4).
 *
 * ## When a packet is emitted (the rule for damaged size fields)
 *
 * A header with a plausible but wrong size field (a flipped size or padding byte, or a packet cut
 * short and followed by the next one) makes a packet end at the wrong place. A damaged packet must
 * be discarded, never emitted as a mix of two packets, and the packets after it must still be
 * recovered. "A header start" below means 0xFF with the start code 8 bytes later. A complete
 * packet is emitted:
 *
 * 1. at once when it vouches for its own length:
 *    - JPEG (0x01, 0x11): the data holds one structurally complete JPEG ({@link findJpegEnd}:
 *      marker walk, scan data in which a packet header's `FF 01/02/11/12` is illegal), and no
 *      header start begins between its EOI and the end of the packet's padding. A size that is
 *      too small cuts the JPEG (no EOI); one that is too large swallows the start of the next
 *      header into the junk after the EOI, which the search finds (it looks up to 11 bytes past
 *      the packet for a header straddling the end; only then, rarely, it waits for those bytes);
 *    - frame info (0x02): `size` = frame count × record size, and no header start anywhere in
 *      the packet after its first byte;
 *    - playback info (0x12): `size` = 32 (4 + 4 + 24 bytes, §5.2), same search;
 * 2. otherwise (a payload that cannot vouch for itself: not a JPEG, an unknown type) only once
 *    the 12 bytes after it are a header start and no header start lies inside it. This costs one
 *    packet of latency, and garbage right after such a packet costs that packet too (it cannot be
 *    told from a wrong size). Real QX JPEGs take rule 1: no added latency.
 *
 * While a packet's data is still arriving, each newly arrived range is searched for a resync
 * candidate (0xFF, known type, start code, size within the limit). Finding one means this
 * packet's size is wrong: it is discarded at once instead of holding everything back until its
 * claimed size has arrived. (A valid JPEG cannot contain `FF 01/02/11/12` outside APPn/table
 * payloads, so this does not misfire on real frames.)
 *
 * A packet failing a check is discarded (`reason: "corrupt"`) and the decoder resyncs from the
 * byte after its start, so intact packets inside a too-large region are recovered. What is not
 * detectable: a damaged packet cut after its EOI whose neighbour's header is also destroyed may
 * carry that (garbage) neighbour's bytes as its own junk after the EOI; its JPEG is intact.
 *
 * ## Memory and copying
 *
 * The decoder keeps references to the pushed chunks (it never modifies them; callers must not
 * either). A packet that lies inside one chunk is emitted as a subarray of it (zero-copy); a
 * packet spanning chunks is assembled into a new buffer of exactly `size` bytes. Emitted data
 * is never reused or overwritten. Held-back bytes never exceed {@link LiveviewDecoder.bufferLimit}
 * (136 + maxPayloadBytes + 255 + 11).
 */
import { findJpegEnd } from "./jpeg.js";
import {
  COMMON_HEADER_SIZE,
  FOCUS_FRAME_RECORD_SIZE,
  HEADERS_SIZE,
  PayloadType,
  START_BYTE,
  type FocusFrame,
} from "./types.js";

/** Default cap of a packet's data size: 1 MiB, generous against the camera's 100 KB buffer (§5.1). */
export const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;

/** Why bytes were discarded. */
export type DiscardReason =
  /** Bytes where a header was expected but none starts (skipped while resyncing). */
  | "garbage"
  /** A header with 0xFF and start code whose fields are unusable (frame-info counts, sizes). */
  | "invalid_header"
  /** A header whose size field exceeds `maxPayloadBytes`. */
  | "oversize"
  /** A well-formed packet of a payload type this decoder does not know, skipped whole. */
  | "unknown_type"
  /** A packet whose end did not line up with the next header (damaged size or header). */
  | "corrupt"
  /** Reported by `end()`: a held-back tail that never completed. */
  | "truncated";

/** Fields common to every decoded packet. */
interface PacketEventBase {
  /** Sequence number from the common header (16 bits, wraps; §5.4). */
  sequence: number;
  /** Timestamp from the common header, ms, arbitrary start, wraps at 2^32 (§5.4). */
  timestamp: number;
  /** Offset of the packet's first byte in the bytes pushed into this decoder. */
  offset: number;
}

/** A liveview (0x01) or streaming (0x11) image. */
export interface LiveviewJpegEvent extends PacketEventBase {
  type: "jpeg";
  payloadType: typeof PayloadType.LIVEVIEW_IMAGE | typeof PayloadType.STREAMING_IMAGE;
  /**
   * The payload region exactly as sent (`size` bytes, padding excluded). On QX cameras it holds
   * stale junk after the EOI (§5.3); cut it with `data.subarray(0, jpegEnd)`.
   */
  data: Uint8Array;
  /** Index just past the JPEG's EOI in `data` ({@link findJpegEnd}), or -1 when incomplete. */
  jpegEnd: number;
  /** Type 0x11 only: image width from the payload header. */
  width?: number;
  /** Type 0x11 only: image height from the payload header. */
  height?: number;
}

/** Focus frames (0x02). */
export interface LiveviewFrameInfoEvent extends PacketEventBase {
  type: "frame_info";
  /** Frame-info data version, major and minor (1.0 on known cameras). */
  version: { major: number; minor: number };
  frames: FocusFrame[];
}

/** Playback position (0x12, streaming). */
export interface LiveviewPlaybackInfoEvent extends PacketEventBase {
  type: "playback_info";
  durationMs: number;
  positionMs: number;
}

/** Bytes skipped: garbage, damaged packets, unknown packets, or a truncated tail. */
export interface LiveviewDiscardedEvent {
  type: "discarded";
  /** Offset of the first discarded byte in the bytes pushed into this decoder. */
  offset: number;
  /** Number of bytes discarded. */
  bytes: number;
  reason: DiscardReason;
}

/** What the decoder emits, discriminated on `type`. */
export type LiveviewEvent =
  LiveviewJpegEvent | LiveviewFrameInfoEvent | LiveviewPlaybackInfoEvent | LiveviewDiscardedEvent;

/** Options of {@link LiveviewDecoder}. */
export interface LiveviewDecoderOptions {
  /**
   * Largest accepted payload data size in bytes; a larger size field is treated as corruption
   * (discard and resync), never allocated. Default {@link DEFAULT_MAX_PAYLOAD_BYTES}.
   */
  maxPayloadBytes?: number;
}

/** Counters of a {@link LiveviewDecoder} (cumulative since construction). */
export interface LiveviewDecoderStats {
  /** Packets decoded, all types. */
  packets: number;
  /** Image packets (0x01 and 0x11). */
  jpeg: number;
  /** Frame-info packets (0x02). */
  frameInfo: number;
  /** Playback-info packets (0x12). */
  playbackInfo: number;
  /** Bytes discarded for any reason except a truncated tail. */
  skippedBytes: number;
  /** Resyncs: times the decoder had to search for the next header. */
  resyncs: number;
  /** Bytes reported as a truncated tail by `end()`. */
  truncatedBytes: number;
  /** Bytes currently held back (not yet emitted or discarded). */
  bufferedBytes: number;
  /** Largest `bufferedBytes` seen after any `push`. */
  maxBufferedBytes: number;
  /** Bytes pushed in total. */
  bytesIn: number;
}

/** Result of probing for a header start at a position (Incomplete: consistent so far). */
type Probe = 0 | 1 | 2;
const INVALID = 0;
const VALID = 1;
const INCOMPLETE = 2;

/** Outcome of checking a complete packet. */
type Verdict = 0 | 1 | 2;
const EMIT = 0;
const CORRUPT = 1;
const WAIT = 2;

const SC0 = 0x24;
const SC1 = 0x35;
const SC2 = 0x68;
const SC3 = 0x79;
const START_CODE_BYTES = Buffer.from([SC0, SC1, SC2, SC3]);
/** Bytes needed to recognise a header start: 0xFF at 0 and the start code at 8..11. */
const BOUNDARY_BYTES = COMMON_HEADER_SIZE + 4;
/** Bytes needed to validate a resync candidate: up to the padding byte of the payload header. */
const CANDIDATE_BYTES = COMMON_HEADER_SIZE + 8;
/** Size of a playback-info payload: duration, position, 24 reserved bytes (§5.2). */
const PLAYBACK_INFO_SIZE = 32;
/** Largest padding a header can declare (one byte). */
const MAX_PADDING = 0xff;

function isKnownType(t: number): boolean {
  return (
    t === PayloadType.LIVEVIEW_IMAGE ||
    t === PayloadType.FRAME_INFO ||
    t === PayloadType.STREAMING_IMAGE ||
    t === PayloadType.PLAYBACK_INFO
  );
}

/** A header that passed validation, waiting for its data. */
interface PendingPacket {
  type: number;
  sequence: number;
  timestamp: number;
  size: number;
  padding: number;
  /** Whole packet length: headers + data + padding. */
  total: number;
  /** Type 0x02: frame-info version, record count and record size. */
  fiMajor: number;
  fiMinor: number;
  frameCount: number;
  recordSize: number;
  /** Type 0x11: width and height. */
  width: number;
  height: number;
  /** While incomplete: relative position from which to search for another header's start code. */
  scanFrom: number;
  /** Filled once the packet is complete (cached while waiting for lookahead bytes). */
  data: Buffer | null;
  /** JPEG end in `data`, or -1; frame-info/playback: end of the self-consistent payload or -1. */
  payloadEnd: number;
}

/** A run of discarded bytes not yet reported (reported when the run ends). */
interface DiscardRun {
  offset: number;
  bytes: number;
  reason: DiscardReason;
  /** Smallest relative position where a header may start (excludes the failed one). */
  minStart: number;
  /** Relative position from which the start-code search continues. */
  scanFrom: number;
}

/**
 * Incremental decoder of the liveview byte stream (camera-api.md §5.2). Feed it chunks of any
 * size with {@link push}; call {@link end} when the stream ends. Never throws on bad input:
 * damaged bytes come out as `discarded` events. See the module comment for the emission rule.
 */
export class LiveviewDecoder {
  /** Largest data size accepted in a header, bytes. */
  readonly maxPayloadBytes: number;
  /** Upper bound of held-back bytes: headers + maxPayloadBytes + max padding + 11 lookahead. */
  readonly bufferLimit: number;

  readonly #stats: LiveviewDecoderStats = {
    packets: 0,
    jpeg: 0,
    frameInfo: 0,
    playbackInfo: 0,
    skippedBytes: 0,
    resyncs: 0,
    truncatedBytes: 0,
    bufferedBytes: 0,
    maxBufferedBytes: 0,
    bytesIn: 0,
  };

  /** Pushed chunks still (partly) unconsumed, from `#first` on. */
  #segs: Buffer[] = [];
  #first = 0;
  /** Read offset inside `#segs[#first]`. */
  #off = 0;
  /** Buffered bytes. */
  #avail = 0;
  /** Stream offset of the first buffered byte. */
  #base = 0;
  #pkt: PendingPacket | null = null;
  #run: DiscardRun | null = null;
  #out: LiveviewEvent[] = [];

  /** @param options - see {@link LiveviewDecoderOptions} */
  constructor(options: LiveviewDecoderOptions = {}) {
    const max = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
    if (!Number.isInteger(max) || max < 0 || max > 0xffffff) {
      throw new RangeError("maxPayloadBytes must be an integer in 0..16777215");
    }
    this.maxPayloadBytes = max;
    this.bufferLimit = HEADERS_SIZE + max + MAX_PADDING + BOUNDARY_BYTES - 1;
  }

  /** A snapshot of the counters. */
  get stats(): LiveviewDecoderStats {
    return { ...this.#stats, bufferedBytes: this.#avail };
  }

  /**
   * Feeds the next bytes of the stream and returns the events they complete, in stream order.
   * The decoder keeps a reference to `chunk` (and emitted `data` may be a subarray of it): do not
   * modify it afterwards.
   */
  push(chunk: Uint8Array): LiveviewEvent[] {
    if (chunk.length > 0) {
      const buf = Buffer.isBuffer(chunk)
        ? chunk
        : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      this.#segs.push(buf);
      this.#avail += buf.length;
      this.#stats.bytesIn += buf.length;
      this.#drain(false);
    }
    if (this.#avail > this.#stats.maxBufferedBytes) this.#stats.maxBufferedBytes = this.#avail;
    return this.#takeOut();
  }

  /**
   * Ends the stream: emits what can still be decided (a complete packet waiting for lookahead,
   * a pending discard run) and reports held-back bytes as one `discarded` event with reason
   * `"truncated"`. The decoder is then empty and may be reused for a new stream.
   */
  end(): LiveviewEvent[] {
    this.#drain(true);
    if (this.#avail > 0) {
      this.#out.push({
        type: "discarded",
        offset: this.#base,
        bytes: this.#avail,
        reason: "truncated",
      });
      this.#stats.truncatedBytes += this.#avail;
      this.#consume(this.#avail);
    }
    this.#pkt = null;
    this.#run = null;
    return this.#takeOut();
  }

  #takeOut(): LiveviewEvent[] {
    const out = this.#out;
    this.#out = [];
    return out;
  }

  // ---------------------------------------------------------------- buffer access

  /** Byte at relative position `rel`, or -1 past the buffered bytes. */
  #byteAt(rel: number): number {
    let pos = this.#off + rel;
    for (let i = this.#first; i < this.#segs.length; i++) {
      const s = this.#segs[i];
      if (s === undefined) break;
      if (pos < s.length) return s[pos] ?? -1;
      pos -= s.length;
    }
    return -1;
  }

  /** Bytes [from, to) as one contiguous buffer: a subarray when inside one chunk, else a copy. */
  #range(from: number, to: number): Buffer {
    let pos = this.#off + from;
    let i = this.#first;
    let seg = this.#segs[i];
    while (seg !== undefined && pos >= seg.length) {
      pos -= seg.length;
      seg = this.#segs[++i];
    }
    const n = to - from;
    if (seg === undefined) return Buffer.alloc(0);
    if (pos + n <= seg.length) return seg.subarray(pos, pos + n);
    // Never from Buffer's shared pool (64 KiB on Node 24): a frame someone keeps must not pin
    // a slab of other data, and a frame is exactly its own buffer.
    const out = Buffer.allocUnsafeSlow(n);
    let w = 0;
    while (w < n && seg !== undefined) {
      const take = Math.min(seg.length - pos, n - w);
      out.set(seg.subarray(pos, pos + take), w);
      w += take;
      pos = 0;
      seg = this.#segs[++i];
    }
    return out;
  }

  /** Drops `n` buffered bytes. */
  #consume(n: number): void {
    this.#avail -= n;
    this.#base += n;
    let left = this.#off + n;
    while (left > 0) {
      const s = this.#segs[this.#first];
      if (s === undefined || left < s.length) break;
      left -= s.length;
      this.#first++;
    }
    this.#off = left;
    if (this.#first >= this.#segs.length) {
      this.#segs = [];
      this.#first = 0;
      this.#off = 0;
    } else if (this.#first > 64 && this.#first * 2 > this.#segs.length) {
      this.#segs = this.#segs.slice(this.#first);
      this.#first = 0;
    }
  }

  /** True when the start code is at relative `rel` (all four bytes buffered). */
  #startCodeAt(rel: number): boolean {
    return (
      this.#byteAt(rel) === SC0 &&
      this.#byteAt(rel + 1) === SC1 &&
      this.#byteAt(rel + 2) === SC2 &&
      this.#byteAt(rel + 3) === SC3
    );
  }

  /**
   * Index of the chunk holding relative position `rel` (< avail) and that chunk's start as a
   * relative position. Walks from whichever end is nearer: the early check searches only the
   * newest bytes, which must not cost a walk over every tiny chunk of a packet.
   */
  #locate(rel: number): [index: number, start: number] {
    if (rel * 2 <= this.#avail) {
      let start = -this.#off;
      for (let i = this.#first; i < this.#segs.length; i++) {
        const len = this.#segs[i]?.length ?? 0;
        if (rel < start + len) return [i, start];
        start += len;
      }
      return [this.#segs.length, start];
    }
    let start = this.#avail;
    for (let i = this.#segs.length - 1; i >= this.#first; i--) {
      start -= this.#segs[i]?.length ?? 0;
      if (rel >= start) return [i, start];
    }
    return [this.#first, -this.#off];
  }

  /** First relative position ≥ `from` where the whole start code is buffered, or -1. */
  #indexOfStartCode(from: number): number {
    if (from >= this.#avail) return -1;
    let [i, segStart] = this.#locate(from);
    for (; i < this.#segs.length; i++) {
      const seg = this.#segs[i];
      if (seg === undefined) break;
      const segEnd = segStart + seg.length;
      const hit = seg.indexOf(START_CODE_BYTES, Math.max(0, from - segStart));
      if (hit >= 0) return segStart + hit;
      // Matches straddling into the next chunk start in this chunk's last three bytes.
      for (let p = Math.max(from, segEnd - 3); p < segEnd; p++) {
        if (seg[p - segStart] === SC0 && p + 4 <= this.#avail && this.#startCodeAt(p)) return p;
      }
      segStart = segEnd;
    }
    return -1;
  }

  /** Is a header start (0xFF, start code at +8) at relative `rel`? */
  #probeBoundary(rel: number): Probe {
    const have = this.#avail - rel;
    if (have <= 0) return INCOMPLETE;
    if (this.#byteAt(rel) !== START_BYTE) return INVALID;
    const codes = [SC0, SC1, SC2, SC3];
    for (let k = 0; k < 4; k++) {
      const p = rel + COMMON_HEADER_SIZE + k;
      if (p >= this.#avail) return INCOMPLETE;
      if (this.#byteAt(p) !== codes[k]) return INVALID;
    }
    return VALID;
  }

  /** Is a plausible header (resync candidate) at relative `rel`? Needs 16 bytes to decide. */
  #probeCandidate(rel: number): Probe {
    const b = this.#probeBoundary(rel);
    if (b !== VALID) return b;
    if (!isKnownType(this.#byteAt(rel + 1))) return INVALID;
    if (rel + CANDIDATE_BYTES > this.#avail) return INCOMPLETE;
    const h = rel + COMMON_HEADER_SIZE;
    const size = (this.#byteAt(h + 4) << 16) | (this.#byteAt(h + 5) << 8) | this.#byteAt(h + 6);
    return size <= this.maxPayloadBytes ? VALID : INVALID;
  }

  // ---------------------------------------------------------------- state machine

  #drain(final: boolean): void {
    for (;;) {
      if (this.#avail === 0) {
        if (final && this.#run !== null) this.#finishRun();
        return;
      }
      if (this.#run !== null) {
        if (!this.#resync(final)) return;
      } else if (this.#pkt === null) {
        if (!this.#readHeader()) return;
      } else if (!this.#readPacket(final)) {
        return;
      }
    }
  }

  #startRun(reason: DiscardReason): void {
    this.#stats.resyncs++;
    this.#run = {
      offset: this.#base,
      bytes: 0,
      reason,
      minStart: 1,
      scanFrom: 1 + COMMON_HEADER_SIZE,
    };
    this.#pkt = null;
  }

  #discardIntoRun(run: DiscardRun, n: number): void {
    if (n <= 0) return;
    run.bytes += n;
    this.#stats.skippedBytes += n;
    this.#consume(n);
    run.minStart = Math.max(0, run.minStart - n);
    run.scanFrom = Math.max(0, run.scanFrom - n);
  }

  #finishRun(): void {
    const run = this.#run;
    if (run === null) return;
    this.#run = null;
    if (run.bytes > 0) {
      this.#out.push({
        type: "discarded",
        offset: run.offset,
        bytes: run.bytes,
        reason: run.reason,
      });
    }
  }

  /** Searches for the next valid header; returns true when parsing can continue. */
  #resync(final: boolean): boolean {
    const run = this.#run;
    if (run === null) return true;
    let from = Math.max(run.scanFrom, run.minStart + COMMON_HEADER_SIZE);
    for (;;) {
      const sc = this.#indexOfStartCode(from);
      if (sc < 0) {
        if (final) {
          this.#discardIntoRun(run, this.#avail);
          this.#finishRun();
          return false;
        }
        // No start code yet: a header can only begin in the last 11 bytes (its start code not
        // yet complete), so everything before them is garbage.
        const keepFrom = Math.max(run.minStart, this.#avail - (BOUNDARY_BYTES - 1));
        this.#discardIntoRun(run, keepFrom);
        run.minStart = 0;
        run.scanFrom = Math.max(COMMON_HEADER_SIZE, this.#avail - 3);
        return false;
      }
      const start = sc - COMMON_HEADER_SIZE;
      const probe = this.#probeCandidate(start);
      if (probe === VALID) {
        this.#discardIntoRun(run, start);
        this.#finishRun();
        return true;
      }
      if (probe === INCOMPLETE) {
        this.#discardIntoRun(run, start);
        if (final) {
          // The stream ends inside this candidate: the run ends, the rest is a truncated tail.
          this.#finishRun();
          return false;
        }
        run.minStart = 0;
        run.scanFrom = COMMON_HEADER_SIZE;
        return false;
      }
      from = sc + 1;
    }
  }

  /** Validates the header at the head of the buffer; returns true when parsing can continue. */
  #readHeader(): boolean {
    const b = this.#probeBoundary(0);
    if (b === INVALID) {
      this.#startRun("garbage");
      return true;
    }
    if (this.#avail < HEADERS_SIZE) return false;
    const h = this.#range(0, HEADERS_SIZE);
    const type = h[1] ?? 0;
    const size = h.readUIntBE(COMMON_HEADER_SIZE + 4, 3);
    const padding = h[COMMON_HEADER_SIZE + 7] ?? 0;
    if (size > this.maxPayloadBytes) {
      this.#startRun("oversize");
      return true;
    }
    const ph = COMMON_HEADER_SIZE;
    const pkt: PendingPacket = {
      type,
      sequence: h.readUInt16BE(2),
      timestamp: h.readUInt32BE(4),
      size,
      padding,
      total: HEADERS_SIZE + size + padding,
      fiMajor: 0,
      fiMinor: 0,
      frameCount: 0,
      recordSize: 0,
      width: 0,
      height: 0,
      scanFrom: COMMON_HEADER_SIZE + 1,
      data: null,
      payloadEnd: -1,
    };
    if (type === PayloadType.FRAME_INFO) {
      pkt.fiMajor = h[ph + 8] ?? 0;
      pkt.fiMinor = h[ph + 9] ?? 0;
      pkt.frameCount = h.readUInt16BE(ph + 10);
      pkt.recordSize = h.readUInt16BE(ph + 12);
      // Records beyond the data, or records too short to hold the 16 known bytes: the header
      // cannot be right (§5.2, version 1.0 records are 16 bytes).
      if (
        (pkt.frameCount > 0 && pkt.recordSize < FOCUS_FRAME_RECORD_SIZE) ||
        pkt.frameCount * pkt.recordSize > size
      ) {
        this.#startRun("invalid_header");
        return true;
      }
    } else if (type === PayloadType.PLAYBACK_INFO) {
      if (size < 8) {
        this.#startRun("invalid_header");
        return true;
      }
    } else if (type === PayloadType.STREAMING_IMAGE) {
      pkt.width = h.readUInt16BE(ph + 8);
      pkt.height = h.readUInt16BE(ph + 10);
    }
    this.#pkt = pkt;
    return true;
  }

  /** Handles the pending packet; returns true when parsing can continue. */
  #readPacket(final: boolean): boolean {
    const pkt = this.#pkt;
    if (pkt === null) return true;
    if (this.#avail < pkt.total) {
      // Early check: another packet's header inside this one's bytes means its size is wrong
      // (a truncated packet followed by the next, or a damaged size field). Only the bytes new
      // since the last push are searched, so this stays linear.
      const found = this.#scanForCandidate(pkt);
      if (found >= 0) {
        this.#startRun("corrupt");
        if (this.#run !== null) this.#run.scanFrom = found;
        return true;
      }
      return false;
    }
    if (pkt.data === null) {
      pkt.data = this.#range(HEADERS_SIZE, HEADERS_SIZE + pkt.size);
      pkt.payloadEnd = this.#selfCheck(pkt, pkt.data);
    }
    const verdict = this.#verdict(pkt, final);
    if (verdict === WAIT) return false;
    if (verdict === CORRUPT) {
      this.#startRun("corrupt");
      return true;
    }
    this.#emitPacket(pkt, pkt.data);
    this.#pkt = null;
    this.#consume(pkt.total);
    return true;
  }

  /**
   * Where the self-consistent payload ends inside `data`, or -1 when the payload cannot vouch
   * for its own length (rule 2 of the module comment).
   */
  #selfCheck(pkt: PendingPacket, data: Buffer): number {
    switch (pkt.type) {
      case PayloadType.LIVEVIEW_IMAGE:
      case PayloadType.STREAMING_IMAGE:
        return findJpegEnd(data);
      case PayloadType.FRAME_INFO:
        return pkt.frameCount * pkt.recordSize === pkt.size ? pkt.size : -1;
      case PayloadType.PLAYBACK_INFO:
        return pkt.size === PLAYBACK_INFO_SIZE ? pkt.size : -1;
      default:
        return -1;
    }
  }

  #verdict(pkt: PendingPacket, final: boolean): Verdict {
    if (pkt.payloadEnd >= 0) {
      // Rule 1: no header may start after the JPEG's EOI (images; the JPEG itself vouches for
      // the bytes before it) or anywhere after our own start (small info packets).
      const isImage =
        pkt.type === PayloadType.LIVEVIEW_IMAGE || pkt.type === PayloadType.STREAMING_IMAGE;
      const from = isImage ? HEADERS_SIZE + pkt.payloadEnd : 1;
      const found = this.#findBoundary(from, pkt.total);
      if (found === VALID) return CORRUPT;
      if (found === INCOMPLETE && !final) return WAIT;
      return EMIT;
    }
    // Rule 2: the next header must follow at once, and none may hide inside the payload.
    const next = this.#probeBoundary(pkt.total);
    if (next === INVALID) return CORRUPT;
    if (next === INCOMPLETE && !final) return WAIT;
    return this.#headerStartsIn(1, pkt.total) ? CORRUPT : EMIT;
  }

  /**
   * Looks for a header start (0xFF + start code at +8) beginning in relative [from, to), using
   * buffered bytes up to to + 11. Valid: one found; Incomplete: a candidate needs more bytes.
   */
  #findBoundary(from: number, to: number): Probe {
    if (from >= to) return INVALID;
    const end = Math.min(this.#avail, to + BOUNDARY_BYTES - 1);
    const view = this.#range(from, end);
    const span = to - from;
    let result: Probe = INVALID;
    let p = view.indexOf(START_BYTE);
    while (p >= 0 && p < span) {
      const s = p + COMMON_HEADER_SIZE;
      if (s + 4 <= view.length) {
        if (view[s] === SC0 && view[s + 1] === SC1 && view[s + 2] === SC2 && view[s + 3] === SC3) {
          return VALID;
        }
      } else if (p + 1 >= view.length || isKnownType(view[p + 1] ?? 0)) {
        // Not enough bytes to see the start code: a header straddling the packet's end may
        // begin here. Requiring a known type byte after the 0xFF keeps this rare in junk.
        let consistent = true;
        for (let k = 0; s + k < view.length; k++) {
          if (view[s + k] !== START_CODE_BYTES[k]) consistent = false;
        }
        if (consistent) result = INCOMPLETE;
      }
      p = view.indexOf(START_BYTE, p + 1);
    }
    return result;
  }

  /** True when a header start (0xFF + start code) begins in relative [from, to). */
  #headerStartsIn(from: number, to: number): boolean {
    let sc = this.#indexOfStartCode(from + COMMON_HEADER_SIZE);
    while (sc >= 0 && sc - COMMON_HEADER_SIZE < to) {
      if (this.#byteAt(sc - COMMON_HEADER_SIZE) === START_BYTE) return true;
      sc = this.#indexOfStartCode(sc + 1);
    }
    return false;
  }

  /**
   * Searches the bytes of an incomplete packet that arrived since the last call for a resync
   * candidate (0xFF, known type, start code, size within the limit) starting after the packet's
   * own start. Returns the candidate's start-code position, or -1.
   */
  #scanForCandidate(pkt: PendingPacket): number {
    let from = pkt.scanFrom;
    for (;;) {
      const sc = this.#indexOfStartCode(from);
      if (sc < 0) {
        pkt.scanFrom = Math.max(from, this.#avail - 3);
        return -1;
      }
      const probe = this.#probeCandidate(sc - COMMON_HEADER_SIZE);
      if (probe === VALID) return sc;
      if (probe === INCOMPLETE) {
        pkt.scanFrom = sc; // decide when its size bytes have arrived
        return -1;
      }
      from = sc + 1;
    }
  }

  #emitPacket(pkt: PendingPacket, data: Buffer): void {
    const offset = this.#base;
    const { sequence, timestamp } = pkt;
    switch (pkt.type) {
      case PayloadType.LIVEVIEW_IMAGE:
        this.#stats.packets++;
        this.#stats.jpeg++;
        this.#out.push({
          type: "jpeg",
          payloadType: PayloadType.LIVEVIEW_IMAGE,
          sequence,
          timestamp,
          offset,
          data,
          jpegEnd: pkt.payloadEnd,
        });
        return;
      case PayloadType.STREAMING_IMAGE:
        this.#stats.packets++;
        this.#stats.jpeg++;
        this.#out.push({
          type: "jpeg",
          payloadType: PayloadType.STREAMING_IMAGE,
          sequence,
          timestamp,
          offset,
          data,
          jpegEnd: pkt.payloadEnd,
          width: pkt.width,
          height: pkt.height,
        });
        return;
      case PayloadType.FRAME_INFO:
        this.#stats.packets++;
        this.#stats.frameInfo++;
        this.#out.push({
          type: "frame_info",
          sequence,
          timestamp,
          offset,
          version: { major: pkt.fiMajor, minor: pkt.fiMinor },
          frames: decodeFocusFrames(data, pkt.frameCount, pkt.recordSize),
        });
        return;
      case PayloadType.PLAYBACK_INFO:
        this.#stats.packets++;
        this.#stats.playbackInfo++;
        this.#out.push({
          type: "playback_info",
          sequence,
          timestamp,
          offset,
          durationMs: data.readUInt32BE(0),
          positionMs: data.readUInt32BE(4),
        });
        return;
      default:
        this.#stats.skippedBytes += pkt.total;
        this.#out.push({ type: "discarded", offset, bytes: pkt.total, reason: "unknown_type" });
    }
  }
}

/**
 * Decodes `count` focus-frame records of `recordSize` bytes (≥ 16; bytes past the 16 known ones
 * are skipped) from frame-info data (§5.2). The caller guarantees count × recordSize ≤ length.
 */
function decodeFocusFrames(data: Buffer, count: number, recordSize: number): FocusFrame[] {
  const frames: FocusFrame[] = [];
  for (let i = 0; i < count; i++) {
    const o = i * recordSize;
    frames.push({
      topLeft: { x: data.readUInt16BE(o), y: data.readUInt16BE(o + 2) },
      bottomRight: { x: data.readUInt16BE(o + 4), y: data.readUInt16BE(o + 6) },
      category: data[o + 8] ?? 0,
      status: data[o + 9] ?? 0,
      additional: data[o + 10] ?? 0,
    });
  }
  return frames;
}
