/**
 * Pure JSON-RPC codec of the Sony Camera Remote API (camera-api.md §2): request envelopes in,
 * decoded replies out. No I/O, no timers; the HTTP edge is `client.ts`.
 */
import { BridgeError } from "../errors.js";

/** Largest request id the API allows (camera-api.md §2.1: 1…2^31-1, DG120 p.14). */
export const MAX_RPC_ID = 2_147_483_647;

/** `version` must look like "1.0" (DG120: "X.Y", mandatory). */
const VERSION_PATTERN = /^\d+\.\d+$/;

/** A decoded reply: the `result` (or `results`) array, or the camera's `[code, message]` error. */
export type DecodedResponse =
  { ok: true; result: unknown[] } | { ok: false; code: number; message: string };

/** True when `id` is a valid request id (integer 1…{@link MAX_RPC_ID}; 0 is forbidden). */
export function isValidRpcId(id: unknown): id is number {
  return typeof id === "number" && Number.isInteger(id) && id >= 1 && id <= MAX_RPC_ID;
}

/**
 * The id after `previous`: `previous + 1`, wrapping from {@link MAX_RPC_ID} back to 1 (never 0).
 * Any invalid `previous` (0, negative, fractional, NaN) yields 1, so `nextId(0)` starts a sequence.
 */
export function nextId(previous: number): number {
  if (!isValidRpcId(previous) || previous === MAX_RPC_ID) return 1;
  return previous + 1;
}

/**
 * Encodes one request body `{"method","params","id","version"}` (camera-api.md §2.1), members in
 * the order DG120 shows.
 * @param params - always an array (`[]` when the method takes none); a missing or non-array params
 *   makes the camera answer error 5, so it is refused here
 * @param id - 1…2^31-1
 * @param version - "X.Y", e.g. "1.0"
 * @throws BridgeError COMMAND_INVALID for an empty method, non-array params, a bad id or version,
 *   or params that JSON cannot encode (BigInt, cycles)
 */
export function encodeRequest(
  method: string,
  params: readonly unknown[],
  id: number,
  version: string,
): string {
  if (typeof method !== "string" || method.length === 0) {
    throw new BridgeError("COMMAND_INVALID", "JSON-RPC method must be a non-empty string");
  }
  if (!Array.isArray(params)) {
    throw new BridgeError("COMMAND_INVALID", `${method}: params must be an array`);
  }
  if (!isValidRpcId(id)) {
    throw new BridgeError("COMMAND_INVALID", `${method}: id must be an integer 1…${MAX_RPC_ID}`, {
      context: { id },
    });
  }
  if (typeof version !== "string" || !VERSION_PATTERN.test(version)) {
    throw new BridgeError("COMMAND_INVALID", `${method}: version must look like "1.0"`, {
      context: { version },
    });
  }
  try {
    return JSON.stringify({ method, params, id, version });
  } catch (e) {
    throw new BridgeError("COMMAND_INVALID", `${method}: params cannot be encoded as JSON`, {
      cause: e,
    });
  }
}

function protocolError(message: string, context: Record<string, unknown> = {}): BridgeError {
  return new BridgeError("CAMERA_PROTOCOL", message, { context });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Decodes a reply body (camera-api.md §2.2, §6.13).
 *
 * Accepted: `result` or `results` (getMethodTypes answers with the plural); any member order;
 * `\/` escapes (the Smart Remote app escapes `/`; JSON.parse decodes them); `"error": null` beside a
 * result (DG120's generic example). Errors are `[code, message]`; their `id` may be missing (HTTP
 * errors, e.g. RX100M2's 404) or differ, since an error is an error whoever it was meant for; a
 * missing message becomes "".
 *
 * @param text - the body as text
 * @param expectedId - the id of the request; a success must carry exactly this id
 * @throws BridgeError CAMERA_PROTOCOL for non-JSON, a non-object, a malformed `error`, a success
 *   with a missing or wrong id, or a result that is not an array
 */
export function decodeResponse(text: string, expectedId: number): DecodedResponse {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new BridgeError("CAMERA_PROTOCOL", "camera reply is not JSON", {
      cause: e,
      context: { body: text.slice(0, 200) },
    });
  }
  if (!isRecord(parsed)) throw protocolError("camera reply is not a JSON object");

  const error = parsed["error"];
  if (error !== undefined && error !== null) {
    if (!Array.isArray(error) || error.length < 1 || error.length > 2) {
      throw protocolError("camera error is not [code, message]", { error });
    }
    const [code, message] = error as unknown[];
    if (typeof code !== "number" || !Number.isInteger(code)) {
      throw protocolError("camera error code is not an integer", { error });
    }
    if (message !== undefined && typeof message !== "string") {
      throw protocolError("camera error message is not a string", { error });
    }
    return { ok: false, code, message: message ?? "" };
  }

  const id = parsed["id"];
  if (id !== expectedId) {
    throw protocolError(
      `camera reply has id ${id === undefined ? "none" : JSON.stringify(id)}, expected ${expectedId}`,
      {
        id,
        expectedId,
      },
    );
  }
  // getMethodTypes answers with "results" (camera-api.md §2.2, REF240 p.254).
  const result = parsed["result"] ?? parsed["results"];
  if (!Array.isArray(result)) {
    throw protocolError("camera reply has no result array", {
      result: result === undefined ? "missing" : typeof result,
    });
  }
  return { ok: true, result: result as unknown[] };
}
