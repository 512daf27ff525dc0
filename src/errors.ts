/**
 * The one error type of qx10-mqtt. Every failure that crosses a module boundary is a
 * {@link BridgeError} with a string {@link ErrorCode}; callers decide (retry, report, exit) by
 * code through the guards below, never by message text.
 */

/** Stable string codes, grouped by area. */
export type ErrorCode =
  /** Configuration file or environment failed validation (exit code 2). */
  | "CONFIG_INVALID"
  /** Command-line usage error (exit code 2). */
  | "USAGE"
  /** SSDP found no camera, or the device description named no usable service. */
  | "CAMERA_NOT_FOUND"
  /** The device description could not be parsed. */
  | "CAMERA_DESCRIPTION"
  /** The camera answered with an HTTP status other than 200 (the status is the `cameraCode`). */
  | "CAMERA_HTTP"
  /** The camera answered with a JSON-RPC error `[code, message]` (the code is the `cameraCode`). */
  | "CAMERA_RPC"
  /** The camera's reply was not valid JSON-RPC (bad JSON, wrong id, no result). */
  | "CAMERA_PROTOCOL"
  /** No answer within the per-call timeout. */
  | "CAMERA_TIMEOUT"
  /** Connection refused, reset, DNS failure: the camera is not reachable. */
  | "CAMERA_UNREACHABLE"
  /** The liveview stream could not be opened or ended. */
  | "LIVEVIEW_STREAM"
  /** The MQTT broker is not reachable or refused us. */
  | "MQTT_UNAVAILABLE"
  /** A command payload failed validation. */
  | "COMMAND_INVALID"
  /** The operation was aborted because the process is shutting down (or its signal fired). */
  | "ABORTED";

/** Options for {@link BridgeError}. */
export interface BridgeErrorOptions {
  /** The underlying error (library error, system error). */
  cause?: unknown;
  /** Camera-side code: a JSON-RPC error code (1–15, 40400–40403, 41000–41003) or an HTTP status. */
  cameraCode?: number;
  /** Extra structured facts for logs (never secrets). */
  context?: Record<string, unknown>;
}

/** The single error class; see {@link ErrorCode}. */
export class BridgeError extends Error {
  override readonly name = "BridgeError";
  /** What went wrong, as a stable string. */
  readonly code: ErrorCode;
  /** The camera's own error code or HTTP status, when the camera produced the error. */
  readonly cameraCode: number | undefined;
  /** Structured context for logs. */
  readonly context: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: BridgeErrorOptions = {}) {
    // The code is part of the message so it survives in a bare stack trace (zwave-js does the same).
    super(
      `${message} (${code}${options.cameraCode === undefined ? "" : ` ${options.cameraCode}`})`,
      {
        cause: options.cause,
      },
    );
    this.code = code;
    this.cameraCode = options.cameraCode;
    this.context = options.context;
  }
}

/** True when `e` is a {@link BridgeError}, optionally with the given code. */
export function isBridgeError(e: unknown, code?: ErrorCode): e is BridgeError {
  return e instanceof BridgeError && (code === undefined || e.code === code);
}

/** True when `e` is a camera error (RPC or HTTP) with the given camera code. */
export function isCameraCode(e: unknown, cameraCode: number): e is BridgeError {
  return (
    isBridgeError(e) &&
    (e.code === "CAMERA_RPC" || e.code === "CAMERA_HTTP") &&
    e.cameraCode === cameraCode
  );
}

/**
 * Camera JSON-RPC error codes (camera-api.md §2.3). Named so call sites read as the spec does.
 */
export const CameraErrorCode = {
  ANY: 1,
  TIMEOUT: 2,
  ILLEGAL_ARGUMENT: 3,
  ILLEGAL_DATA_FORMAT: 4,
  ILLEGAL_REQUEST: 5,
  ILLEGAL_RESPONSE: 6,
  ILLEGAL_STATE: 7,
  ILLEGAL_TYPE: 8,
  INDEX_OUT_OF_BOUNDS: 9,
  NO_SUCH_ELEMENT: 10,
  NO_SUCH_FIELD: 11,
  NO_SUCH_METHOD: 12,
  NULL_POINTER: 13,
  UNSUPPORTED_VERSION: 14,
  UNSUPPORTED_OPERATION: 15,
  SHOOTING_FAIL: 40400,
  CAMERA_NOT_READY: 40401,
  ALREADY_POLLING: 40402,
  STILL_CAPTURING_NOT_FINISHED: 40403,
  CONTENT_PROTECTED: 41000,
  CONTENT_DOES_NOT_EXIST: 41001,
  STORAGE_REMOVED: 41002,
  SOME_CONTENT_NOT_DELETED: 41003,
} as const;

/**
 * True when retrying the same operation later may succeed: the camera was unreachable, slow, busy,
 * or answered a transient error. Decided by code only.
 */
export function isRetryable(e: unknown): boolean {
  if (!isBridgeError(e)) return false;
  switch (e.code) {
    case "CAMERA_TIMEOUT":
    case "CAMERA_UNREACHABLE":
    case "LIVEVIEW_STREAM":
    case "MQTT_UNAVAILABLE":
      return true;
    case "CAMERA_HTTP":
      return e.cameraCode === 500 || e.cameraCode === 503;
    case "CAMERA_RPC":
      return (
        e.cameraCode === CameraErrorCode.ANY ||
        e.cameraCode === CameraErrorCode.TIMEOUT ||
        e.cameraCode === CameraErrorCode.CAMERA_NOT_READY
      );
    case "CONFIG_INVALID":
    case "USAGE":
    case "CAMERA_NOT_FOUND":
    case "CAMERA_DESCRIPTION":
    case "CAMERA_PROTOCOL":
    case "COMMAND_INVALID":
    case "ABORTED":
      return false;
  }
}

/** True when the camera can no longer be reached at all (the session should be rebuilt). */
export function isCameraGone(e: unknown): boolean {
  return isBridgeError(e) && (e.code === "CAMERA_UNREACHABLE" || e.code === "CAMERA_TIMEOUT");
}
