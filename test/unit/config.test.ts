import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { coerceEnvValue, collectEnvOverrides, envVariableName } from "../../src/config/env.js";
import {
  configSchema,
  effectiveClientId,
  loadConfig,
  parseConfig,
  type Config,
} from "../../src/config/load.js";
import { type BridgeError, isBridgeError } from "../../src/errors.js";

const dir = mkdtempSync(join(tmpdir(), "qx10-config-"));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writeTemp(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** The CONFIG_INVALID problem lines of a failing call. */
function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    expect(isBridgeError(e, "CONFIG_INVALID")).toBe(true);
    const lines = (e as BridgeError).context?.["problems"];
    expect(Array.isArray(lines)).toBe(true);
    // The message lists the same lines, one per line.
    for (const line of lines as string[]) expect((e as Error).message).toContain(`\n  ${line}`);
    return lines as string[];
  }
  throw new Error("expected CONFIG_INVALID");
}

const DEFAULTS: Config = {
  mqtt: {
    url: "mqtt://127.0.0.1:1883",
    username: null,
    password: null,
    client_id: null,
    base_topic: "qx10",
    keepalive_s: 60,
    protocol_version: "auto",
    connect_timeout_s: 10,
    reconnect_min_s: 1,
    reconnect_max_s: 30,
    offline_queue_max_messages: 100,
    offline_queue_max_bytes: 8388608,
    tls: { ca: null, cert: null, key: null, reject_unauthorized: true, servername: null },
  },
  camera: {
    url: null,
    discovery: { timeout_s: 5, address: "239.255.255.250", port: 1900, interface: null },
    request_timeout_s: 30,
    long_poll_timeout_s: 30,
  },
  liveview: { enabled: false, fps: 2, max_bytes: 1048576, expiry_s: 5 },
  snapshot: { max_bytes: 4194304, save_dir: null },
  rpc: { allow: expect.arrayContaining(["getAvailableApiList", "getShootMode"]) as never },
  homeassistant: {
    enabled: true,
    discovery_prefix: "homeassistant",
    status_topic: "homeassistant/status",
    discovery_mode: "device",
  },
  http: {
    enabled: false,
    host: "127.0.0.1",
    port: 8080,
    auth: { mode: "none", token: null, username: null, password: null },
  },
  log: { level: "info" },
};

describe("defaults", () => {
  it("an empty input gives the full default config", () => {
    const c = loadConfig({ env: {} });
    expect(c).toEqual(DEFAULTS);
    expect(parseConfig({})).toEqual(DEFAULTS);
    expect(parseConfig(null)).toEqual(DEFAULTS);
  });

  it("every schema key has a default and a description, every object forbids unknown keys", () => {
    const walk = (node: Record<string, unknown>, path: string): void => {
      if (node["type"] === "object") {
        expect(node["additionalProperties"], path).toBe(false);
        const props = node["properties"] as Record<string, Record<string, unknown>>;
        expect(Object.keys(props).sort(), path).toEqual([...(node["required"] as string[])].sort());
        for (const [k, child] of Object.entries(props)) {
          expect(child, `${path}.${k}`).toHaveProperty("default");
          expect(typeof child["description"], `${path}.${k}`).toBe("string");
          walk(child, `${path}.${k}`);
        }
      }
    };
    const schema = configSchema() as Record<string, unknown>;
    expect(typeof schema["$id"]).toBe("string");
    walk(schema, "(root)");
  });

  it("the default rpc allow list is read-only: no set/act/start/stop/delete, no getEvent", () => {
    const c = parseConfig({});
    expect(c.rpc.allow.length).toBeGreaterThan(10);
    for (const m of c.rpc.allow) expect(m).toMatch(/^get/);
    expect(c.rpc.allow).not.toContain("getEvent");
  });

  it("returns a deep-frozen object and leaves the input alone", () => {
    const input = { mqtt: { base_topic: "cam" } };
    const c = parseConfig(input);
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.mqtt)).toBe(true);
    expect(Object.isFrozen(c.mqtt.tls)).toBe(true);
    expect(Object.isFrozen(c.rpc.allow)).toBe(true);
    expect(input).toEqual({ mqtt: { base_topic: "cam" } });
  });

  it("derives a stable client id from the base topic unless one is set", () => {
    expect(effectiveClientId(parseConfig({}).mqtt)).toBe("qx10-mqtt_qx10");
    expect(effectiveClientId(parseConfig({ mqtt: { base_topic: "home/cam" } }).mqtt)).toBe(
      "qx10-mqtt_home_cam",
    );
    expect(effectiveClientId(parseConfig({ mqtt: { client_id: "mine" } }).mqtt)).toBe("mine");
  });
});

