/**
 * Pure liveview packet encoder: the inverse of the decoder, used by the simulator and by tests to
 * produce byte streams exactly as cameras send them (camera-api.md §5.2). No I/O.
 */
import {
  COMMON_HEADER_SIZE,
  FOCUS_FRAME_RECORD_SIZE,
  HEADERS_SIZE,
  PayloadType,
  START_BYTE,
  START_CODE,
  type FocusFrame,
  type PayloadTypeValue,
} from "./types.js";

/** What goes into one packet. */
export interface LiveviewPacketInput {
  payloadType: PayloadTypeValue;
  /** Sequence number; taken modulo 2^16. */
  sequence: number;
  /** Timestamp in ms; taken modulo 2^32. */
  timestamp: number;
  /** The payload data (a JPEG region, frame records, playback info) without padding. */
  data: Uint8Array;
  /** Padding bytes written after the data (0–255 of them; their content is junk on cameras). */
  padding?: Uint8Array;
  /** Type 0x02: number of frame records (default: data length / 16). */
  frameCount?: number;
  /** Type 0x11 (and, as Smart Remote firmware does, 0x01): image width and height. */
  width?: number;
  height?: number;
}

/** Encodes one packet: 8-byte common header, 128-byte payload header, data, padding. */
export function encodeLiveviewPacket(input: LiveviewPacketInput): Buffer {
  const padding = input.padding ?? new Uint8Array(0);
  if (padding.length > 0xff) throw new RangeError("padding longer than 255 bytes");
  if (input.data.length > 0xffffff) throw new RangeError("payload data longer than 2^24-1 bytes");
  const out = Buffer.alloc(HEADERS_SIZE + input.data.length + padding.length);
  out[0] = START_BYTE;
  out[1] = input.payloadType;
  out.writeUInt16BE(input.sequence & 0xffff, 2);
  out.writeUInt32BE(input.timestamp >>> 0, 4);
  const h = COMMON_HEADER_SIZE;
  out.writeUInt32BE(START_CODE, h);
  out.writeUIntBE(input.data.length, h + 4, 3);
  out[h + 7] = padding.length;
  switch (input.payloadType) {
    case PayloadType.FRAME_INFO:
      out[h + 8] = 1; // frame-info data version 1.0
      out[h + 9] = 0;
      out.writeUInt16BE(
        input.frameCount ?? Math.floor(input.data.length / FOCUS_FRAME_RECORD_SIZE),
        h + 10,
      );
      out.writeUInt16BE(FOCUS_FRAME_RECORD_SIZE, h + 12);
      break;
    case PayloadType.PLAYBACK_INFO:
      out[h + 8] = 1; // playback-info version 1.0
      out[h + 9] = 0;
      break;
    case PayloadType.LIVEVIEW_IMAGE:
    case PayloadType.STREAMING_IMAGE:
      if (input.width !== undefined) out.writeUInt16BE(input.width, h + 8);
      if (input.height !== undefined) out.writeUInt16BE(input.height, h + 10);
      break;
  }
  out.set(input.data, HEADERS_SIZE);
  out.set(padding, HEADERS_SIZE + input.data.length);
  return out;
}

/** Encodes focus-frame records (16 bytes each) for a type-0x02 packet's data. */
export function encodeFocusFrames(frames: readonly FocusFrame[]): Buffer {
  const out = Buffer.alloc(frames.length * FOCUS_FRAME_RECORD_SIZE);
  frames.forEach((f, i) => {
    const o = i * FOCUS_FRAME_RECORD_SIZE;
    out.writeUInt16BE(f.topLeft.x, o);
    out.writeUInt16BE(f.topLeft.y, o + 2);
    out.writeUInt16BE(f.bottomRight.x, o + 4);
    out.writeUInt16BE(f.bottomRight.y, o + 6);
    out[o + 8] = f.category;
    out[o + 9] = f.status;
    out[o + 10] = f.additional;
  });
  return out;
}
