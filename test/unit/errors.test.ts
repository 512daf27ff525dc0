import { describe, expect, it } from "vitest";
import {
  BridgeError,
  CameraErrorCode,
  isBridgeError,
  isCameraCode,
  isCameraGone,
  isRetryable,
} from "../../src/errors.js";
import { backoffDelay } from "../../src/util/backoff.js";

describe("BridgeError", () => {
  it("carries code, camera code and cause, and shows the code in the message", () => {
    const cause = new Error("socket hang up");
    const e = new BridgeError("CAMERA_RPC", "actTakePicture failed", {
      cameraCode: 40400,
      cause,
    });
    expect(e.code).toBe("CAMERA_RPC");
    expect(e.cameraCode).toBe(40400);
    expect(e.cause).toBe(cause);
    expect(e.message).toBe("actTakePicture failed (CAMERA_RPC 40400)");
    expect(isBridgeError(e)).toBe(true);
    expect(isBridgeError(e, "CAMERA_RPC")).toBe(true);
    expect(isBridgeError(e, "CAMERA_HTTP")).toBe(false);
    expect(isBridgeError(new Error("x"))).toBe(false);
    expect(isCameraCode(e, 40400)).toBe(true);
    expect(isCameraCode(e, 40401)).toBe(false);
  });

  it("decides retries by code, never by message", () => {
    const rpc = (code: number) => new BridgeError("CAMERA_RPC", "m", { cameraCode: code });
    const http = (code: number) => new BridgeError("CAMERA_HTTP", "m", { cameraCode: code });
    expect(isRetryable(rpc(CameraErrorCode.ANY))).toBe(true);
    expect(isRetryable(rpc(CameraErrorCode.TIMEOUT))).toBe(true);
    expect(isRetryable(rpc(CameraErrorCode.CAMERA_NOT_READY))).toBe(true);
    expect(isRetryable(rpc(CameraErrorCode.ILLEGAL_ARGUMENT))).toBe(false);
    expect(isRetryable(rpc(CameraErrorCode.SHOOTING_FAIL))).toBe(false);
    expect(isRetryable(http(503))).toBe(true);
    expect(isRetryable(http(403))).toBe(false);
    expect(isRetryable(new BridgeError("CAMERA_TIMEOUT", "retry me"))).toBe(true);
    expect(isRetryable(new BridgeError("CONFIG_INVALID", "timeout in text"))).toBe(false);
    expect(isRetryable(new Error("CAMERA_TIMEOUT"))).toBe(false);
    expect(isCameraGone(new BridgeError("CAMERA_UNREACHABLE", "m"))).toBe(true);
    expect(isCameraGone(rpc(1))).toBe(false);
  });
});

describe("backoffDelay", () => {
  it("grows exponentially up to the cap, with full jitter above the floor", () => {
    const top = () => 0.999999;
    expect(backoffDelay(0, { random: top })).toBe(499);
    expect(backoffDelay(3, { random: top })).toBe(3999);
    expect(backoffDelay(20, { random: top })).toBe(29_999);
    expect(backoffDelay(1000, { random: top })).toBe(29_999);
    expect(backoffDelay(5, { random: () => 0 })).toBe(250);
  });
});