describe("files", () => {
  it("loads a valid YAML file", () => {
    const file = writeTemp(
      "ok.yaml",
      [
        "# comment",
        "mqtt:",
        "  url: mqtts://broker.lan:8883",
        "  username: bridge",
        "  password: s3cret",
        "  base_topic: cams/left",
        "  protocol_version: 4",
        "  tls:",
        "    ca: /etc/ssl/ca.pem",
        "camera:",
        "  url: http://10.0.0.1:10000/sony",
        "liveview:",
        "  fps: 0.5",
        "  enabled: true",
        "rpc:",
        "  allow: [getEvent, actTakePicture]",
        "homeassistant:",
        "  discovery_mode: component",
        "log:",
        "  level: debug",
        "",
      ].join("\n"),
    );
    const c = loadConfig({ file, env: {} });
    expect(c.mqtt.url).toBe("mqtts://broker.lan:8883");
    expect(c.mqtt.username).toBe("bridge");
    expect(c.mqtt.password).toBe("s3cret");
    expect(c.mqtt.base_topic).toBe("cams/left");
    expect(c.mqtt.protocol_version).toBe(4);
    expect(c.mqtt.tls).toEqual({
      ca: "/etc/ssl/ca.pem",
      cert: null,
      key: null,
      reject_unauthorized: true,
      servername: null,
    });
    expect(c.mqtt.keepalive_s).toBe(60);
    expect(c.camera.url).toBe("http://10.0.0.1:10000/sony");
    expect(c.camera.discovery.port).toBe(1900);
    expect(c.liveview).toEqual({ enabled: true, fps: 0.5, max_bytes: 1048576, expiry_s: 5 });
    expect(c.rpc.allow).toEqual(["getEvent", "actTakePicture"]);
    expect(c.homeassistant.discovery_mode).toBe("component");
    expect(c.homeassistant.enabled).toBe(true);
    expect(c.log.level).toBe("debug");
  });

  it("loads a valid JSON file", () => {
    const file = writeTemp(
      "ok.json",
      JSON.stringify({
        mqtt: { url: "mqtt://10.1.2.3:1884", client_id: "qx10-kitchen", keepalive_s: 30 },
        snapshot: { max_bytes: 2097152, save_dir: "/var/lib/qx10" },
        camera: { discovery: { timeout_s: 2.5, interface: "10.0.0.2" } },
      }),
    );
    const c = loadConfig({ file, env: {} });
    expect(c.mqtt.url).toBe("mqtt://10.1.2.3:1884");
    expect(c.mqtt.client_id).toBe("qx10-kitchen");
    expect(c.mqtt.keepalive_s).toBe(30);
    expect(c.snapshot).toEqual({ max_bytes: 2097152, save_dir: "/var/lib/qx10" });
    expect(c.camera.discovery).toEqual({
      timeout_s: 2.5,
      address: "239.255.255.250",
      port: 1900,
      interface: "10.0.0.2",
    });
  });

  it("an empty file means defaults", () => {
    expect(loadConfig({ file: writeTemp("empty.yaml", ""), env: {} })).toEqual(DEFAULTS);
  });

  it("a missing file, broken YAML, duplicate keys and a non-mapping are CONFIG_INVALID", () => {
    const cases = [
      join(dir, "does-not-exist.yaml"),
      writeTemp("broken.yaml", "mqtt:\n  url: [unclosed\n"),
      writeTemp("dup.yaml", "mqtt:\n  url: mqtt://a\n  url: mqtt://b\n"),
      writeTemp("list.yaml", "- 1\n- 2\n"),
    ];
    const messages = cases.map((file) => {
      try {
        loadConfig({ file, env: {} });
      } catch (e) {
        expect(isBridgeError(e, "CONFIG_INVALID")).toBe(true);
        return (e as Error).message;
      }
      throw new Error(`expected ${file} to fail`);
    });
    expect(messages[0]).toContain("cannot read configuration file");
    expect(messages[0]).toContain("ENOENT");
    expect(messages[1]).toContain("not valid YAML/JSON");
    expect(messages[2]).toContain("not valid YAML/JSON");
    expect(messages[3]).toContain("(root): must be a mapping");
  });
});

