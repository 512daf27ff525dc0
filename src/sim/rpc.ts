/**
 * The camera side of the JSON-RPC envelope (camera-api.md §2): request validation and reply
 * serialisation exactly as the QX/AS firmware puts them on the wire. Pure: values in, values out.
 */

/** Camera error codes the simulator sends (camera-api.md §2.3). */
export const SimErrorCode = {
  ANY: 1,
  TIMEOUT: 2,
  ILLEGAL_ARGUMENT: 3,
  ILLEGAL_REQUEST: 5,
  ILLEGAL_STATE: 7,
  NO_SUCH_METHOD: 12,
  UNSUPPORTED_VERSION: 14,
  SHOOTING_FAIL: 40400,
  CAMERA_NOT_READY: 40401,
  ALREADY_POLLING: 40402,
  STILL_CAPTURING_NOT_FINISHED: 40403,
} as const;

/** Spec texts for the codes (REF240 p.275); "Not Available Now" is SRC's wording for code 1. */
const MESSAGES: Readonly<Record<number, string>> = {
  1: "Not Available Now",
  2: "Timeout",
  3: "Illegal Argument",
  4: "Illegal Data Format",
  5: "Illegal Request",
  6: "Illegal Response",
  7: "Illegal State",
  8: "Illegal Type",
  9: "Index Out Of Bounds",
  10: "No Such Element",
  11: "No Such Field",
  12: "No Such Method",
  13: "Null Pointer",
  14: "Unsupported Version",
  15: "Unsupported Operation",
  40400: "Shooting fail",
  40401: "Camera Not Ready",
  40402: "Already Running Polling Api",
  40403: "Still Capturing Not Finished",
  41000: "Content Protected",
  41001: "Content Does Not Exist",
  41002: "Storage Removed",
  41003: "Some content could not be deleted",
  403: "Forbidden",
  404: "Not Found",
  413: "Request Entity Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
};

/** The text the simulator puts next to `code` in an error reply. */
export function errorMessage(code: number): string {
  return MESSAGES[code] ?? "Any";
}

/** A request that passed envelope validation. */
export interface RpcRequest {
  id: number;
  method: string;
  params: unknown[];
  version: string;
}

/** Outcome of {@link parseRpcRequest}: the request, or the error reply to send (id when known). */
export type ParsedRpc =
  { ok: true; request: RpcRequest } | { ok: false; id: number | undefined; code: number };

const MAX_ID = 2 ** 31 - 1;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Validates a request body (DG120 p.14, REF240 error 5): the body must be one JSON object with an
 * integer `id` in 1…2^31-1, a string `method`, an array `params` and a string `version`; anything
 * else is error 5 Illegal Request. The id is echoed whenever it was valid.
 */
export function parseRpcRequest(body: string): ParsedRpc {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { ok: false, id: undefined, code: SimErrorCode.ILLEGAL_REQUEST };
  }
  if (!isRecord(value)) return { ok: false, id: undefined, code: SimErrorCode.ILLEGAL_REQUEST };
  const rawId = value["id"];
  const id =
    typeof rawId === "number" && Number.isInteger(rawId) && rawId >= 1 && rawId <= MAX_ID
      ? rawId
      : undefined;
  const fail = (): ParsedRpc => ({ ok: false, id, code: SimErrorCode.ILLEGAL_REQUEST });
  if (id === undefined) return fail();
  const method = value["method"];
  const params = value["params"];
  const version = value["version"];
  if (typeof method !== "string" || method === "") return fail();
  if (!Array.isArray(params)) return fail();
  // DG120: "version" is mandatory; a request without it is not a valid request.
  if (typeof version !== "string") return fail();
  return { ok: true, request: { id, method, params: params as unknown[], version } };
}

/** What a method handler produced. */
export type RpcOutcome =
  | { kind: "result"; result: unknown[] }
  /** getMethodTypes' plural member (REF240 p.254). */
  | { kind: "results"; results: unknown[] }
  /** A JSON-RPC error on HTTP 200, or an HTTP-level error when `httpStatus` is set. */
  | { kind: "error"; code: number; message: string; httpStatus?: number };

/** An error outcome with the spec text. */
export function rpcError(code: number, message = errorMessage(code)): RpcOutcome {
  return { kind: "error", code, message };
}

/** Serialisation options per camera family. */
export interface SerializeOptions {
  /** Smart-Remote firmware escapes `/` as `\/` (camera-api.md §2.2); QX/AS do not. */
  escapeSlashes: boolean;
}

/**
 * Serialises a reply with `id` first, as the QX/AS firmware does (`{"id":1,"result":[…]}`,
 * camera-api.md §2.2); the id is omitted when the request had none.
 */
export function serializeReply(
  id: number | undefined,
  outcome: RpcOutcome,
  options: SerializeOptions,
): string {
  const head = id === undefined ? {} : { id };
  let body: Record<string, unknown>;
  switch (outcome.kind) {
    case "result":
      body = { ...head, result: outcome.result };
      break;
    case "results":
      body = { ...head, results: outcome.results };
      break;
    case "error":
      body = { ...head, error: [outcome.code, outcome.message] };
      break;
  }
  const json = JSON.stringify(body);
  return options.escapeSlashes ? json.replaceAll("/", "\\/") : json;
}

/**
 * Checks params against getMethodTypes parameter type strings (`string`, `int`, `double`, `bool`,
 * a JSON-object type `{…}`): the count must match and each value must have that type.
 */
export function paramsMatch(params: readonly unknown[], types: readonly string[]): boolean {
  if (params.length !== types.length) return false;
  return types.every((t, i) => {
    const v = params[i];
    switch (t) {
      case "string":
        return typeof v === "string";
      case "int":
        return typeof v === "number" && Number.isInteger(v);
      case "double":
        return typeof v === "number" && Number.isFinite(v);
      case "bool":
        return typeof v === "boolean";
      default:
        return t.startsWith("{") ? isRecord(v) : true;
    }
  });
}
