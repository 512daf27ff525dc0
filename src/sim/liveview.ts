/**
 * The simulator's liveview stream (camera-api.md §5): an endless HTTP/1.1 chunked body of
 * packets (8-byte common header + 128-byte payload header + JPEG), header and JPEG in separate
 * chunks as the QX10 sends them (§5.1), sequence from 0 per connection, millisecond timestamps
 * from a small offset (the QX100 starts at 4 ms, §5.3), paced at `fps`.
 *
 * Camera behaviours reproduced: one reader at a time (a new GET force-disconnects the older one,
 * §5.1 "Force disconnect older HTTP GET"); a reader whose socket does not drain for 10 s is
 * dropped (§5.1 SEND_BLOCKING_TIMEOUT) and frames are skipped, never queued, while it is backed
 * up; the QX padding quirk (§5.3/§5.4: JPEG region padded to a multiple of 128 with stale junk
 * after the EOI, junk that can contain FF D9, size field = padded length, padding byte 0);
 * occasional stalls (§5.3: up to 1.35 s); replay of a recorded stream; and injected faults.
 *
 * Not a pure module: it owns timers and writes to node:http responses. The HTTP server, routing
 * and the liveview on/off state belong to the simulator core, which mounts {@link
 * LiveviewServer.handle} and tells it whether liveview is started through `isActive`.
 */
import { type IncomingMessage, type ServerResponse } from "node:http";
import { encodeFocusFrames, encodeLiveviewPacket } from "../liveview/encode.js";
import {
  COMMON_HEADER_SIZE,
  HEADERS_SIZE,
  PayloadType,
  START_BYTE,
  START_CODE,
  type FocusFrame,
} from "../liveview/types.js";
import { renderFrame } from "./pattern.js";

/** Faults the liveview stream can inject (see {@link LiveviewServer.fault}). */
export type LiveviewFault = "drop" | "cut" | "corrupt" | "hang" | "none";

/** Stalls like the real camera's (§5.3: steps of ≈ 33 ms with stalls up to 1,348 ms). */
export interface LiveviewJitter {
  /** Chance per frame that a stall starts (default 0.02). */
  probability?: number;
  /** Stall length range in ms (default 200–1350). */
  minMs?: number;
  maxMs?: number;
}

/** What {@link LiveviewServerOptions.onPacket} is told about each packet written. */
export interface SentPacketInfo {
  /** 1-based connection number (counts every accepted GET). */
  connection: number;
  /** Sequence number in the packet's header (before any corruption). */
  sequence: number;
  /** 0x01 JPEG, 0x02 focus frames. */
  payloadType: number;
  /** Pattern frame number (`qx10-sim frame <n>`); undefined for replayed packets. */
  frame: number | undefined;
  /** Set when a fault changed or truncated these bytes. */
  fault?: Exclude<LiveviewFault, "hang" | "none">;
}

/** Options of {@link LiveviewServer}. */
export interface LiveviewServerOptions {
  /** Frames per second (default 30; the camera fetches a frame every 30 ms, §5.1). */
  fps?: number;
  /** Frame size in pixels (default 640×480, §5.3). */
  width?: number;
  height?: number;
  /** JPEG quality 1–100 (default 60: ≈ 10 KB frames, like the QX100's 9–14 KB). */
  quality?: number;
  /** Pad the JPEG region to a multiple of 128 bytes with junk after the EOI (default true, §5.3). */
  qxPadding?: boolean;
  /** Also send a type-0x02 packet with 1–3 focus frames after each JPEG (default false). */
  focusFrames?: boolean;
  /**
   * A recorded de-chunked stream: its complete packets are re-sent byte-identical instead of the
   * test pattern (a truncated last packet is ignored). Later passes (see `replayLoop`) rewrite
   * sequence and timestamp so they continue.
   */
  replay?: Uint8Array;
  /** "timestamps" (default): wait as long as the recording did (capped at 2 s); "fps": 1/fps. */
  replayPacing?: "timestamps" | "fps";
  /** Start over after the last recorded packet (default true); false ends the response cleanly. */
  replayLoop?: boolean;
  /** Occasional stalls; `true` uses the defaults of {@link LiveviewJitter} (default off). */
  jitter?: boolean | LiveviewJitter;
  /** Seed of the random choices (junk, cut points, stalls); default 1. */
  seed?: number;
  /** Whether the simulated camera's liveview is started (default: always). */
  isActive?: () => boolean;
  /** Drop a reader whose socket has not drained for this long, in ms (default 10000, §5.1). */
  stallTimeoutMs?: number;
  /** Timestamp of the first packet of a connection, in ms (default 4, as the QX100, §5.3). */
  timestampOffset?: number;
  /**
   * Called with exactly the bytes written for each packet (after faults), for tests. Runs inside
   * the pacing timer: it must not throw. `bytes` may share memory with `replay`: copy to keep.
   */
  onPacket?: (bytes: Buffer, info: SentPacketInfo) => void;
}

