/**
 * `qx10-mqtt doctor` in-process against the camera simulator and a real Mosquitto on loopback:
 * the camera by fixed URL, dd.xml URL and unicast SSDP; the broker with good and bad credentials,
 * closed port and a small max_packet_size; `--quick` (the container health check) reading the
 * retained `<base>/bridge/state`; and the route checks on a given routing table file.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectAsync } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliContext } from "../../src/cli/context.js";
import { runDoctor } from "../../src/cli/doctor.js";
import { type CheckResult } from "../../src/doctor/verdict.js";
import { isBridgeError } from "../../src/errors.js";
import { type Simulator } from "../../src/sim/simulator.js";
import { brokerKind, freePort, lacks, startBroker, type Broker } from "../helpers/broker.js";
import { startTestSim } from "../helpers/sim.js";

const HEADER =
  "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT";

interface Run {
  code: number;
  out: string[];
  err: string[];
}

async function doctor(argv: string[], env: Record<string, string>): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const ctx: CliContext = {
    signal: new AbortController().signal,
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    env,
  };
  const code = await runDoctor(argv, ctx);
  return { code, out, err };
}

function checksOf(run: Run): Record<string, CheckResult> {
  const doc = JSON.parse(run.out[0] ?? "{}") as { checks: CheckResult[] };
  return Object.fromEntries(doc.checks.map((c) => [c.id, c]));
}

describe.skipIf(!brokerKind || lacks("users", "doctor against a broker with users"))(
  "qx10-mqtt doctor (simulator + broker with a user)",
  () => {
    let sim: Simulator;
    let broker: Broker;
    let dir: string;
    let routeFile: string;
    let env: Record<string, string>;

    beforeAll(async () => {
      sim = await startTestSim({ ssdp: true });
      broker = await startBroker({ users: { qx10: "s3cret" } });
      dir = mkdtempSync(join(tmpdir(), "qx10-doctor-"));
      // A host with the LAN on eth0 (default route) and the camera's Wi-Fi on wlan0 without one.
      routeFile = join(dir, "route");
      writeFileSync(
        routeFile,
        [
          HEADER,
          "eth0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0",
          "eth0\t0001A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0",
          "wlan0\t0000000A\t00000000\t0001\t0\t0\t600\t00FFFFFF\t0\t0\t0",
          "",
        ].join("\n"),
      );
      env = {
        QX10_MQTT__URL: broker.url,
        QX10_MQTT__USERNAME: "qx10",
        QX10_MQTT__PASSWORD: "s3cret",
        QX10_CAMERA__URL: sim.urls.actionListUrl,
      };
    });
    afterAll(async () => {
      await sim.close();
      await broker.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it("passes with a reachable camera and broker, and prints one line per check", async () => {
      const run = await doctor(["--route-table", routeFile, "--timeout", "2"], env);
      expect(run.out.map((l) => l.slice(0, 20).trimEnd())).toEqual([
        "OK   config",
        "OK   default-route",
        "OK   camera-route",
        "OK   broker-route",
        "OK   camera",
        "OK   broker",
        "SKIP bridge",
        "all checks passed (6",
      ]);
      expect(run.code).toBe(0);
    });

    it("--json: camera by dd.xml URL names the model; the broker's password never shows", async () => {
      const run = await doctor(["--json", "--route-table", routeFile], {
        ...env,
        QX10_CAMERA__URL: sim.urls.ddXml,
        QX10_MQTT__URL: broker.url.replace("mqtt://", "mqtt://qx10:s3cret@"),
      });
      const c = checksOf(run);
      expect(c["camera"]?.status).toBe("ok");
      expect(c["camera"]?.details["model"]).toBe("DSC-QX10");
      expect(c["camera"]?.details["versions"]).toEqual(expect.arrayContaining(["1.0"]));
      expect(c["broker"]?.status).toBe("ok");
      // The embedded broker (aedes) is MQTT 3.1.1 only: doctor falls back like the bridge.
      expect(c["broker"]?.details["protocol_version"]).toBe(broker.mqtt5 ? 5 : 4);
      expect(run.out[0]).not.toContain("s3cret");
      expect(run.code).toBe(0);
    });

    it("finds the camera by SSDP (unicast to the simulator's responder) when camera.url is null", async () => {
      const ssdp = sim.urls.ssdp;
      if (ssdp === undefined) throw new Error("no SSDP responder");
      const run = await doctor(["--json", "--route-table", routeFile, "--timeout", "1"], {
        ...env,
        QX10_CAMERA__URL: "null",
        QX10_CAMERA__DISCOVERY__ADDRESS: ssdp.host,
        QX10_CAMERA__DISCOVERY__PORT: String(ssdp.port),
      });
      const c = checksOf(run);
      expect(c["camera"]?.status).toBe("ok");
      expect(c["camera"]?.details["endpoint"]).toBe(sim.urls.endpoints["camera"]);
      // Without camera.url the route check looks for the QX network 10.0.0.1: wlan0 in this table.
      expect(c["camera-route"]?.summary).toBe(
        "camera 10.0.0.1 reachable on 10.0.0.0/24 dev wlan0 metric 600",
      );
    });

    it("fails the camera when nothing answers SSDP", async () => {
      const silent = await freePort();
      const run = await doctor(["--json", "--route-table", routeFile, "--timeout", "0.5"], {
        ...env,
        QX10_CAMERA__URL: "",
        QX10_CAMERA__DISCOVERY__ADDRESS: "127.0.0.1",
        QX10_CAMERA__DISCOVERY__PORT: String(silent),
      });
      const c = checksOf(run);
      expect(c["camera"]?.status).toBe("fail");
      expect(c["camera"]?.summary).toBe("no camera answered the SSDP search within 0.5 s");
      expect(run.code).toBe(1);
    });

    it("fails the camera when it is powered off, with power and Wi-Fi hints", async () => {
      await sim.powerOff();
      try {
        const run = await doctor(["--json", "--route-table", routeFile], env);
        const c = checksOf(run);
        expect(c["camera"]?.status).toBe("fail");
        expect(c["camera"]?.details["code"]).toBe("CAMERA_UNREACHABLE");
        expect(c["camera"]?.fix[0]).toContain("power button");
        expect(c["broker"]?.status).toBe("ok");
        expect(run.code).toBe(1);
      } finally {
        await sim.powerOn();
      }
    });

    it("names bad credentials", async () => {
      const run = await doctor(["--json", "--route-table", routeFile], {
        ...env,
        QX10_MQTT__PASSWORD: "wrong",
      });
      const c = checksOf(run);
      expect(c["broker"]?.status).toBe("fail");
      expect(c["broker"]?.summary).toBe(
        `the broker at ${broker.url} refused the connection: not authorized (wrong user name or password, or not allowed)`,
      );
      expect(c["bridge"]).toBeUndefined();
      expect(run.code).toBe(1);
    });

    it("names a closed port", async () => {
      const closed = `mqtt://127.0.0.1:${await freePort()}`;
      const run = await doctor(["--json", "--route-table", routeFile], {
        ...env,
        QX10_MQTT__URL: closed,
      });
      expect(checksOf(run)["broker"]?.summary).toBe(
        `the broker at ${closed} refused the TCP connection (nothing listens there)`,
      );
      expect(run.code).toBe(1);
    });

    it("fails the routes on a table where the camera's Wi-Fi holds the default route", async () => {
      const stolen = join(dir, "stolen");
      writeFileSync(
        stolen,
        [
          HEADER,
          "wlan0\t00000000\t0100000A\t0003\t0\t0\t600\t00000000\t0\t0\t0",
          "wlan0\t0000000A\t00000000\t0001\t0\t0\t600\t00FFFFFF\t0\t0\t0",
        ].join("\n"),
      );
      // No camera.url: the route checks look for the QX network (10.0.0.1) without anything being
      // sent there; the SSDP search goes to a silent loopback port.
      const run = await doctor(["--route-table", stolen, "--timeout", "0.5"], {
        ...env,
        QX10_CAMERA__URL: "",
        QX10_CAMERA__DISCOVERY__ADDRESS: "127.0.0.1",
        QX10_CAMERA__DISCOVERY__PORT: String(await freePort()),
      });
      const text = run.out.join("\n");
      expect(text).toContain(
        "FAIL default-route  the default route (default via 10.0.0.1 dev wlan0 metric 600) goes through wlan0",
      );
      expect(text).toContain(
        "fix: keep the default route off the camera's Wi-Fi: NetworkManager: nmcli connection modify",
      );
      expect(text).toContain("see: docs/network.md#why-the-broker-becomes-unreachable");
      expect(run.code).toBe(1);
    });

    describe("--quick (health check)", () => {
      async function setBridgeState(payload: string | null): Promise<void> {
        const c = await connectAsync(broker.url, { username: "qx10", password: "s3cret" });
        await c.publishAsync("qx10/bridge/state", payload ?? "", { retain: true, qos: 1 });
        await c.endAsync();
      }

      it("is healthy only while the retained bridge state is online", async () => {
        await setBridgeState(null);
        let run = await doctor(["--quick"], env);
        expect(run.out[1]).toBe(
          "FAIL bridge  no bridge has published qx10/bridge/state on this broker",
        );
        expect(run.code).toBe(1);

        await setBridgeState('{"state":"online"}');
        run = await doctor(["--quick", "--json"], env);
        expect(Object.keys(checksOf(run))).toEqual(["broker", "bridge"]);
        expect(checksOf(run)["bridge"]?.status).toBe("ok");
        expect(run.code).toBe(0);

        await setBridgeState('{"state":"offline"}');
        run = await doctor(["--quick"], env);
        expect(run.code).toBe(1);
        expect(run.out[1]).toContain("is offline");
        await setBridgeState(null);
      });

      it("is unhealthy when the broker is unreachable", async () => {
        const run = await doctor(["--quick"], {
          ...env,
          QX10_MQTT__URL: `mqtt://127.0.0.1:${await freePort()}`,
        });
        expect(run.out[0]?.startsWith("FAIL broker")).toBe(true);
        expect(run.code).toBe(1);
      });
    });

    it.skipIf(lacks("maxPacketSize", "MQTT 5 CONNACK maximum packet size"))(
      "warns when max_packet_size is below snapshot.max_bytes",
      async () => {
        const small = await startBroker({ maxPacketSize: 1_048_576 });
        try {
          const run = await doctor(["--json", "--route-table", routeFile], {
            QX10_MQTT__URL: small.url,
            QX10_CAMERA__URL: sim.urls.actionListUrl,
          });
          const c = checksOf(run);
          expect(c["broker"]?.status).toBe("warn");
          expect(c["broker"]?.details["maximum_packet_size"]).toBe(1_048_576);
          expect(run.code).toBe(1);
        } finally {
          await small.stop();
        }
      },
    );

    it("reads --config and rejects an invalid configuration (CONFIG_INVALID, exit 2 in main)", async () => {
      const file = join(dir, "bad.yaml");
      writeFileSync(file, "mqtt:\n  keepalive_s: -1\n");
      await expect(doctor(["--config", file], {})).rejects.toSatisfy((e: unknown) =>
        isBridgeError(e, "CONFIG_INVALID"),
      );
      const good = join(dir, "good.yaml");
      writeFileSync(
        good,
        `mqtt:\n  url: ${broker.url}\n  username: qx10\n  password: s3cret\ncamera:\n  url: ${sim.urls.actionListUrl}\n`,
      );
      const run = await doctor(["--config", good, "--route-table", routeFile], {});
      expect(run.out[0]).toBe(`OK   config         configuration loaded (${good})`);
      expect(run.code).toBe(0);
    });

    it("prints usage for --help and refuses a bad --timeout", async () => {
      const run = await doctor(["--help"], {});
      expect(run.out[0]).toContain("qx10-mqtt doctor [--config FILE] [--quick] [--json]");
      await expect(doctor(["--timeout", "0"], {})).rejects.toSatisfy((e: unknown) =>
        isBridgeError(e, "USAGE"),
      );
    });
  },
);

describe("qx10-mqtt doctor against a broker that never answers", () => {
  let server: Server;
  let url: string;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    // Accepts TCP connections and reads the CONNECT, but never sends a CONNACK.
    server = createServer((s) => {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.resume();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    url = `mqtt://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it("reports a timeout after --timeout seconds", async () => {
    const run = await doctor(["--quick", "--timeout", "0.3"], { QX10_MQTT__URL: url });
    expect(run.out[0]).toBe(`FAIL broker  no answer from the broker at ${url} within 0.3 s`);
    expect(run.out.some((l) => l.includes("bridge"))).toBe(false);
    expect(run.out.at(-1)).toBe("1 failed, 0 warnings, 0 ok, 0 skipped");
    expect(run.code).toBe(1);
  });

  it("stops with ABORTED when its signal fires", async () => {
    const controller = new AbortController();
    const ctx: CliContext = {
      signal: controller.signal,
      out: () => undefined,
      err: () => undefined,
      env: { QX10_MQTT__URL: url },
    };
    const running = runDoctor(["--quick", "--timeout", "30"], ctx);
    setTimeout(() => {
      controller.abort();
    }, 50);
    await expect(running).rejects.toSatisfy((e: unknown) => isBridgeError(e, "ABORTED"));
    await expect.poll(() => sockets.size).toBe(0);
  });
});
