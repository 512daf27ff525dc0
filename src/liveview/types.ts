/**
 * Liveview wire-format constants and value types (camera-api.md §5.2, REF240 p.269–271).
 * Shared by the decoder, the encoder and the simulator.
 */

/** First byte of every packet's 8-byte common header. */
export const START_BYTE = 0xff;
/** Start code at the beginning of every 128-byte payload header. */
export const START_CODE = 0x24356879;
/** Size of the common header. */
export const COMMON_HEADER_SIZE = 8;
/** Size of the payload header. */
export const PAYLOAD_HEADER_SIZE = 128;
/** Both headers together. */
export const HEADERS_SIZE = COMMON_HEADER_SIZE + PAYLOAD_HEADER_SIZE;
/** Size of one focus-frame record (frame-info version 1.0). */
export const FOCUS_FRAME_RECORD_SIZE = 16;

/** Payload types of the common header. */
export const PayloadType = {
  /** Liveview JPEG. */
  LIVEVIEW_IMAGE: 0x01,
  /** Liveview frame information (focus frames). */
  FRAME_INFO: 0x02,
  /** Streaming (playback) image. */
  STREAMING_IMAGE: 0x11,
  /** Streaming playback information. */
  PLAYBACK_INFO: 0x12,
} as const;

/** One of {@link PayloadType}'s values. */
export type PayloadTypeValue = (typeof PayloadType)[keyof typeof PayloadType];

/** A point in frame-info coordinates (0..10000 on both axes, origin top-left). */
export interface FramePoint {
  x: number;
  y: number;
}

/** One focus-frame record of a type-0x02 packet. */
export interface FocusFrame {
  topLeft: FramePoint;
  bottomRight: FramePoint;
  /** 0 invalid, 1 contrast AF, 2 phase-detection AF, 3 reserved, 4 face, 5 tracking. */
  category: number;
  /** 0 invalid, 1 normal, 2 main, 3 sub, 4 focused, 5–7 reserved. */
  status: number;
  /** 0 invalid, 1 selected, 2 large frame. */
  additional: number;
}