/** Counters of {@link LiveviewServer.stats}. */
export interface LiveviewStats {
  /** GETs accepted (each starts a stream). */
  connections: number;
  /** GETs refused because liveview was not active (404). */
  refused: number;
  /** Readers force-disconnected by a newer GET. */
  kicked: number;
  /** Readers dropped because their socket did not drain within `stallTimeoutMs`. */
  stalledDrops: number;
  /** Packets written (partial ones from drop/cut included). */
  packetsSent: number;
  /** Frame times skipped because the reader's socket was backed up. */
  framesSkipped: number;
  /** Largest number of bytes seen queued in a response after a write. */
  maxBuffered: number;
  /** A reader is connected now. */
  readerConnected: boolean;
}

/** Splits a recorded de-chunked stream into complete packets, by their lengths (§5.4). */
export function splitRecordedStream(stream: Uint8Array): Buffer[] {
  const buf = Buffer.from(stream.buffer, stream.byteOffset, stream.byteLength);
  const packets: Buffer[] = [];
  let o = 0;
  while (o + HEADERS_SIZE <= buf.length) {
    if (buf[o] !== START_BYTE || buf.readUInt32BE(o + COMMON_HEADER_SIZE) !== START_CODE) break;
    const size = buf.readUIntBE(o + COMMON_HEADER_SIZE + 4, 3);
    const padding = buf[o + COMMON_HEADER_SIZE + 7] ?? 0;
    const end = o + HEADERS_SIZE + size + padding;
    if (end > buf.length) break; // truncated tail, as in the QX100 capture (§5.3)
    packets.push(buf.subarray(o, end));
    o = end;
  }
  return packets;
}

interface Reader {
  id: number;
  res: ServerResponse;
  /** Next sequence number. */
  seq: number;
  /** performance.now() at connection start. */
  t0: number;
  lastTimestamp: number;
  /** Time the next tick is due (performance.now() scale). */
  due: number;
  timer: NodeJS.Timeout | undefined;
  /** When the socket last reported backpressure and has not drained since. */
  backedUpSince: number | undefined;
  replayIndex: number;
  replayPass: number;
  closed: boolean;
}

/** Tiny seeded PRNG (mulberry32): deterministic junk, cut points and stalls. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** How many packets `corrupt` spoils, one way each. */
const CORRUPT_PACKETS = 3;
/** Longest wait between replayed packets when pacing by the recording's timestamps. */
const MAX_REPLAY_GAP_MS = 2000;

/**
 * Serves the liveview stream to one reader at a time. Construct once per simulated camera; mount
 * {@link handle} on the liveview route. Constructing does no I/O and starts no timer.
 */
export class LiveviewServer {
  readonly #fps: number;
  readonly #width: number;
  readonly #height: number;
  readonly #quality: number;
  readonly #qxPadding: boolean;
  readonly #focusFrames: boolean;
  readonly #replay: Buffer[] | undefined;
  readonly #replayPacing: "timestamps" | "fps";
  readonly #replayLoop: boolean;
  readonly #jitter: Required<LiveviewJitter> | undefined;
  readonly #isActive: () => boolean;
  readonly #stallTimeoutMs: number;
  readonly #timestampOffset: number;
  readonly #onPacket: ((bytes: Buffer, info: SentPacketInfo) => void) | undefined;
  readonly #random: () => number;

