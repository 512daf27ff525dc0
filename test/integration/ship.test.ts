/**
 * What ships: the Dockerfile, docker-compose.yml and mosquitto.conf. No Docker engine runs here,
 * so the image is checked by reproducing its steps: the Dockerfile is parsed (stages, what is
 * copied, user, entrypoint, health check), its runtime stage is rebuilt in a clean temp folder
 * (package files + `npm ci --omit=dev --ignore-scripts` + dist/, bin/, schemas/) and started; the
 * compose file is parsed and cross-checked against mosquitto.conf, the config schema and the
 * example config; and mosquitto.conf runs in the real `mosquitto` (adapted to loopback and temp
 * paths) with the example users, enforcing the example ACL.
 */
import { spawn, spawnSync } from "node:child_process";
import {
  accessSync,
  constants,
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { connect, connectAsync, type IConnackPacket, type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { collectEnvOverrides, type SchemaNode } from "../../src/config/env.js";
import { configSchema, loadConfig, parseConfig } from "../../src/config/load.js";
import { SNAPSHOT_PACKET_OVERHEAD } from "../../src/doctor/verdict.js";
import { applyAvailable, initialCameraState } from "../../src/camera/events.js";
import { buildComponents } from "../../src/ha/discovery.js";
import { haveFixtures, readFixtureJson } from "../helpers/fixtures.js";
import { freePort, waitForPort } from "../helpers/broker.js";
import { projectRoot } from "../helpers/daemon.js";

const file = (p: string): string => join(projectRoot, p);
const read = (p: string): string => readFileSync(file(p), "utf8");

/** One Dockerfile instruction: keyword (upper case) and its arguments, continuation lines joined. */
interface Instruction {
  keyword: string;
  args: string;
  stage: number;
}

function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let stage = -1;
  let pending = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (pending === "" && (line === "" || line.startsWith("#"))) continue;
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const full = (pending + line).trim();
    pending = "";
    const m = /^(\w+)\s+(.*)$/s.exec(full);
    if (m === null) continue;
    const keyword = (m[1] ?? "").toUpperCase();
    if (keyword === "FROM") stage += 1;
    out.push({ keyword, args: m[2] ?? "", stage });
  }
  return out;
}

/** `key value...` lines of a mosquitto.conf, comments dropped. */
function parseMosquittoConf(text: string): [string, string][] {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"))
    .map((l) => {
      const i = l.search(/\s/);
      return i < 0 ? [l, ""] : [l.slice(0, i), l.slice(i + 1).trim()];
    });
}

function confValue(conf: [string, string][], key: string): string | undefined {
  return conf.find(([k]) => k === key)?.[1];
}

