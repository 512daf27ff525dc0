import { describe, expect, it } from "vitest";
import { parseProcNetRoute } from "../../src/doctor/routes.js";
import {
  analyzeRoutes,
  bridgeStateResult,
  brokerFailureResult,
  brokerSuccessResult,
  cameraFailureResult,
  cameraSuccessResult,
  check,
  type CheckResult,
  DOC,
  exitCodeOf,
  formatReport,
  parseBridgeState,
  reportJson,
} from "../../src/doctor/verdict.js";

const HEADER =
  "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT";
function routesOf(...rows: string[]): ReturnType<typeof parseProcNetRoute>["routes"] {
  return parseProcNetRoute(
    [HEADER, ...rows.map((r) => `${r.split(" ").join("\t")}\t0\t0\t0`)].join("\n"),
  ).routes;
}

const LAN_DEFAULT = "eth0 00000000 0101A8C0 0003 0 0 100 00000000";
const LAN_NET = "eth0 0001A8C0 00000000 0001 0 0 100 00FFFFFF";
const CAMERA_NET = "wlan0 0000000A 00000000 0001 0 0 600 00FFFFFF";
const CAMERA_DEFAULT = "wlan0 00000000 0100000A 0003 0 0 600 00000000";

function byId(
  results: CheckResult[],
): Record<string, Pick<CheckResult, "status" | "summary" | "doc">> {
  return Object.fromEntries(
    results.map((r) => [r.id, { status: r.status, summary: r.summary, doc: r.doc }]),
  );
}

const facts = {
  cameraAddress: "10.0.0.1",
  cameraAddressSource: "QX default" as const,
  brokerAddress: "192.168.1.10",
  brokerHost: "broker.lan",
};

describe("analyzeRoutes", () => {
  it("passes the two-interface setup: LAN holds the default route, camera Wi-Fi has none", () => {
    const r = byId(analyzeRoutes({ ...facts, routes: routesOf(LAN_DEFAULT, LAN_NET, CAMERA_NET) }));
    expect(r).toEqual({
      "default-route": {
        status: "ok",
        summary: "default route: default via 192.168.1.1 dev eth0 metric 100",
        doc: null,
      },
      "camera-route": {
        status: "ok",
        summary: "camera 10.0.0.1 reachable on 10.0.0.0/24 dev wlan0 metric 600",
        doc: null,
      },
      "broker-route": {
        status: "ok",
        summary: "broker 192.168.1.10 via 192.168.1.0/24 dev eth0 metric 100",
        doc: null,
      },
    });
  });

  it("fails when the camera's Wi-Fi took the default route and the broker is behind it", () => {
    // The classic: the only Wi-Fi adapter left the home network for the camera's.
    const r = byId(analyzeRoutes({ ...facts, routes: routesOf(CAMERA_DEFAULT, CAMERA_NET) }));
    expect(r["default-route"]?.status).toBe("fail");
    expect(r["default-route"]?.summary).toContain("goes through wlan0, the camera's Wi-Fi");
    expect(r["default-route"]?.doc).toBe(DOC.problem);
    expect(r["camera-route"]?.status).toBe("ok");
    expect(r["broker-route"]).toEqual({
      status: "fail",
      summary:
        "the broker 192.168.1.10 is routed through the camera's Wi-Fi (default via 10.0.0.1 dev wlan0 metric 600)",
      doc: DOC.problem,
    });
  });

  it("warns when the camera's Wi-Fi also offers a default route with a higher metric (NetworkManager default)", () => {
    const results = analyzeRoutes({
      ...facts,
      routes: routesOf(LAN_DEFAULT, CAMERA_DEFAULT, LAN_NET, CAMERA_NET),
    });
    const r = byId(results);
    expect(r["default-route"]?.status).toBe("warn");
    expect(r["default-route"]?.summary).toContain(
      "also offers one (default via 10.0.0.1 dev wlan0 metric 600)",
    );
    expect(results[0]?.fix.join("\n")).toContain("ipv4.never-default yes");
    expect(r["broker-route"]?.status).toBe("ok");
  });

  it("warns when this machine is not on the camera's network at all", () => {
    const r = byId(analyzeRoutes({ ...facts, routes: routesOf(LAN_DEFAULT, LAN_NET) }));
    expect(r["default-route"]?.status).toBe("ok");
    expect(r["camera-route"]).toEqual({
      status: "warn",
      summary:
        "no interface is on the camera's network: 10.0.0.1 (QX default) would go via the default route (eth0), not to the camera",
      doc: DOC.problem,
    });
  });

  it("warns without any route, and fails the broker then", () => {
    const r = byId(analyzeRoutes({ ...facts, routes: [] }));
    expect(r["default-route"]?.status).toBe("warn");
    expect(r["camera-route"]?.summary).toContain("no route to the camera at 10.0.0.1");
    expect(r["broker-route"]?.status).toBe("fail");
  });

  it("fails when the broker's address lies inside the camera's network", () => {
    const r = byId(
      analyzeRoutes({
        ...facts,
        brokerAddress: "10.0.0.20",
        routes: routesOf(LAN_DEFAULT, LAN_NET, CAMERA_NET),
      }),
    );
    expect(r["broker-route"]?.status).toBe("fail");
    expect(r["broker-route"]?.doc).toBe(DOC.overlap);
    expect(r["broker-route"]?.summary).toContain(
      "inside the camera's network (10.0.0.0/24 dev wlan0 metric 600)",
    );
  });

  it("is content with a camera and broker on loopback (simulator, local broker)", () => {
    const r = byId(
      analyzeRoutes({
        ...facts,
        cameraAddress: "127.0.0.1",
        brokerAddress: "127.0.0.1",
        routes: routesOf(LAN_DEFAULT, LAN_NET),
      }),
    );
    expect(Object.values(r).map((x) => x.status)).toEqual(["ok", "ok", "ok"]);
  });

  it("skips what it cannot know", () => {
    const r = byId(
      analyzeRoutes({
        ...facts,
        cameraAddress: null,
        brokerAddress: null,
        routes: routesOf(LAN_DEFAULT),
      }),
    );
    expect(r["camera-route"]?.status).toBe("skip");
    expect(r["broker-route"]?.status).toBe("skip");
  });
});

