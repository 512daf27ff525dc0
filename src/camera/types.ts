/**
 * Shared camera-side types: the contract between discovery, the JSON-RPC client, the event loop
 * and the bridge. Values only; no I/O.
 */

/** API services named in the device description (camera-api.md §3.1). */
export type CameraService = "camera" | "system" | "guide" | "accessControl" | "avContent";

/** Per-call options of {@link RpcCaller.call}. */
export interface CallOptions {
  /** Aborts the call (shutdown). */
  signal?: AbortSignal;
  /** Overrides the default timeout chosen for the method, ms. */
  timeoutMs?: number;
}

/** Anything that can make a JSON-RPC call to a camera: the real client, or a test double. */
export interface RpcCaller {
  /**
   * Calls `method` on `service` and resolves with the reply's `result` (or `results`) array.
   * @throws BridgeError CAMERA_RPC / CAMERA_HTTP (with `cameraCode`), CAMERA_TIMEOUT,
   *   CAMERA_UNREACHABLE, CAMERA_PROTOCOL, ABORTED
   */
  call(
    service: CameraService,
    method: string,
    params?: readonly unknown[],
    version?: string,
    options?: CallOptions,
  ): Promise<unknown[]>;
}

/** What a device description (dd.xml) tells about a camera (camera-api.md §1.3). */
export interface CameraDescription {
  /** The URL the description was fetched from (SSDP LOCATION), or null for a fixed camera URL. */
  location: string | null;
  /** UPnP deviceType, e.g. `urn:schemas-upnp-org:device:MediaServer:1`. */
  deviceType: string | null;
  /** Model as the camera names itself, e.g. `DSC-QX100`. */
  friendlyName: string | null;
  manufacturer: string | null;
  modelName: string | null;
  /** UPnP UDN, e.g. `uuid:00000000-0005-0010-8000-1c994c993998`. */
  udn: string | null;
  /** `X_ScalarWebAPI_Version`, e.g. "1.0". */
  apiVersion: string | null;
  /**
   * Endpoint per API service: `ActionList_URL + "/" + service`, e.g.
   * `{camera: "http://10.0.0.1:10000/sony/camera"}`.
   */
  endpoints: Partial<Record<CameraService, string>> & Record<string, string>;
  /** `X_ScalarWebAPI_LiveView_URL` (QX/AS only), or null. Prefer the URL startLiveview returns. */
  liveviewUrl: string | null;
  /** `X_ScalarWebAPI_DefaultFunction`, e.g. "RemoteShooting", or null. */
  defaultFunction: string | null;
}