describe("every error listed", () => {
  it("a file with many different mistakes lists each, with its key path", () => {
    const file = writeTemp(
      "bad.yaml",
      [
        "mqtt:",
        "  url: http://broker",
        "  base_topic: qx10/#",
        "  keepalive_s: soon",
        "  protocol_version: 3",
        "  colour: blue",
        "  tls:",
        "    reject_unauthorized: maybe",
        "camera:",
        "  discovery:",
        "    port: 70000",
        "liveview:",
        "  fps: 60",
        "rpc:",
        "  allow: [getEvent, 'rm -rf']",
        "homeassistant:",
        "  discovery_mode: entity",
        "  status_topic: /homeassistant/status",
        "log:",
        "  level: loud",
        "extra: 1",
        "",
      ].join("\n"),
    );
    const problems = problemsOf(() => loadConfig({ file, env: {} }));
    expect(problems).toEqual([
      "extra: unknown key",
      "mqtt.colour: unknown key",
      'mqtt.url: must match ^(mqtts?|wss?|tcp|ssl|tls)://[^\\s]+$ (got "http://broker")',
      "mqtt.base_topic: must not contain the wildcards + or #",
      "mqtt.keepalive_s: must be integer",
      'mqtt.protocol_version: must be one of "auto", 5, 4',
      "mqtt.tls.reject_unauthorized: must be boolean",
      "camera.discovery.port: must be <= 65535",
      "liveview.fps: must be <= 30",
      'rpc.allow[1]: must match ^(\\*|[A-Za-z][A-Za-z0-9]*)$ (got "rm -rf")',
      "homeassistant.status_topic: must not start with /",
      'homeassistant.discovery_mode: must be one of "device", "component"',
      'log.level: must be one of "fatal", "error", "warn", "info", "debug", "trace", "silent"',
    ]);
  });

  it("unknown keys are rejected at every level", () => {
    expect(problemsOf(() => parseConfig({ mqtt: { tls: { pin: "x" } } }))).toEqual([
      "mqtt.tls.pin: unknown key",
    ]);
    expect(problemsOf(() => parseConfig({ mqtt: { user: "x" } }))).toEqual([
      "mqtt.user: unknown key",
    ]);
    expect(problemsOf(() => parseConfig({ cameras: {} }))).toEqual(["cameras: unknown key"]);
  });

  it("cross-field problems are reported once the schema passes", () => {
    expect(
      problemsOf(() =>
        parseConfig({
          mqtt: { reconnect_min_s: 60, reconnect_max_s: 10, password: "x", tls: { cert: "/c" } },
        }),
      ),
    ).toEqual([
      "mqtt.reconnect_min_s: must not exceed mqtt.reconnect_max_s",
      "mqtt.tls: cert and key must be given together",
      "mqtt.password: given without mqtt.username",
    ]);
  });

  it("wrong types name both allowed types for nullable keys", () => {
    expect(problemsOf(() => parseConfig({ mqtt: { username: 5 } }))).toEqual([
      "mqtt.username: must be string or null",
    ]);
  });
});