  #reader: Reader | undefined;
  #connections = 0;
  #frame = 0;
  #stale: Buffer = Buffer.alloc(0);
  #armed: "drop" | "cut" | undefined;
  #corruptLeft = 0;
  #hang = false;
  readonly #stats = {
    refused: 0,
    kicked: 0,
    stalledDrops: 0,
    packetsSent: 0,
    framesSkipped: 0,
    maxBuffered: 0,
  };

  /**
   * Checks the options (so that nothing can throw later inside a timer) and stores them.
   * @throws RangeError on fps outside (0, 1000], a size outside 1..65535, quality outside
   * 1..100, or a replay recording without one complete packet.
   */
  constructor(options: LiveviewServerOptions = {}) {
    this.#fps = options.fps ?? 30;
    if (!(this.#fps > 0 && this.#fps <= 1000)) throw new RangeError(`bad fps ${this.#fps}`);
    this.#width = options.width ?? 640;
    this.#height = options.height ?? 480;
    for (const v of [this.#width, this.#height]) {
      if (!Number.isInteger(v) || v < 1 || v > 0xffff) throw new RangeError(`bad size ${v}`);
    }
    this.#quality = options.quality ?? 60;
    if (!(this.#quality >= 1 && this.#quality <= 100)) {
      throw new RangeError(`bad quality ${this.#quality}`);
    }
    this.#qxPadding = options.qxPadding ?? true;
    this.#focusFrames = options.focusFrames ?? false;
    if (options.replay !== undefined) {
      this.#replay = splitRecordedStream(options.replay);
      if (this.#replay.length === 0) throw new RangeError("replay holds no complete packet");
    }
    this.#replayPacing = options.replayPacing ?? "timestamps";
    this.#replayLoop = options.replayLoop ?? true;
    const j = options.jitter;
    if (j !== undefined && j !== false) {
      const o = j === true ? {} : j;
      this.#jitter = {
        probability: o.probability ?? 0.02,
        minMs: o.minMs ?? 200,
        maxMs: o.maxMs ?? 1350,
      };
    }
    this.#isActive = options.isActive ?? (() => true);
    this.#stallTimeoutMs = options.stallTimeoutMs ?? 10_000;
    this.#timestampOffset = options.timestampOffset ?? 4;
    this.#onPacket = options.onPacket;
    this.#random = prng(options.seed ?? 1);
  }

  /** Current counters (a snapshot). */
  get stats(): LiveviewStats {
    return {
      connections: this.#connections,
      ...this.#stats,
      readerConnected: this.#reader !== undefined,
    };
  }

  /**
   * Request handler for the liveview URL. GET (or HEAD) while active → 200 and the endless
   * chunked stream; any older reader is force-disconnected first (§5.1). While liveview is not
   * started (`isActive()` false) → 404 with an empty body: §5 does not say what the camera does
   * then, and failing fast lets a client go back to startLiveview instead of hanging. If liveview
   * stops during a stream, the response ends cleanly at a packet boundary (§5.4 "stream stops
   * when liveview is stopped"). Other methods → 405.
   */
  handle(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { Allow: "GET", "Content-Length": "0" }).end();
      return;
    }
    if (!this.#isActive()) {
      this.#stats.refused++;
      res.writeHead(404, { "Content-Length": "0" }).end();
      return;
    }
    const older = this.#reader;
    if (older !== undefined) {
      this.#stats.kicked++;
      this.#close(older, "destroy");
    }
    // No Content-Length: node sends HTTP/1.1 chunked, one chunk per write (§5.1). The real
    // Content-Type is unknown (§9); image/jpeg follows the DLNA suffix of the liveview URL.
    res.writeHead(200, { "Content-Type": "image/jpeg", "Cache-Control": "no-cache" });
    res.flushHeaders();
    if (req.method === "HEAD") {
      res.end();
      return;
    }
    res.socket?.setNoDelay(true);
    const now = performance.now();
    const reader: Reader = {
      id: ++this.#connections,
      res,
      seq: 0,
      t0: now,
      lastTimestamp: -1,
      due: now,
      timer: undefined,
      backedUpSince: undefined,
      replayIndex: 0,
      replayPass: 0,
      closed: false,
    };
    this.#reader = reader;
    res.on("drain", () => {
      reader.backedUpSince = undefined;
    });
    res.on("close", () => {
      this.#close(reader, "none");
    });
    // The first packet goes out at once, like the camera's first frame.
    this.#tick(reader);
  }

  /**
   * Injects a fault into the stream:
   * - `drop`: the next packet is cut at a random point inside it and the socket destroyed.
   * - `cut`: the next packet is cut at a random point and the response ended cleanly
   *   (terminating chunk sent), i.e. a clean EOF mid-packet.
   * - `corrupt`: the next 3 packets are spoiled: 37 junk bytes inserted before the first, the
   *   second's start code altered (0x24 → 0x25), the third's start byte 0xFF → 0x00.
   * - `hang`: stop sending but keep the connection open (also for new readers) until `none`.
   * - `none`: clears every pending fault and resumes a hung stream.
   * drop/cut/corrupt are one-shot and stay armed until a packet is sent.
   */
  fault(kind: LiveviewFault): void {
    switch (kind) {
      case "drop":
      case "cut":
        this.#armed = kind;
        break;
      case "corrupt":
        this.#corruptLeft = CORRUPT_PACKETS;
        break;
      case "hang":
        this.#hang = true;
        break;
      case "none":
        this.#armed = undefined;
        this.#corruptLeft = 0;
        this.#hang = false;
        break;
    }
  }

  /**
   * Ends the current reader's response cleanly (at a packet boundary) and clears every timer.
   * Idempotent; later GETs are served again (the core calls this on stopLiveview and on
   * shutdown, and closes its HTTP server itself). Faults stay as set.
   */
  stop(): void {
    const r = this.#reader;
    if (r !== undefined) this.#close(r, "end");
  }

  #close(r: Reader, how: "end" | "destroy" | "none"): void {
    if (r.closed) return;
    r.closed = true;
    if (r.timer !== undefined) clearTimeout(r.timer);
    r.timer = undefined;
    if (this.#reader === r) this.#reader = undefined;
    if (how === "end") r.res.end();
    else if (how === "destroy") r.res.destroy();
  }

  #schedule(r: Reader, extraMs = 0): void {
    const interval = 1000 / this.#fps;
    const now = performance.now();
    r.due += interval + extraMs;
    // After a long event-loop block, do not burst to catch up: restart the cadence from now.
    if (r.due < now - 5 * interval) r.due = now + interval;
    r.timer = setTimeout(
      () => {
        r.timer = undefined;
        this.#tick(r);
      },
      Math.max(0, r.due - now),
    );
  }

  #tick(r: Reader): void {
    if (r.closed) return;
    if (!this.#isActive()) {
      this.#close(r, "end");
      return;
    }
    if (this.#hang) {
      this.#schedule(r);
      return;
    }
    const now = performance.now();
    if (r.res.writableNeedDrain) {
      r.backedUpSince ??= now;
      if (now - r.backedUpSince > this.#stallTimeoutMs) {
        this.#stats.stalledDrops++;
        this.#close(r, "destroy");
        return;
      }
      // Skip the frame rather than queue it: memory stays bounded for a slow reader.
      this.#stats.framesSkipped++;
      this.#frame++;
      this.#schedule(r);
      return;
    }
    if (this.#replay !== undefined) {
      this.#tickReplay(r, this.#replay);
      return;
    }
    const frame = this.#frame++;
    const jpeg = renderFrame(frame, {
      width: this.#width,
      height: this.#height,
      quality: this.#quality,
    });
    const data = this.#qxPadding ? this.#padded(jpeg, frame) : jpeg;
    const timestamp = this.#timestamp(r, now);
    const packet = encodeLiveviewPacket({
      payloadType: PayloadType.LIVEVIEW_IMAGE,
      sequence: r.seq,
      timestamp,
      data,
    });
    if (!this.#send(r, packet, { payloadType: PayloadType.LIVEVIEW_IMAGE, frame })) return;
    if (this.#focusFrames) {
      const focus = encodeLiveviewPacket({
        payloadType: PayloadType.FRAME_INFO,
        sequence: r.seq,
        timestamp,
        data: encodeFocusFrames(focusFramesFor(frame)),
      });
      if (!this.#send(r, focus, { payloadType: PayloadType.FRAME_INFO, frame })) return;
    }
    this.#schedule(r, this.#stall());
  }

  #tickReplay(r: Reader, packets: Buffer[]): void {
    const i = r.replayIndex;
    const original = packets[i];
    if (original === undefined) return; // unreachable: the index wraps below
    let packet = original;
    if (r.replayPass > 0) {
      // Later passes continue the sequence and the clock instead of jumping back to the start.
      const prev = packets[(i + packets.length - 1) % packets.length] ?? original;
      const gap = Math.max(1, (original.readUInt32BE(4) - prev.readUInt32BE(4)) >>> 0);
      packet = Buffer.from(original);
      packet.writeUInt16BE(r.seq & 0xffff, 2);
      packet.writeUInt32BE((r.lastTimestamp + Math.min(gap, MAX_REPLAY_GAP_MS)) >>> 0, 4);
    }
    r.lastTimestamp = packet.readUInt32BE(4);
    if (!this.#send(r, packet, { payloadType: packet[1] ?? 0, frame: undefined })) return;
    r.replayIndex = i + 1;
    if (r.replayIndex >= packets.length) {
      if (!this.#replayLoop) {
        this.#close(r, "end");
        return;
      }
      r.replayIndex = 0;
      r.replayPass++;
    }
    let wait = 0;
    if (this.#replayPacing === "timestamps") {
      const next = packets[r.replayIndex];
      const gap =
        next === undefined || r.replayIndex === 0
          ? 1000 / this.#fps
          : (next.readUInt32BE(4) - original.readUInt32BE(4)) >>> 0;
      wait = Math.min(gap, MAX_REPLAY_GAP_MS) - 1000 / this.#fps;
    }
    this.#schedule(r, wait);
  }

  /** Milliseconds since connection start plus the offset; strictly increasing. */
  #timestamp(r: Reader, now: number): number {
    // The first packet carries exactly the offset (the QX100 starts at 4 ms, §5.3).
    const t =
      r.lastTimestamp < 0
        ? this.#timestampOffset
        : Math.max(r.lastTimestamp + 1, Math.round(now - r.t0) + this.#timestampOffset);
    r.lastTimestamp = t;
    return t >>> 0;
  }

  /** Extra delay of a stall starting now, or 0. */
  #stall(): number {
    const j = this.#jitter;
    if (j === undefined || this.#random() >= j.probability) return 0;
    return j.minMs + Math.floor(this.#random() * (j.maxMs - j.minMs + 1));
  }

  /**
   * The QX padding quirk (§5.3): the JPEG region is padded to the next multiple of 128 (1–128
   * junk bytes) with stale bytes of the previous, longer frame's buffer, and every 4th frame's
   * junk holds an FF D9 pair (the real end must be found structurally, §5.4).
   */
  #padded(jpeg: Buffer, frame: number): Buffer {
    const junkLen = 128 - (jpeg.length % 128);
    const out = Buffer.allocUnsafe(jpeg.length + junkLen);
    jpeg.copy(out);
    for (let i = jpeg.length; i < out.length; i++) {
      out[i] = i < this.#stale.length ? (this.#stale[i] ?? 0) : Math.floor(this.#random() * 256);
    }
    if (frame % 4 === 1 && junkLen >= 2) {
      const at = jpeg.length + Math.floor(this.#random() * (junkLen - 1));
      out[at] = 0xff;
      out[at + 1] = 0xd9;
    }
    if (out.length >= this.#stale.length) this.#stale = out;
    else out.copy(this.#stale);
    return out;
  }

  /**
   * Writes one packet as two chunks (headers, then data), applying pending faults. Returns
   * false when the reader is gone afterwards.
   */
  #send(r: Reader, packet: Buffer, info: Omit<SentPacketInfo, "connection" | "sequence">): boolean {
    const full: SentPacketInfo = { connection: r.id, sequence: r.seq & 0xffff, ...info };
    r.seq++;
    const armed = this.#armed;
    if (armed !== undefined) {
      this.#armed = undefined;
      // A point strictly inside the packet: at least one byte sent, at least one missing.
      const cutAt = 1 + Math.floor(this.#random() * (packet.length - 1));
      const part = packet.subarray(0, cutAt);
      this.#record(part, { ...full, fault: armed });
      if (armed === "cut") {
        this.#write(r, part);
        this.#close(r, "end");
      } else {
        // Destroy once the partial packet has reached the socket, else it would be discarded
        // with the socket's queue and the reader would see a drop at a packet boundary.
        const res = r.res;
        this.#write(r, part, () => res.destroy());
        this.#close(r, "none");
      }
      return false;
    }
    let bytes = packet;
    if (this.#corruptLeft > 0) {
      const variant = CORRUPT_PACKETS - this.#corruptLeft;
      this.#corruptLeft--;
      if (variant === 0) {
        const junk = Buffer.alloc(37);
        for (let i = 0; i < junk.length; i++) junk[i] = Math.floor(this.#random() * 256);
        junk[0] = 0xff; // looks like a start byte, but no start code follows
        bytes = Buffer.concat([junk, packet]);
        this.#write(r, junk);
        this.#write(r, packet);
      } else {
        bytes = Buffer.from(packet);
        if (variant === 1) bytes[COMMON_HEADER_SIZE] = 0x25;
        else bytes[0] = 0x00;
        this.#write(r, bytes);
      }
      this.#record(bytes, { ...full, fault: "corrupt" });
      return !r.closed;
    }
    this.#write(r, packet);
    this.#record(bytes, full);
    return !r.closed;
  }

  /** Headers and payload in separate chunks, as the QX10 sends them (§5.1). */
  #write(r: Reader, bytes: Buffer, flushed?: () => void): void {
    if (r.closed || r.res.destroyed) return;
    const head = bytes.subarray(0, Math.min(bytes.length, HEADERS_SIZE));
    const rest = bytes.length > HEADERS_SIZE ? bytes.subarray(HEADERS_SIZE) : undefined;
    const ok1 = r.res.write(head, rest === undefined ? flushed : undefined);
    const ok2 = rest === undefined ? true : r.res.write(rest, flushed);
    if (!ok1 || !ok2) r.backedUpSince ??= performance.now();
    this.#stats.maxBuffered = Math.max(this.#stats.maxBuffered, r.res.writableLength);
  }

  #record(bytes: Buffer, info: SentPacketInfo): void {
    this.#stats.packetsSent++;
    this.#onPacket?.(bytes, info);
  }
}

/**
 * 1–3 focus frames for frame n (frame-info v1.0 records, coordinates 0..10000): a main frame
 * drifting across the picture, focused every other second, plus 0–2 normal frames.
 */
function focusFramesFor(n: number): FocusFrame[] {
  const count = 1 + (n % 3);
  const frames: FocusFrame[] = [];
  for (let i = 0; i < count; i++) {
    const x = (1000 + ((n * 40 + i * 2500) % 7000)) | 0;
    const y = 2000 + i * 2000;
    frames.push({
      topLeft: { x, y },
      bottomRight: { x: x + 1500, y: y + 1500 },
      category: 1, // contrast AF
      status: i === 0 ? (Math.floor(n / 30) % 2 === 0 ? 2 : 4) : 1, // main / focused, then normal
      additional: i === 0 ? 1 : 0,
    });
  }
  return frames;
}
