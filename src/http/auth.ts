/**
 * Authentication of the HTTP server (issue 9, config `http.auth`): none, a token (`?token=` in
 * the URL, for `<img src>` and video players that cannot send headers, or `Authorization: Bearer`)
 * or HTTP basic (RFC 7617). Pure: header and URL values in, a verdict out; no I/O, no timers.
 *
 * Secrets are compared in constant time: both sides are hashed with SHA-256 first, so
 * `timingSafeEqual` always compares 32 bytes and neither the content nor the length of the
 * secret leaks through the time a refusal takes.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { type Config } from "../config/load.js";
import { BridgeError } from "../errors.js";

/** `config.http.auth`. */
export type HttpAuthConfig = Config["http"]["auth"];

/** The realm named in `WWW-Authenticate` challenges. */
export const AUTH_REALM = "qx10-mqtt";

/** Outcome of {@link checkAuth}. */
export type AuthVerdict =
  | { ok: true }
  /** Refused: answer 401 with this `WWW-Authenticate` value. */
  | { ok: false; challenge: string };

function digest(s: string): Buffer {
  return createHash("sha256").update(s, "utf8").digest();
}

/** Constant-time equality of two strings (see the module comment). */
export function secretEquals(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * Throws when the auth config lacks what its mode needs (the schema checks this too; this guards
 * configs built in code).
 * @throws BridgeError CONFIG_INVALID
 */
export function checkAuthConfig(auth: HttpAuthConfig): void {
  if (auth.mode === "token" && (auth.token === null || auth.token === "")) {
    throw new BridgeError(
      "CONFIG_INVALID",
      "http.auth.token: required when http.auth.mode is token",
    );
  }
  if (auth.mode === "basic" && (auth.username === null || auth.password === null)) {
    throw new BridgeError(
      "CONFIG_INVALID",
      "http.auth: username and password are required when http.auth.mode is basic",
    );
  }
}

/** The credentials an `Authorization` header carries, by scheme (case-insensitive, RFC 9110 §11.1). */
function parseAuthorization(header: string | undefined): { scheme: string; value: string } | null {
  if (header === undefined) return null;
  const m = /^\s*([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*)\s+(\S+)\s*$/.exec(header);
  if (m === null) return null;
  return { scheme: (m[1] ?? "").toLowerCase(), value: m[2] ?? "" };
}

/**
 * Decides whether a request may proceed.
 * @param auth - `config.http.auth`
 * @param authorization - the request's `Authorization` header, if any
 * @param queryToken - the `token` query parameter, if any (mode "token" only)
 */
export function checkAuth(
  auth: HttpAuthConfig,
  authorization: string | undefined,
  queryToken: string | null,
): AuthVerdict {
  switch (auth.mode) {
    case "none":
      return { ok: true };
    case "token": {
      const expected = auth.token ?? "";
      const refused = { ok: false, challenge: `Bearer realm="${AUTH_REALM}"` } as const;
      if (expected === "") return refused;
      const given = parseAuthorization(authorization);
      // Every candidate is compared (no short-cut) so a wrong header does not time differently.
      let ok = false;
      if (queryToken !== null) ok = secretEquals(queryToken, expected) || ok;
      if (given?.scheme === "bearer") ok = secretEquals(given.value, expected) || ok;
      return ok ? { ok: true } : refused;
    }
    case "basic": {
      const refused = {
        ok: false,
        challenge: `Basic realm="${AUTH_REALM}", charset="UTF-8"`,
      } as const;
      const user = auth.username;
      const password = auth.password;
      if (user === null || password === null) return refused;
      const given = parseAuthorization(authorization);
      if (given?.scheme !== "basic") return refused;
      const decoded = Buffer.from(given.value, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon < 0) return refused;
      // Both halves are always compared: `&&` would skip the password when the user is wrong.
      const userOk = secretEquals(decoded.slice(0, colon), user);
      const passwordOk = secretEquals(decoded.slice(colon + 1), password);
      return userOk && passwordOk ? { ok: true } : refused;
    }
  }
}
