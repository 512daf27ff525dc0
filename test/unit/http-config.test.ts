/** The `http` config section: defaults, auth mode checks, secret redaction, environment overrides. */
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { redactConfig } from "../../src/config/redact.js";
import { isBridgeError } from "../../src/errors.js";

function problemsOf(input: unknown, env: Record<string, string> = {}): string[] {
  try {
    parseConfig(input, { env });
  } catch (e) {
    if (isBridgeError(e, "CONFIG_INVALID")) return e.context?.["problems"] as string[];
    throw e;
  }
  return [];
}

describe("config http", () => {
  it("is off by default, on 127.0.0.1:8080 without auth", () => {
    expect(parseConfig({}).http).toEqual({
      enabled: false,
      host: "127.0.0.1",
      port: 8080,
      auth: { mode: "none", token: null, username: null, password: null },
    });
  });

  it("token mode needs a token of 16+ characters; basic mode needs username and password", () => {
    expect(problemsOf({ http: { auth: { mode: "token" } } })).toContain(
      "http.auth: must have required property 'token'",
    );
    expect(problemsOf({ http: { auth: { mode: "token", token: null } } })).toContain(
      "http.auth.token: must be string",
    );
    expect(problemsOf({ http: { auth: { mode: "token", token: "short" } } })).toEqual([
      "http.auth.token: must NOT have fewer than 16 characters",
    ]);
    expect(problemsOf({ http: { auth: { mode: "basic", username: "u" } } })).toContain(
      "http.auth: must have required property 'password'",
    );
    expect(
      problemsOf({ http: { auth: { mode: "basic", username: "a:b", password: "p" } } }),
    ).toEqual(['http.auth.username: must match ^[^:]+$ (got "a:b")']);
    expect(problemsOf({ http: { port: 70000, auth: { mode: "digest" } } })).toEqual([
      "http.port: must be <= 65535",
      'http.auth.mode: must be one of "none", "token", "basic"',
    ]);
    expect(problemsOf({ http: { auth: { mode: "basic", username: "u", password: "p" } } })).toEqual(
      [],
    );
  });

  it("takes the token from the environment and redacts token and password", () => {
    const c = parseConfig(
      { http: { enabled: true } },
      {
        env: {
          QX10_HTTP__AUTH__MODE: "token",
          QX10_HTTP__AUTH__TOKEN: "from-the-environment-123",
          QX10_HTTP__HOST: "0.0.0.0",
        },
      },
    );
    expect(c.http.auth).toMatchObject({ mode: "token", token: "from-the-environment-123" });
    expect(c.http.host).toBe("0.0.0.0");
    expect(redactConfig(c).http.auth.token).toBe("***");
    const b = parseConfig({ http: { auth: { mode: "basic", username: "u", password: "secret" } } });
    expect(redactConfig(b).http.auth).toEqual({
      mode: "basic",
      token: null,
      username: "u",
      password: "***",
    });
  });
});