describe("broker verdicts", () => {
  it("names bad credentials and points at the password file", () => {
    for (const [code, v] of [
      [4, 4],
      [0x86, 5],
    ] as const) {
      const r = brokerFailureResult("mqtt://b:1883", { kind: "connack", code, protocolVersion: v });
      expect(r.status).toBe("fail");
      expect(r.summary).toBe(
        "the broker at mqtt://b:1883 refused the connection: bad user name or password",
      );
      expect(r.fix[0]).toContain("QX10_MQTT__PASSWORD");
    }
    expect(
      brokerFailureResult("u", { kind: "connack", code: 0x87, protocolVersion: 5 }).summary,
    ).toContain("not authorized");
    expect(
      brokerFailureResult("u", { kind: "connack", code: 0x99, protocolVersion: 5 }).summary,
    ).toContain("CONNACK reason code 153");
  });

  it("tells refused, unresolvable, unreachable, TLS and timeout apart", () => {
    const e = (code: string): CheckResult =>
      brokerFailureResult("mqtt://x:1", { kind: "error", code, message: `${code} boom` });
    expect(e("ECONNREFUSED").summary).toContain("refused the TCP connection");
    expect(e("ECONNREFUSED").fix.join(" ")).toContain("listener 1883");
    expect(e("ENOTFOUND").summary).toContain("does not resolve");
    expect(e("EHOSTUNREACH").doc).toBe(DOC.problem);
    expect(e("DEPTH_ZERO_SELF_SIGNED_CERT").summary).toContain("TLS handshake");
    expect(e("EWHATEVER").summary).toBe(
      "cannot connect to the broker at mqtt://x:1: EWHATEVER boom",
    );
    const t = brokerFailureResult("mqtt://x:1", { kind: "timeout", seconds: 3 });
    expect(t.summary).toBe("no answer from the broker at mqtt://x:1 within 3 s");
  });

  it("warns when the broker's maximum packet size is below what a snapshot needs", () => {
    const base = {
      url: "mqtt://b",
      protocolVersion: 5 as const,
      snapshotMaxBytes: 4_194_304,
      fellBack: false,
    };
    expect(brokerSuccessResult({ ...base, maximumPacketSize: 2_097_152 }).status).toBe("warn");
    expect(brokerSuccessResult({ ...base, maximumPacketSize: 8_388_608 }).summary).toBe(
      "connected to mqtt://b (MQTT 5, maximum packet 8388608 B)",
    );
    expect(brokerSuccessResult({ ...base, maximumPacketSize: undefined }).status).toBe("ok");
    expect(
      brokerSuccessResult({
        ...base,
        protocolVersion: 4,
        fellBack: true,
        maximumPacketSize: undefined,
      }).summary,
    ).toBe("connected to mqtt://b (MQTT 3.1.1 (the broker refused MQTT 5), no packet size limit)");
  });
});