function findBinary(name: string): string | undefined {
  const dirs = [
    "/usr/sbin",
    "/usr/local/sbin",
    "/usr/bin",
    ...(process.env["PATH"] ?? "").split(delimiter),
  ];
  for (const d of dirs) {
    const p = join(d, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  return undefined;
}

const dockerfile = parseDockerfile(read("Dockerfile"));
const runtimeStage = Math.max(...dockerfile.map((i) => i.stage));
const runtime = dockerfile.filter((i) => i.stage === runtimeStage);

describe("Dockerfile", () => {
  it("builds in two stages on node:22-bookworm-slim", () => {
    const arg = dockerfile.find((i) => i.keyword === "ARG" && i.args.startsWith("NODE_IMAGE="));
    expect(arg?.args).toBe("NODE_IMAGE=node:22-bookworm-slim");
    const froms = dockerfile.filter((i) => i.keyword === "FROM").map((i) => i.args);
    expect(froms).toEqual(["${NODE_IMAGE} AS build", "${NODE_IMAGE} AS runtime"]);
    const buildRuns = dockerfile
      .filter((i) => i.stage === 0 && i.keyword === "RUN")
      .map((i) => i.args);
    expect(buildRuns).toEqual(["npm ci --ignore-scripts --no-audit --no-fund", "npm run build"]);
  });

  it("copies only files that exist and that .dockerignore lets into the context", () => {
    const ignored = read(".dockerignore")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "" && !l.startsWith("#"));
    const copies = dockerfile.filter((i) => i.keyword === "COPY" && !i.args.startsWith("--from"));
    expect(copies.length).toBeGreaterThan(3);
    for (const c of copies) {
      const parts = c.args.split(/\s+/);
      for (const src of parts.slice(0, -1)) {
        expect(existsSync(file(src)), `${src} exists`).toBe(true);
        expect(ignored, `${src} is not in .dockerignore`).not.toContain(src);
      }
    }
    // The runtime image needs dist/ (from the build stage), bin/, schemas/ and the package files.
    const runtimeCopies = runtime.filter((i) => i.keyword === "COPY").map((i) => i.args);
    expect(runtimeCopies).toEqual([
      "package.json package-lock.json ./",
      "--from=build /app/dist ./dist",
      "bin ./bin",
      "schemas ./schemas",
    ]);
    // Everything package.json's "bin" points at is inside what is copied.
    const pkg = JSON.parse(read("package.json")) as { bin: Record<string, string> };
    for (const target of Object.values(pkg.bin)) expect(target.startsWith("bin/")).toBe(true);
  });

  it("runs as node in production with an exec-form entrypoint and a doctor health check", () => {
    const get = (k: string): string[] => runtime.filter((i) => i.keyword === k).map((i) => i.args);
    expect(get("RUN")[0]).toBe(
      "npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force",
    );
    expect(get("USER")).toEqual(["node"]);
    expect(get("ENV")).toContain("NODE_ENV=production");
    expect(JSON.parse(get("ENTRYPOINT")[0] ?? "null")).toEqual(["node", "bin/qx10-mqtt.js"]);
    expect(JSON.parse(get("CMD")[0] ?? "null")).toEqual(["run"]);
    const health = get("HEALTHCHECK")[0] ?? "";
    const cmd = /CMD\s+(\[.*\])$/.exec(health)?.[1];
    expect(JSON.parse(cmd ?? "null")).toEqual([
      "node",
      "/app/bin/qx10-mqtt.js",
      "doctor",
      "--quick",
      "--timeout",
      "5",
    ]);
    expect(health).toMatch(/--start-period=\d+s/);
    const labels = get("LABEL").join(" ");
    for (const l of ["title", "description", "version", "licenses", "source"]) {
      expect(labels).toContain(`org.opencontainers.image.${l}=`);
    }
  });
});

/** The `COPY src... dest` lines of a stage without `--from`, as [sources, destination]. */
function contextCopies(stage: number): [string[], string][] {
  return dockerfile
    .filter((i) => i.stage === stage && i.keyword === "COPY" && !i.args.startsWith("--from"))
    .map((i) => {
      const parts = i.args.split(/\s+/);
      return [parts.slice(0, -1), parts.at(-1) ?? "."];
    });
}

/** Copies build-context paths into `dir` the way COPY does (a directory's contents go to dest). */
function copyFromContext(dir: string, copies: [string[], string][]): void {
  for (const [sources, dest] of copies) {
    for (const src of sources) {
      const target = dest.endsWith("/") || dest === "." ? join(dir, dest, src) : join(dir, dest);
      cpSync(file(src), target, { recursive: true });
    }
  }
}

describe("the image's build and runtime stages, reproduced in clean folders", () => {
  let dir: string;
  let buildDir: string;
  let buildLog = "";
  let installed = false;
  let installLog = "";

  beforeAll(() => {
    // Stage 1: exactly what its COPY lines bring, dependencies linked instead of `npm ci`, then
    // the same compiler run as `npm run build`.
    buildDir = mkdtempSync(join(tmpdir(), "qx10-ship-build-"));
    copyFromContext(buildDir, contextCopies(0));
    symlinkSync(file("node_modules"), join(buildDir, "node_modules"), "dir");
    const build = spawnSync(
      process.execPath,
      [join(buildDir, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"],
      { cwd: buildDir, encoding: "utf8", timeout: 40_000 },
    );
    buildLog = `${build.stdout}${build.stderr}`;

    // Stage 2: package files, `npm ci --omit=dev --ignore-scripts`, then dist/ from stage 1 and
    // the other COPY lines. --prefer-offline uses the npm cache that the project's own `npm ci`
    // filled, so the registry is needed only when the cache lacks a package.
    dir = mkdtempSync(join(tmpdir(), "qx10-ship-"));
    for (const f of ["package.json", "package-lock.json"]) cpSync(file(f), join(dir, f));
    const r = spawnSync(
      "npm",
      ["ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline"],
      {
        cwd: dir,
        encoding: "utf8",
        timeout: 45_000,
        env: { ...process.env, NODE_ENV: "production" },
      },
    );
    installed = r.status === 0;
    installLog = `${r.stdout}${r.stderr}${r.error === undefined ? "" : String(r.error)}`;
    if (existsSync(join(buildDir, "dist"))) {
      cpSync(join(buildDir, "dist"), join(dir, "dist"), { recursive: true });
    }
    copyFromContext(
      dir,
      contextCopies(runtimeStage).filter(([sources]) => !sources.includes("package.json")),
    );
  }, 90_000);
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(buildDir, { recursive: true, force: true });
  });

  it("compiles from what the build stage copies", () => {
    expect(existsSync(join(buildDir, "dist", "main.js")), buildLog).toBe(true);
    expect(existsSync(join(buildDir, "dist", "cli", "doctor.js")), buildLog).toBe(true);
  });

  it("installs production dependencies only", () => {
    expect(installed, installLog).toBe(true);
    const pkg = JSON.parse(read("package.json")) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    for (const dep of Object.keys(pkg.dependencies))
      expect(existsSync(join(dir, "node_modules", dep)), dep).toBe(true);
    // Dev-only packages (per the lockfile) stay out; some @types are runtime deps of dependencies.
    const lock = JSON.parse(read("package-lock.json")) as {
      packages: Record<string, { dev?: boolean }>;
    };
    const devOnly = Object.keys(pkg.devDependencies).filter(
      (d) => lock.packages[`node_modules/${d}`]?.dev === true,
    );
    expect(devOnly).toEqual(expect.arrayContaining(["typescript", "vitest", "eslint"]));
    for (const dep of devOnly) {
      expect(existsSync(join(dir, "node_modules", dep)), `${dep} must not be installed`).toBe(
        false,
      );
    }
  });

  it("starts: qx10-mqtt --help and a config check from the image's tree", () => {
    expect(installed, installLog).toBe(true);
    const env = { PATH: process.env["PATH"] ?? "", NODE_ENV: "production" };
    const help = spawnSync(process.execPath, ["bin/qx10-mqtt.js", "--help"], {
      cwd: dir,
      encoding: "utf8",
      env,
      timeout: 15_000,
    });
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toContain("Usage: qx10-mqtt <command>");
    // A bad setting fails before any I/O with exit 2, naming the variable: the schema is found
    // at its run-time path next to dist/.
    const bad = spawnSync(process.execPath, ["bin/qx10-mqtt.js", "run"], {
      cwd: dir,
      encoding: "utf8",
      env: { ...env, QX10_MQTT__KEEPALIVE_S: "-1" },
      timeout: 15_000,
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("QX10_MQTT__KEEPALIVE_S");
  });

  it("the health check's doctor --quick loads with production dependencies and reports an absent broker", async () => {
    expect(installed, installLog).toBe(true);
    const port = await freePort();
    // Through the module, so this holds whether or not main.ts already dispatches "doctor".
    const script = `
      const { runDoctor } = await import("./dist/cli/doctor.js");
      const lines = [];
      const code = await runDoctor(["--quick", "--timeout", "2"], {
        signal: new AbortController().signal, out: (l) => lines.push(l), err: (l) => lines.push(l), env: process.env,
      });
      console.log(JSON.stringify({ code, lines }));`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      cwd: dir,
      encoding: "utf8",
      env: {
        PATH: process.env["PATH"] ?? "",
        NODE_ENV: "production",
        QX10_MQTT__URL: `mqtt://127.0.0.1:${port}`,
      },
      timeout: 20_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as { code: number; lines: string[] };
    expect(result.code).toBe(1);
    expect(result.lines[0]).toBe(
      `FAIL broker  the broker at mqtt://127.0.0.1:${port} refused the TCP connection (nothing listens there)`,
    );
  });
});

interface ComposeService {
  image?: string;
  build?: unknown;
  init?: boolean;
  network_mode?: string;
  ports?: string[];
  volumes?: string[];
  environment?: Record<string, string>;
  depends_on?: string[];
}

const compose = parseYaml(read("docker-compose.yml")) as {
  services: Record<string, ComposeService>;
};
const conf = parseMosquittoConf(read("mosquitto.conf"));

/** host path → container path of a service's bind mounts (named volumes have no `./`). */
function mounts(service: ComposeService): Map<string, string> {
  const m = new Map<string, string>();
  for (const v of service.volumes ?? []) {
    const [host = "", target = ""] = v.split(":");
    m.set(target, host);
  }
  return m;
}

/** Compose's `${VAR:?message}` / `${VAR:-default}` interpolation, with `vars`. */
function interpolate(value: string, vars: Record<string, string>): string {
  return value.replace(/\$\{(\w+)(?::[?-][^}]*)?\}/g, (_m, name: string) => vars[name] ?? "");
}

describe("docker-compose.yml", () => {
  const mosquitto = compose.services["mosquitto"] ?? {};
  const bridge = compose.services["qx10-mqtt"] ?? {};
  const env = Object.fromEntries(
    Object.entries(bridge.environment ?? {}).map(([k, v]) => [
      k,
      interpolate(v, { QX10_MQTT_PASSWORD: "x" }),
    ]),
  );

  it("runs eclipse-mosquitto:2 with the top-level mosquitto.conf and the files it names", () => {
    expect(mosquitto.image).toBe("eclipse-mosquitto:2");
    const m = mounts(mosquitto);
    expect(m.get("/mosquitto/config/mosquitto.conf")).toBe("./mosquitto.conf");
    expect(existsSync(file("mosquitto.conf"))).toBe(true);
    // password_file and acl_file are mounted; the ACL ships, the password file is made from the example.
    const acl = confValue(conf, "acl_file") ?? "";
    const passwd = confValue(conf, "password_file") ?? "";
    expect(existsSync(file(m.get(acl) ?? "missing"))).toBe(true);
    expect(m.get(passwd)).toBe("./docker/mosquitto/passwd");
    expect(existsSync(file("docker/mosquitto/passwd.example"))).toBe(true);
    // Persistence goes to a volume, not into the container's writable layer.
    const location = (confValue(conf, "persistence_location") ?? "").replace(/\/$/, "");
    expect(confValue(conf, "persistence")).toBe("true");
    expect(m.has(location)).toBe(true);
  });

  it("points the bridge at Mosquitto's listener port", () => {
    const listener = Number((confValue(conf, "listener") ?? "").split(/\s+/)[0]);
    const published = (mosquitto.ports ?? []).map((p) => p.split(":").map(Number));
    expect(published).toContainEqual([listener, listener]);
    // Host networking: the bridge reaches the published port on this host.
    expect(bridge.network_mode).toBe("host");
    const url = new URL(env["QX10_MQTT__URL"] ?? "");
    expect(url.hostname).toBe("127.0.0.1");
    expect(Number(url.port)).toBe(listener);
    expect(bridge.init).toBe(true);
    expect(bridge.depends_on).toContain("mosquitto");
  });

  it("uses only environment variables that name config keys, and they validate with the example config", () => {
    const names = Object.keys(env).filter((k) => k.includes("__"));
    expect(names.length).toBeGreaterThanOrEqual(3);
    const { overrides, errors } = collectEnvOverrides(env, configSchema() as SchemaNode);
    expect(errors).toEqual([]);
    expect(overrides.map((o) => o.variable).sort()).toEqual(names.sort());
    // QX10_CONFIG points into the mounted data directory; the example config is what goes there.
    const configPath = env["QX10_CONFIG"] ?? "";
    const m = mounts(bridge);
    expect(m.get("/app/data")).toBe("./data");
    expect(configPath.startsWith("/app/data/")).toBe(true);
    const config = loadConfig({ file: file("examples/config.yaml"), env });
    expect(config.mqtt.username).toBe("qx10");
    expect(config.snapshot.save_dir?.startsWith("/app/data")).toBe(true);
  });

  it("sizes max_packet_size for the default snapshot", () => {
    const max = Number(confValue(conf, "max_packet_size"));
    const defaults = parseConfig({});
    expect(max).toBeGreaterThanOrEqual(defaults.snapshot.max_bytes + SNAPSHOT_PACKET_OVERHEAD);
  });
});

const mosquittoBin = findBinary("mosquitto");
const passwdBin = findBinary("mosquitto_passwd");

describe.skipIf(mosquittoBin === undefined || passwdBin === undefined)(
  "mosquitto.conf in the real mosquitto",
  () => {
    let dir: string;
    let port: number;
    let child: ReturnType<typeof spawn> | undefined;
    const clients: MqttClient[] = [];
    const users = Object.fromEntries(
      read("docker/mosquitto/passwd.example")
        .trim()
        .split("\n")
        .map((l) => l.split(":") as [string, string]),
    );

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), "qx10-mosq-conf-"));
      const passwd = join(dir, "passwd");
      writeFileSync(passwd, read("docker/mosquitto/passwd.example"));
      const hashed = spawnSync(passwdBin ?? "mosquitto_passwd", ["-U", passwd], {
        encoding: "utf8",
      });
      expect(hashed.status, hashed.stderr).toBe(0);
      port = await freePort();
      // The shipped file with container paths and the port swapped for temp ones on loopback.
      const adapted = parseMosquittoConf(read("mosquitto.conf")).map(([k, v]) => {
        if (k === "listener") return `listener ${port} 127.0.0.1`;
        if (k === "password_file") return `password_file ${passwd}`;
        if (k === "acl_file") return `acl_file ${file("docker/mosquitto/acl")}`;
        if (k === "persistence_location") return `persistence_location ${dir}/`;
        if (k === "log_dest") return "log_dest stderr";
        return `${k} ${v}`;
      });
      if (process.getuid?.() === 0) adapted.push("user root");
      const confFile = join(dir, "mosquitto.conf");
      writeFileSync(confFile, adapted.join("\n") + "\n");
      const c = spawn(mosquittoBin ?? "mosquitto", ["-c", confFile], {
        stdio: ["ignore", "ignore", "pipe"],
      });
      child = c;
      let stderr = "";
      let exited = false;
      c.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      c.once("exit", () => (exited = true));
      try {
        await waitForPort(port, 10_000, () => !exited);
      } catch (e) {
        throw new Error(`${String(e)}: ${stderr}`);
      }
    });
    afterAll(async () => {
      await Promise.all(clients.map((cl) => cl.endAsync()));
      const c = child;
      if (c?.exitCode === null) {
        const exited = new Promise((r) => c.once("exit", r));
        c.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    });

    const login = async (user: string | undefined): Promise<MqttClient> => {
      const opts = user === undefined ? {} : { username: user, password: users[user] ?? "" };
      const cl = await connectAsync(`mqtt://127.0.0.1:${port}`, {
        ...opts,
        protocolVersion: 5,
        reconnectPeriod: 0,
      });
      clients.push(cl);
      return cl;
    };

    it("refuses anonymous clients and wrong passwords", async () => {
      await expect(login(undefined)).rejects.toThrow(/Not authorized|Bad User Name/i);
      await expect(
        connectAsync(`mqtt://127.0.0.1:${port}`, {
          username: "qx10",
          password: "nope",
          protocolVersion: 5,
          reconnectPeriod: 0,
        }),
      ).rejects.toThrow();
    });

    it("accepts the example users and advertises max_packet_size", async () => {
      for (const user of Object.keys(users)) expect((await login(user)).connected).toBe(true);
      const cl = connect(`mqtt://127.0.0.1:${port}`, {
        username: "qx10",
        password: users["qx10"] ?? "",
        protocolVersion: 5,
        reconnectPeriod: 0,
      });
      clients.push(cl);
      const connack = await new Promise<IConnackPacket>((resolve) => cl.once("connect", resolve));
      expect(connack.properties?.maximumPacketSize).toBe(
        Number(confValue(conf, "max_packet_size")),
      );
    });

    it("limits the bridge user to its base topic and the discovery prefix", async () => {
      const monitor = await login("homeassistant");
      const seen: string[] = [];
      monitor.on("message", (t) => seen.push(t));
      await monitor.subscribeAsync("#", { qos: 1 });
      const bridge = await login("qx10");
      const nodered = await login("nodered");
      const attempts: [MqttClient, string][] = [
        [bridge, "qx10/state"],
        [bridge, "homeassistant/device/qx10_abc/config"],
        [bridge, "other/topic"],
        [bridge, "zigbee2mqtt/bridge/request/restart"],
        [nodered, "qx10/cmd/shoot"],
        [nodered, "homeassistant/device/fake/config"],
      ];
      for (const [cl, topic] of attempts) {
        // Denied QoS 1 publishes are acknowledged (MQTT 5: with a failure reason) but not delivered.
        await cl.publishAsync(topic, "x", { qos: 1 }).catch(() => undefined);
      }
      // The monitor's own publish is a barrier: it arrives after everything published before it.
      await monitor.publishAsync("zz/done", "x", { qos: 1 });
      await expect.poll(() => seen.includes("zz/done")).toBe(true);
      expect(seen).toEqual([
        "qx10/state",
        "homeassistant/device/qx10_abc/config",
        "qx10/cmd/shoot",
        "zz/done",
      ]);
    });

    it("gives the bridge the retained homeassistant/status and its own topics only", async () => {
      const ha = await login("homeassistant");
      await ha.publishAsync("homeassistant/status", "online", { qos: 1, retain: true });
      await ha.publishAsync("secret/thing", "x", { qos: 1, retain: true });
      const bridge = await login("qx10");
      const seen: string[] = [];
      bridge.on("message", (t) => seen.push(t));
      // Mosquitto 2.0 grants a subscription the ACL denies, but delivers nothing on it.
      await bridge.subscribeAsync(["homeassistant/status", "secret/thing", "qx10/done"], {
        qos: 1,
      });
      await ha.publishAsync("qx10/done", "x", { qos: 1 });
      await expect.poll(() => seen.includes("qx10/done")).toBe(true);
      expect(seen).toEqual(["homeassistant/status", "qx10/done"]);
      await ha.publishAsync("homeassistant/status", "", { qos: 1, retain: true });
      await ha.publishAsync("secret/thing", "", { qos: 1, retain: true });
    });
  },
);

