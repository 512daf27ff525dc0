import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { REDACTED, redactConfig, redactUrl } from "../../src/config/redact.js";
import { componentLogger, createLogger, serializeError } from "../../src/log.js";

const PASSWORD = "hunter2-pw";
const URL_PASSWORD = "url-s3cret";

function secretConfig() {
  return parseConfig({
    mqtt: {
      url: `mqtt://bridge:${URL_PASSWORD}@broker.lan:1883`,
      username: "bridge",
      password: PASSWORD,
      tls: { ca: "/etc/ca.pem", cert: "/etc/c.pem", key: "/etc/k.pem" },
    },
    camera: { url: "http://10.0.0.1:10000/sony" },
  });
}

/** A pino destination that keeps every line. */
function capture(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
      cb();
    },
  });
  return { stream, lines };
}

describe("redactUrl", () => {
  it("hides the password of the user info and nothing else", () => {
    expect(redactUrl("mqtt://u:p@h:1883")).toBe("mqtt://u:***@h:1883");
    expect(redactUrl("mqtts://user:p%40ss@host/path?q=1")).toBe("mqtts://user:***@host/path?q=1");
    expect(redactUrl("mqtt://a:b@c@host")).toBe("mqtt://a:***@host");
    expect(redactUrl("wss://token@host")).toBe("wss://***@host");
    expect(redactUrl("mqtt://host:1883")).toBe("mqtt://host:1883");
    expect(redactUrl("http://10.0.0.1/x@y")).toBe("http://10.0.0.1/x@y");
    expect(redactUrl("not a url")).toBe("not a url");
  });
});

describe("redactConfig", () => {
  it("replaces the password and URL credentials, keeps everything else", () => {
    const c = secretConfig();
    const r = redactConfig(c);
    const text = JSON.stringify(r);
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain(URL_PASSWORD);
    expect(r.mqtt.password).toBe(REDACTED);
    expect(r.mqtt.url).toBe("mqtt://bridge:***@broker.lan:1883");
    expect(r.mqtt.username).toBe("bridge");
    expect(r.mqtt.tls.key).toBe("/etc/k.pem");
    expect(r.camera.url).toBe("http://10.0.0.1:10000/sony");
    expect({ ...r, mqtt: { ...r.mqtt, password: c.mqtt.password, url: c.mqtt.url } }).toEqual(c);
    // The original is untouched (and still frozen).
    expect(c.mqtt.password).toBe(PASSWORD);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it("keeps null secrets null (no password configured is visible)", () => {
    expect(redactConfig(parseConfig({})).mqtt.password).toBeNull();
  });
});

describe("createLogger", () => {
  it("never writes secrets, however the config is logged", () => {
    const { stream, lines } = capture();
    const log = createLogger({ level: "trace", destination: stream });
    const c = secretConfig();
    log.info({ config: c }, "whole config");
    log.info({ mqtt: c.mqtt }, "mqtt section");
    log.info(c.mqtt, "section as bindings");
    log.debug({ url: c.mqtt.url, password: c.mqtt.password }, "top-level keys");
    componentLogger(log, "mqtt").warn({ options: { url: c.mqtt.url } }, "child");
    log.info({ config: redactConfig(c) }, "redacted copy");
    expect(lines).toHaveLength(6);
    for (const line of lines) {
      expect(line).not.toContain(PASSWORD);
      expect(line).not.toContain(URL_PASSWORD);
    }
    const first = JSON.parse(lines[0]!);
    expect(first.config.mqtt.password).toBe(REDACTED);
    expect(first.config.mqtt.url).toBe("mqtt://bridge:***@broker.lan:1883");
    expect(first.config.mqtt.username).toBe("bridge");
    expect(first.msg).toBe("whole config");
    const child = JSON.parse(lines[4]!);
    expect(child.component).toBe("mqtt");
    expect(child.options.url).toBe("mqtt://bridge:***@broker.lan:1883");
    expect(child.level).toBe(40);
  });

  it("honours the level", () => {
    const { stream, lines } = capture();
    const log = createLogger({ level: "warn", destination: stream });
    log.info("hidden");
    log.error("shown");
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(["shown"]);
  });
});

describe("serializeError", () => {
  it("keeps name, message, code and cause; drops circular baggage such as a TLS peer cert", () => {
    const cert: Record<string, unknown> = { subject: { CN: "x" } };
    cert["issuerCertificate"] = cert;
    const tlsErr = Object.assign(new Error("Hostname/IP does not match"), {
      code: "ERR_TLS_CERT_ALTNAME_INVALID",
      reason: "IP: 127.0.0.1 is not in the cert's list",
      cert,
    });
    const wrapped = new Error("connect failed", { cause: tlsErr });
    const s = serializeError(wrapped);
    expect(JSON.parse(JSON.stringify(s))).toMatchObject({
      type: "Error",
      message: "connect failed",
      cause: {
        type: "Error",
        code: "ERR_TLS_CERT_ALTNAME_INVALID",
        reason: "IP: 127.0.0.1 is not in the cert's list",
      },
    });
    expect(JSON.stringify(s)).not.toContain("issuerCertificate");
    expect(serializeError("plain")).toBe("plain");
    expect(serializeError({ a: 1 })).toBe('{"a":1}');
  });

  it("is what the logger uses for err", () => {
    const { stream, lines } = capture();
    const log = createLogger({ level: "info", destination: stream });
    const cert: Record<string, unknown> = {};
    cert["issuerCertificate"] = cert;
    log.warn({ err: Object.assign(new Error("bad cert"), { code: "E_X", cert }) }, "tls");
    const line = JSON.parse(lines[0]!) as { err: { code: string; message: string } };
    expect(line.err.code).toBe("E_X");
    expect(line.err.message).toBe("bad cert");
  });
});
