/**
 * Finding the camera (camera-api.md §1): SSDP search → GET each LOCATION verbatim → parse the
 * device description. Or, with a fixed camera URL (Docker, where multicast does not pass; see
 * docs/style.md Part 1), no SSDP at all.
 */
import { getGlobalDispatcher, type Dispatcher } from "undici";
import { BridgeError, isBridgeError } from "../errors.js";
import { abortError, throwIfAborted } from "../util/abort.js";
import {
  descriptionFromCameraUrl,
  MAX_DESCRIPTION_CHARS,
  parseDeviceDescription,
} from "./description.js";
import {
  createSsdpSearcher,
  SCALAR_WEBAPI_ST,
  SSDP_MULTICAST_TARGET,
  type SsdpSearcher,
  type SsdpTarget,
} from "./ssdp.js";
import { type CameraDescription } from "./types.js";

/** Default SSDP listening window, ms. */
export const DEFAULT_DISCOVERY_TIMEOUT_MS = 5_000;

/** Default number of M-SEARCH sends (WiFi multicast loss, §1.1). */
export const DEFAULT_SSDP_SENDS = 3;

/** Default timeout of one device description GET (headers and body), ms. */
export const DEFAULT_DESCRIPTION_TIMEOUT_MS = 5_000;

/** Largest device description body accepted, bytes (real ones are 2–4 KB, §1.3). */
export const MAX_DESCRIPTION_BYTES = MAX_DESCRIPTION_CHARS;

/** Options of {@link discoverCameras} (and of {@link resolveCamera} without a camera URL). */
export interface DiscoveryOptions {
  /** Aborts the whole discovery (`ABORTED`). */
  signal?: AbortSignal | undefined;
  /** SSDP listening window, ms. Default {@link DEFAULT_DISCOVERY_TIMEOUT_MS}. */
  timeoutMs?: number | undefined;
  /** Where the M-SEARCH goes. Default {@link SSDP_MULTICAST_TARGET}; tests use 127.0.0.1:port. */
  target?: SsdpTarget | undefined;
  /** Local IPv4 address to search from (the camera's WiFi on a multi-NIC host). */
  bindAddress?: string | undefined;
  /** M-SEARCH sends. Default {@link DEFAULT_SSDP_SENDS}. */
  sends?: number | undefined;
  /** Pause between sends, ms. Default: min(1000, timeoutMs / (sends + 1)), so all sends fit. */
  intervalMs?: number | undefined;
  /** The SSDP implementation. Default {@link createSsdpSearcher}. */
  searcher?: SsdpSearcher | undefined;
  /** Timeout of each description GET, ms. Default {@link DEFAULT_DESCRIPTION_TIMEOUT_MS}. */
  descriptionTimeoutMs?: number | undefined;
  /** undici dispatcher for the description GETs. Default: the global dispatcher. */
  dispatcher?: Dispatcher | undefined;
  /**
   * Called for each answer whose description could not be used (unreachable, HTTP error,
   * malformed, not a Camera Remote API device); that answer is skipped.
   */
  onDescriptionError?: ((error: BridgeError, location: string) => void) | undefined;
}

/** Options of {@link resolveCamera}. */
export interface ResolveCameraOptions extends DiscoveryOptions {
  /**
   * A fixed camera URL that skips SSDP: a device description (path ends in `.xml`, fetched and
   * parsed), an ActionList base (`http://10.0.0.1:10000/sony`) or a service endpoint
   * (`http://10.0.0.1:10000/sony/camera`).
   */
  cameraUrl?: string | undefined;
}

/** Options of {@link fetchDeviceDescription}. */
export interface FetchDescriptionOptions {
  /** Aborts the GET (`ABORTED`). */
  signal?: AbortSignal | undefined;
  /** Headers + body timeout, ms. Default {@link DEFAULT_DESCRIPTION_TIMEOUT_MS}. */
  timeoutMs?: number | undefined;
  /** Body cap, bytes. Default {@link MAX_DESCRIPTION_BYTES}. */
  maxBytes?: number | undefined;
  /** undici dispatcher. Default: the global dispatcher. */
  dispatcher?: Dispatcher | undefined;
}

/**
 * Splits a URL into origin and the request target *as written*: the camera's LOCATION is used
 * verbatim (§1.2 "take LOCATION verbatim"), so its path and query are not re-encoded by a URL
 * parser (WHATWG URL would, for instance, turn `'` in a query into `%27`).
 */