describe("bridge state", () => {
  it("parses the retained availability payload", () => {
    expect(parseBridgeState(Buffer.from('{"state":"online"}'))).toBe("online");
    expect(parseBridgeState(Buffer.from('{"state":"offline"}'))).toBe("offline");
    expect(parseBridgeState(null)).toBe("none");
    expect(parseBridgeState(Buffer.alloc(0))).toBe("none");
    expect(parseBridgeState(Buffer.from("online"))).toBe("other");
  });

  it("fails only when required (--quick)", () => {
    expect(bridgeStateResult("qx10", "online", true).status).toBe("ok");
    expect(bridgeStateResult("qx10", "offline", true).status).toBe("fail");
    expect(bridgeStateResult("qx10", "offline", false).status).toBe("skip");
    expect(bridgeStateResult("cam/a", "none", true).summary).toBe(
      "no bridge has published cam/a/bridge/state on this broker",
    );
  });
});

describe("camera verdicts", () => {
  const f = { message: "m", cameraUrl: null, searchSeconds: 3, cameraCode: undefined };
  it("suggests host networking or a fixed URL when SSDP finds nothing", () => {
    const r = cameraFailureResult({ ...f, code: "CAMERA_NOT_FOUND" });
    expect(r.summary).toBe("no camera answered the SSDP search within 3 s");
    expect(r.fix.join("\n")).toContain("QX10_CAMERA__URL=http://10.0.0.1:10000/sony");
    expect(r.doc).toBe(DOC.camera);
  });
  it("names the path for HTTP errors and power/Wi-Fi for silence", () => {
    expect(
      cameraFailureResult({
        ...f,
        code: "CAMERA_HTTP",
        cameraCode: 404,
        cameraUrl: "http://10.0.0.1:10000",
      }).summary,
    ).toBe("the camera answered HTTP 404: m");
    const t = cameraFailureResult({
      ...f,
      code: "CAMERA_TIMEOUT",
      cameraUrl: "http://10.0.0.1:10000/sony",
    });
    expect(t.summary).toBe("the camera at http://10.0.0.1:10000/sony does not answer: m");
    expect(t.fix[0]).toContain("power button");
  });
  it("reports model and versions on success", () => {
    expect(
      cameraSuccessResult("DSC-QX10", "http://10.0.0.1:10000/sony/camera", ["1.0", "1.1"]).summary,
    ).toBe("DSC-QX10 answers at http://10.0.0.1:10000/sony/camera (API versions 1.0, 1.1)");
  });
});

describe("report", () => {
  const results = [
    check("config", "ok", "configuration loaded (x.yaml)"),
    check("broker-route", "fail", "no route", { fix: ["do this"], doc: DOC.problem }),
    check("bridge", "skip", "nobody"),
  ];
  it("prints one aligned line per check, fixes and links below, and a summary", () => {
    expect(formatReport(results)).toEqual([
      "OK   config        configuration loaded (x.yaml)",
      "FAIL broker-route  no route",
      "     fix: do this",
      `     see: ${DOC.problem}`,
      "SKIP bridge        nobody",
      "1 failed, 0 warnings, 1 ok, 1 skipped",
    ]);
    expect(formatReport(results.slice(0, 1)).at(-1)).toBe("all checks passed (1 ok, 0 skipped)");
  });
  it("exits 1 on any warn or fail, 0 on ok and skip", () => {
    expect(exitCodeOf(results)).toBe(1);
    expect(exitCodeOf([check("a", "ok", ""), check("b", "skip", "")])).toBe(0);
    expect(exitCodeOf([check("a", "warn", "")])).toBe(1);
  });
  it("renders JSON with ok and every check", () => {
    const doc = JSON.parse(reportJson(results)) as { ok: boolean; checks: CheckResult[] };
    expect(doc.ok).toBe(false);
    expect(doc.checks.map((c) => c.id)).toEqual(["config", "broker-route", "bridge"]);
    expect(doc.checks[1]).toEqual({
      id: "broker-route",
      status: "fail",
      summary: "no route",
      fix: ["do this"],
      doc: DOC.problem,
      details: {},
    });
  });
});