describe("environment overrides (QX10_<SECTION>__<KEY>)", () => {
  it("names variables with double underscores between levels", () => {
    expect(envVariableName(["mqtt", "url"])).toBe("QX10_MQTT__URL");
    expect(envVariableName(["mqtt", "tls", "reject_unauthorized"])).toBe(
      "QX10_MQTT__TLS__REJECT_UNAUTHORIZED",
    );
  });

  it("apply over the file, with schema-guided coercion", () => {
    const file = writeTemp("env.yaml", "mqtt:\n  url: mqtt://file:1883\n  keepalive_s: 10\n");
    const c = loadConfig({
      file,
      env: {
        QX10_MQTT__URL: "mqtt://env:1883",
        QX10_MQTT__KEEPALIVE_S: "15",
        QX10_MQTT__PROTOCOL_VERSION: "5",
        QX10_MQTT__USERNAME: '"quoted"',
        QX10_MQTT__PASSWORD: "pw",
        QX10_MQTT__BASE_TOPIC: "cams/right",
        QX10_MQTT__TLS__REJECT_UNAUTHORIZED: "off",
        QX10_MQTT__TLS__SERVERNAME: "",
        QX10_CAMERA__DISCOVERY__TIMEOUT_S: "1.5",
        QX10_CAMERA__URL: "http://10.0.0.1:64321/DmsRmtDesc.xml",
        QX10_LIVEVIEW__ENABLED: "TRUE",
        QX10_LIVEVIEW__FPS: "0.25",
        QX10_RPC__ALLOW: "getEvent, actTakePicture ,",
        QX10_HOMEASSISTANT__ENABLED: "0",
        QX10_LOG__LEVEL: "warn",
        QX10_CONFIG: "/not/a/key/and/ignored.yaml",
        OTHER__VAR: "ignored",
      },
    });
    expect(c.mqtt.url).toBe("mqtt://env:1883");
    expect(c.mqtt.keepalive_s).toBe(15);
    expect(c.mqtt.protocol_version).toBe(5);
    expect(c.mqtt.username).toBe("quoted");
    expect(c.mqtt.password).toBe("pw");
    expect(c.mqtt.base_topic).toBe("cams/right");
    expect(c.mqtt.tls.reject_unauthorized).toBe(false);
    expect(c.mqtt.tls.servername).toBeNull();
    expect(c.camera.discovery.timeout_s).toBe(1.5);
    expect(c.camera.url).toBe("http://10.0.0.1:64321/DmsRmtDesc.xml");
    expect(c.liveview.enabled).toBe(true);
    expect(c.liveview.fps).toBe(0.25);
    expect(c.rpc.allow).toEqual(["getEvent", "actTakePicture"]);
    expect(c.homeassistant.enabled).toBe(false);
    expect(c.log.level).toBe("warn");
  });

  it("accept JSON for arrays and objects, and 'auto' for the protocol", () => {
    const c = parseConfig(
      {},
      {
        env: {
          QX10_RPC__ALLOW: '["*","deleteContent"]',
          QX10_MQTT__TLS: '{"ca":"/ca.pem","reject_unauthorized":false}',
          QX10_MQTT__PROTOCOL_VERSION: "auto",
        },
      },
    );
    expect(c.rpc.allow).toEqual(["*", "deleteContent"]);
    expect(c.mqtt.tls.ca).toBe("/ca.pem");
    expect(c.mqtt.tls.reject_unauthorized).toBe(false);
    expect(c.mqtt.tls.cert).toBeNull();
    expect(c.mqtt.protocol_version).toBe("auto");
  });

  it("report every bad variable together with file errors, naming the variable", () => {
    const problems = problemsOf(() =>
      parseConfig(
        { log: { level: "loud" } },
        {
          env: {
            QX10_MQTT__KEEPALIVE_S: "1.5",
            QX10_MQTT__URLL: "mqtt://typo",
            QX10_LIVEVIEW__ENABLED: "sometimes",
            QX10_LIVEVIEW__FPS: "fast",
            QX10_MQTT__PROTOCOL_VERSION: "3",
            QX10_RPC__ALLOW: "[1,",
            QX10_SNAPSHOT__MAX_BYTES: "12",
            QX10___X: "1",
          },
        },
      ),
    );
    expect(problems).toEqual([
      'QX10_LIVEVIEW__ENABLED: "sometimes" is not a boolean (true/false)',
      'QX10_LIVEVIEW__FPS: "fast" is not a number',
      'QX10_MQTT__KEEPALIVE_S: "1.5" is not an integer',
      'QX10_MQTT__PROTOCOL_VERSION: must be one of "auto", 5, 4',
      "QX10_MQTT__URLL: no configuration key mqtt.urll",
      "QX10_RPC__ALLOW: is not valid JSON",
      "QX10___X: no configuration key .x",
      "snapshot.max_bytes: must be >= 1024 (from QX10_SNAPSHOT__MAX_BYTES)",
      'log.level: must be one of "fatal", "error", "warn", "info", "debug", "trace", "silent"',
    ]);
  });

  it("coerceEnvValue handles each schema type", () => {
    expect(coerceEnvValue("42", { type: "integer" })).toEqual({ ok: true, value: 42 });
    expect(coerceEnvValue("", { type: "integer" }).ok).toBe(false);
    expect(coerceEnvValue("4.5", { type: "number" })).toEqual({ ok: true, value: 4.5 });
    expect(coerceEnvValue("yes", { type: "boolean" })).toEqual({ ok: true, value: true });
    expect(coerceEnvValue("No", { type: "boolean" })).toEqual({ ok: true, value: false });
    expect(coerceEnvValue("", { type: ["string", "null"] })).toEqual({ ok: true, value: null });
    expect(coerceEnvValue("null", { type: ["string", "null"] })).toEqual({ ok: true, value: null });
    expect(coerceEnvValue("", { type: "string" })).toEqual({ ok: true, value: "" });
    expect(coerceEnvValue("1,2", { type: "array", items: { type: "integer" } })).toEqual({
      ok: true,
      value: [1, 2],
    });
    expect(coerceEnvValue("{}", { type: "array" }).ok).toBe(true); // a one-item string list "{}"
    expect(coerceEnvValue("[1]", { type: "object" })).toEqual({
      ok: false,
      problem: "is not a JSON object",
    });
  });

  it("collects in name order, deterministically", () => {
    const schema = configSchema() as Parameters<typeof collectEnvOverrides>[1];
    const r = collectEnvOverrides({ QX10_LOG__LEVEL: "warn", QX10_MQTT__URL: "mqtt://x" }, schema);
    expect(r.errors).toEqual([]);
    expect(r.overrides.map((o) => o.variable)).toEqual(["QX10_LOG__LEVEL", "QX10_MQTT__URL"]);
  });
});