function splitUrl(url: string): { origin: string; path: string } {
  const m = /^(https?:\/\/[^/?#]+)([^#]*)/i.exec(url);
  if (m === null || !URL.canParse(url)) {
    throw new BridgeError("CAMERA_DESCRIPTION", `description URL is not an http URL: ${url}`);
  }
  const rest = m[2] ?? "";
  return {
    origin: new URL(url).origin,
    path: rest === "" ? "/" : rest.startsWith("?") ? `/${rest}` : rest,
  };
}

const TIMEOUT_CODES = new Set([
  "ETIMEDOUT",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

function errorCode(e: unknown): string | undefined {
  if (typeof e !== "object" || e === null || !("code" in e)) return undefined;
  return typeof e.code === "string" ? e.code : undefined;
}

/** Maps a failure of the description GET to a BridgeError, by signal state and error code. */
function mapFetchError(
  e: unknown,
  signal: AbortSignal | undefined,
  timeout: AbortSignal,
  location: string,
): BridgeError {
  if (signal?.aborted === true) return abortError(signal);
  if (isBridgeError(e)) return e;
  const context = { location };
  const code = errorCode(e);
  if (timeout.aborted || (code !== undefined && TIMEOUT_CODES.has(code))) {
    return new BridgeError("CAMERA_TIMEOUT", `device description GET timed out`, {
      cause: e,
      context,
    });
  }
  // Refused, reset, no route, DNS failure, and anything else undici throws: not reachable.
  const causeCode = errorCode(e instanceof Error ? e.cause : undefined);
  return new BridgeError("CAMERA_UNREACHABLE", `device description GET failed`, {
    cause: e,
    context: { ...context, code: code ?? causeCode },
  });
}

/**
 * GETs a device description at `location` (verbatim) and parses it. The body is capped, always
 * consumed or destroyed, and decoded as UTF-8 (the cameras send `charset="utf-8"`, §1.2).
 * @throws BridgeError CAMERA_HTTP (status as `cameraCode`) for a non-200 answer; CAMERA_TIMEOUT;
 *   CAMERA_UNREACHABLE; CAMERA_DESCRIPTION (oversize, not UTF-8, malformed); CAMERA_NOT_FOUND
 *   (no ScalarWebAPI service); ABORTED
 */
export async function fetchDeviceDescription(
  location: string,
  options: FetchDescriptionOptions = {},
): Promise<CameraDescription> {
  const { signal } = options;
  throwIfAborted(signal);
  const timeoutMs = options.timeoutMs ?? DEFAULT_DESCRIPTION_TIMEOUT_MS;
  const maxBytes = options.maxBytes ?? MAX_DESCRIPTION_BYTES;
  const { origin, path } = splitUrl(location);
  const timeout = AbortSignal.timeout(timeoutMs);
  const combined = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
  const dispatcher = options.dispatcher ?? getGlobalDispatcher();

  let response: Dispatcher.ResponseData;
  try {
    response = await dispatcher.request({
      origin,
      path,
      method: "GET",
      headers: { accept: "text/xml, application/xml;q=0.9, */*;q=0.1" },
      signal: combined,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      // One GET per camera: no keep-alive socket left behind (the cameras send Connection: close).
      reset: true,
    });
  } catch (e) {
    throw mapFetchError(e, signal, timeout, location);
  }

  const { body } = response;
  let bytes: Buffer;
  try {
    if (response.statusCode !== 200) {
      throw new BridgeError(
        "CAMERA_HTTP",
        `device description GET answered HTTP ${response.statusCode}`,
        { cameraCode: response.statusCode, context: { location } },
      );
    }
    const declared = Number(response.headers["content-length"]);
    if (Number.isFinite(declared) && declared > maxBytes) {
      throw new BridgeError("CAMERA_DESCRIPTION", `device description larger than ${maxBytes} B`, {
        context: { location, contentLength: declared },
      });
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) {
        throw new BridgeError(
          "CAMERA_DESCRIPTION",
          `device description larger than ${maxBytes} B`,
          { context: { location } },
        );
      }
      chunks.push(chunk);
    }
    bytes = Buffer.concat(chunks, size);
  } catch (e) {
    throw mapFetchError(e, signal, timeout, location);
  } finally {
    // Not read to the end (error status, oversize, abort): release the connection. undici's
    // body emits an abort error when destroyed; it is expected here, so it is swallowed.
    if (!body.destroyed) {
      body.on("error", () => undefined);
      body.destroy();
    }
  }

  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (e) {
    throw new BridgeError("CAMERA_DESCRIPTION", "device description is not UTF-8", {
      cause: e,
      context: { location },
    });
  }
  return parseDeviceDescription(text, location);
}

/** Searches, yields each distinct LOCATION once. */
async function* searchLocations(
  options: DiscoveryOptions,
): AsyncGenerator<string, void, undefined> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_DISCOVERY_TIMEOUT_MS;
  const sends = options.sends ?? DEFAULT_SSDP_SENDS;
  const searcher = options.searcher ?? createSsdpSearcher();
  const seen = new Set<string>();
  for await (const response of searcher.search({
    st: SCALAR_WEBAPI_ST,
    target: options.target ?? SSDP_MULTICAST_TARGET,
    sends,
    intervalMs: options.intervalMs ?? Math.min(1000, Math.floor(timeoutMs / (sends + 1))),
    timeoutMs,
    signal: options.signal,
    bindAddress: options.bindAddress,
  })) {
    // Two USNs (e.g. root device and service) may point at the same description.
    if (seen.has(response.location)) continue;
    seen.add(response.location);
    yield response.location;
  }
}

function asBridgeError(e: unknown): BridgeError {
  return isBridgeError(e)
    ? e
    : new BridgeError("CAMERA_DESCRIPTION", "device description failed", { cause: e });
}

/**
 * Searches the network by SSDP for Camera Remote API devices and returns their descriptions, in
 * order of answer, one per UDN. Waits the whole `timeoutMs` window (plus the description GETs
 * still running, each bounded by `descriptionTimeoutMs`). Descriptions are fetched concurrently
 * as answers arrive; one that fails is passed to `onDescriptionError` and skipped.
 * @returns the cameras found; empty when none answered
 * @throws BridgeError ABORTED when `signal` fires; CAMERA_UNREACHABLE when the SSDP socket cannot
 *   bind or send; CONFIG_INVALID for bad options
 */
export async function discoverCameras(
  options: DiscoveryOptions = {},
): Promise<CameraDescription[]> {
  const pending: Promise<CameraDescription | null>[] = [];
  try {
    for await (const location of searchLocations(options)) {
      pending.push(
        fetchDeviceDescription(location, {
          signal: options.signal,
          timeoutMs: options.descriptionTimeoutMs,
          dispatcher: options.dispatcher,
        }).catch((e: unknown) => {
          const error = asBridgeError(e);
          if (!isBridgeError(error, "ABORTED")) options.onDescriptionError?.(error, location);
          return null;
        }),
      );
    }
  } finally {
    // Never leave GETs running behind a failed search (each has its own catch: no rejections).
    await Promise.all(pending);
  }
  const results = await Promise.all(pending);
  throwIfAborted(options.signal);
  const byUdn = new Set<string>();
  const cameras: CameraDescription[] = [];
  for (const d of results) {
    if (d === null) continue;
    if (d.udn !== null) {
      if (byUdn.has(d.udn)) continue;
      byUdn.add(d.udn);
    }
    cameras.push(d);
  }
  return cameras;
}

/**
 * The camera to talk to. With `cameraUrl`: no SSDP; a `.xml` URL is fetched and parsed (see
 * {@link fetchDeviceDescription}), any other URL is taken as the ActionList base or a service
 * endpoint and endpoints for all five services are derived (location null, model unknown, no
 * liveview URL). Without: SSDP search, returning the first camera whose description parses, as
 * soon as it does (the search is then stopped).
 * @throws BridgeError CAMERA_NOT_FOUND when no usable camera answered within `timeoutMs` (the
 *   last description failure, if any, is the `cause`); USAGE for a malformed `cameraUrl`; the
 *   errors of {@link fetchDeviceDescription} for a `.xml` URL; ABORTED
 */
export async function resolveCamera(
  options: ResolveCameraOptions = {},
): Promise<CameraDescription> {
  const { cameraUrl, signal } = options;
  throwIfAborted(signal);
  if (cameraUrl !== undefined && cameraUrl.trim() !== "") {
    const url = cameraUrl.trim();
    const isDescription = URL.canParse(url) && new URL(url).pathname.toLowerCase().endsWith(".xml");
    if (isDescription) {
      return fetchDeviceDescription(url, {
        signal,
        timeoutMs: options.descriptionTimeoutMs,
        dispatcher: options.dispatcher,
      });
    }
    return descriptionFromCameraUrl(url);
  }

  let lastError: BridgeError | undefined;
  for await (const location of searchLocations(options)) {
    try {
      return await fetchDeviceDescription(location, {
        signal,
        timeoutMs: options.descriptionTimeoutMs,
        dispatcher: options.dispatcher,
      });
    } catch (e) {
      const error = asBridgeError(e);
      if (isBridgeError(error, "ABORTED")) throw error;
      options.onDescriptionError?.(error, location);
      lastError = error;
    }
  }
  throwIfAborted(signal);
  const timeoutMs = options.timeoutMs ?? DEFAULT_DISCOVERY_TIMEOUT_MS;
  const target = options.target ?? SSDP_MULTICAST_TARGET;
  throw new BridgeError(
    "CAMERA_NOT_FOUND",
    lastError === undefined
      ? `no camera answered SSDP within ${timeoutMs} ms`
      : `no usable camera within ${timeoutMs} ms (${lastError.message})`,
    {
      cause: lastError,
      context: {
        timeoutMs,
        target: `${target.address}:${target.port}`,
        bindAddress: options.bindAddress,
      },
    },
  );
}