describe("docs/configuration.md", () => {
  it("is generated from the current schema (npm run gen:config-doc)", () => {
    const r = spawnSync(process.execPath, [file("scripts/gen-config-doc.js"), "--check"], {
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(r.status, r.stderr).toBe(0);
  });

  it("lists every key with its environment variable and default", () => {
    const doc = read("docs/configuration.md");
    const walk = (node: SchemaNode & { default?: unknown }, path: string[]): void => {
      for (const [key, child] of Object.entries(node.properties ?? {})) {
        const p = [...path, key];
        if (child.properties !== undefined) {
          walk(child, p);
          continue;
        }
        const row = doc.split("\n").find((l) => l.startsWith(`| \`${p.join(".")}\``)) ?? "";
        expect(row, p.join(".")).toContain(`\`QX10_${p.map((s) => s.toUpperCase()).join("__")}\``);
      }
    };
    walk(configSchema() as SchemaNode, []);
    expect(doc).toContain("| `mqtt.url`");
    expect(doc).toContain('`"mqtt://127.0.0.1:1883"`');
  });
});

describe("examples", () => {
  it.skipIf(!haveFixtures)(
    "the Home Assistant card names entities the bridge's discovery creates for a QX10",
    () => {
      const ids = new Set<string>();
      for (const name of ["DSC-QX10-still-intelligent-auto", "DSC-QX10-movie"]) {
        const fixture = readFixtureJson(`capabilities/${name}.json`) as {
          calls: Record<string, unknown[]>;
        };
        let state = initialCameraState();
        for (const [method, result] of Object.entries(fixture.calls)) {
          state = applyAvailable(state, method, result).state;
        }
        const components = buildComponents({
          baseTopic: "qx10",
          bridgeVersion: "0.0.0",
          camera: { udn: "uuid:00000000-0005-0010-8000-1c994c993998", model: "DSC-QX10" },
          state,
        });
        for (const c of components.values()) ids.add(String(c["def_ent_id"]));
      }
      const card = read("examples/home-assistant/dashboard-card.yaml");
      const used = [...card.matchAll(/\b(?:entity|entity_id): ([a-z_]+\.[a-z0-9_]+)/g)].map(
        (m) => m[1] ?? "",
      );
      expect(used.length).toBeGreaterThan(8);
      expect([...new Set(used)].filter((e) => !ids.has(e))).toEqual([]);
      expect(parseYaml(card)).toMatchObject({ type: "vertical-stack" });
    },
  );

  it("the Node-RED flow is importable: unique ids, wires and config nodes resolve, contract topics", () => {
    const flow = JSON.parse(read("examples/node-red/qx10-flow.json")) as ({
      id: string;
      type: string;
      z?: string;
      wires?: string[][];
      topic?: string;
      broker?: string;
      group?: string;
      page?: string;
      ui?: string;
      datatype?: string;
    } & Record<string, unknown>)[];
    const ids = new Set(flow.map((n) => n.id));
    expect(ids.size).toBe(flow.length);
    const tab = flow.find((n) => n.type === "tab");
    for (const n of flow) {
      for (const w of (n.wires ?? []).flat()) expect(ids.has(w), `${n.id} → ${w}`).toBe(true);
      // (an mqtt-broker's own "broker" field is its host name)
      const broker = n.type === "mqtt-broker" ? undefined : n.broker;
      for (const ref of [broker, n.group, n.page, n.ui]) {
        if (ref !== undefined && ref !== "") expect(ids.has(ref), `${n.id} → ${ref}`).toBe(true);
      }
      if (n.z !== undefined) expect(n.z).toBe(tab?.id);
    }
    const topics = (type: string): string[] =>
      flow.filter((n) => n.type === type).map((n) => n.topic ?? "");
    expect(topics("mqtt out").sort()).toEqual(["qx10/cmd/liveview", "qx10/cmd/shoot"]);
    expect(topics("mqtt in").sort()).toEqual(["qx10/event", "qx10/liveview", "qx10/snapshot"]);
    // JPEG topics arrive as Buffers, events as parsed JSON.
    for (const n of flow.filter((x) => x.type === "mqtt in")) {
      expect(n.datatype).toBe(n.topic === "qx10/event" ? "json" : "buffer");
    }
    for (const type of ["ui-button", "ui-template", "ui-notification", "ui-base", "ui-page"]) {
      expect(
        flow.some((n) => n.type === type),
        type,
      ).toBe(true);
    }
  });

  it.skipIf(findBinary("systemd-analyze") === undefined)(
    "the systemd unit passes systemd-analyze verify",
    () => {
      const dir = mkdtempSync(join(tmpdir(), "qx10-unit-"));
      try {
        // The unit names /usr/local/bin/qx10-mqtt (npm install -g); point it at this checkout.
        const unit = read("examples/qx10-mqtt.service").replace(
          "/usr/local/bin/qx10-mqtt",
          file("bin/qx10-mqtt.js"),
        );
        const path = join(dir, "qx10-mqtt.service");
        writeFileSync(path, unit);
        const r = spawnSync(findBinary("systemd-analyze") ?? "", ["verify", path], {
          encoding: "utf8",
          timeout: 20_000,
        });
        const problems = `${r.stdout}${r.stderr}`
          .split("\n")
          .filter((l) => l.includes("qx10-mqtt.service"));
        expect(problems).toEqual([]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
