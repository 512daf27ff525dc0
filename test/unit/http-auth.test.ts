/** HTTP auth decisions (src/http/auth.ts): modes none, token (query or Bearer) and basic. */
import { describe, expect, it } from "vitest";
import {
  checkAuth,
  checkAuthConfig,
  secretEquals,
  type HttpAuthConfig,
} from "../../src/http/auth.js";
import { isBridgeError } from "../../src/errors.js";

const none: HttpAuthConfig = { mode: "none", token: null, username: null, password: null };
const token: HttpAuthConfig = { ...none, mode: "token", token: "0123456789abcdef-token" };
const basic: HttpAuthConfig = { ...none, mode: "basic", username: "anna", password: "pa:ss wörd" };
const b64 = (s: string): string => Buffer.from(s, "utf8").toString("base64");

describe("checkAuth", () => {
  it("mode none lets everything through", () => {
    expect(checkAuth(none, undefined, null)).toEqual({ ok: true });
    expect(checkAuth(none, "Bearer whatever", "x")).toEqual({ ok: true });
  });

  it("mode token accepts the token in the query or as a Bearer header (scheme case-insensitive)", () => {
    expect(checkAuth(token, undefined, "0123456789abcdef-token")).toEqual({ ok: true });
    expect(checkAuth(token, "Bearer 0123456789abcdef-token", null)).toEqual({ ok: true });
    expect(checkAuth(token, "bearer   0123456789abcdef-token ", null)).toEqual({ ok: true });
    // A wrong header does not spoil a right query token, and the other way round.
    expect(checkAuth(token, "Bearer wrong", "0123456789abcdef-token")).toEqual({ ok: true });
    expect(checkAuth(token, "Bearer 0123456789abcdef-token", "wrong")).toEqual({ ok: true });
  });

  it("mode token refuses a missing, wrong, truncated or extended token with a Bearer challenge", () => {
    const refused = { ok: false, challenge: 'Bearer realm="qx10-mqtt"' };
    expect(checkAuth(token, undefined, null)).toEqual(refused);
    expect(checkAuth(token, undefined, "")).toEqual(refused);
    expect(checkAuth(token, undefined, "0123456789abcdef-toke")).toEqual(refused);
    expect(checkAuth(token, undefined, "0123456789abcdef-tokenX")).toEqual(refused);
    expect(checkAuth(token, "Basic " + b64("a:0123456789abcdef-token"), null)).toEqual(refused);
    expect(checkAuth(token, "Bearer", null)).toEqual(refused);
  });

  it("mode basic accepts the right user and password (the password may hold colons and UTF-8)", () => {
    expect(checkAuth(basic, "Basic " + b64("anna:pa:ss wörd"), null)).toEqual({ ok: true });
    expect(checkAuth(basic, "basic " + b64("anna:pa:ss wörd"), null)).toEqual({ ok: true });
  });

  it("mode basic refuses wrong credentials, other schemes and the query token, with a Basic challenge", () => {
    const refused = { ok: false, challenge: 'Basic realm="qx10-mqtt", charset="UTF-8"' };
    expect(checkAuth(basic, undefined, null)).toEqual(refused);
    expect(checkAuth(basic, "Basic " + b64("anna:pa:ss word"), null)).toEqual(refused);
    expect(checkAuth(basic, "Basic " + b64("Anna:pa:ss wörd"), null)).toEqual(refused);
    expect(checkAuth(basic, "Basic " + b64("annapa:ss wörd"), null)).toEqual(refused);
    expect(checkAuth(basic, "Basic " + b64("anna"), null)).toEqual(refused);
    expect(checkAuth(basic, "Bearer " + b64("anna:pa:ss wörd"), null)).toEqual(refused);
    expect(checkAuth(basic, undefined, "pa:ss wörd")).toEqual(refused);
  });

  it("secretEquals compares whole strings of any length", () => {
    expect(secretEquals("abc", "abc")).toBe(true);
    expect(secretEquals("abc", "abd")).toBe(false);
    expect(secretEquals("abc", "abcd")).toBe(false);
    expect(secretEquals("", "")).toBe(true);
  });
});

describe("checkAuthConfig", () => {
  it("refuses a mode without its credentials", () => {
    expect(() => {
      checkAuthConfig(none);
    }).not.toThrow();
    expect(() => {
      checkAuthConfig(token);
    }).not.toThrow();
    expect(() => {
      checkAuthConfig(basic);
    }).not.toThrow();
    for (const bad of [
      { ...token, token: null },
      { ...token, token: "" },
      { ...basic, password: null },
      { ...basic, username: null },
    ]) {
      let caught: unknown;
      try {
        checkAuthConfig(bad);
      } catch (e) {
        caught = e;
      }
      expect(isBridgeError(caught, "CONFIG_INVALID")).toBe(true);
    }
  });
});
