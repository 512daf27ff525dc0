/**
 * What `qx10-mqtt doctor` concludes and how it prints it. Pure: facts in (the routing table,
 * addresses, what the broker or camera answered), verdicts out. The I/O lives in `checks.ts`.
 */
import {
  defaultRoutes,
  describeRoute,
  isLoopback,
  lookupRoute,
  type RouteEntry,
} from "./routes.js";

/** Outcome of one check. `skip` = not applicable here; it does not fail the run. */
export type CheckStatus = "ok" | "warn" | "fail" | "skip";

/** One line of the doctor's report. */
export interface CheckResult {
  /** Stable id: `config`, `default-route`, `camera-route`, `broker-route`, `camera`, `broker`, `bridge`. */
  id: string;
  status: CheckStatus;
  /** One sentence: what was found. */
  summary: string;
  /** What to do about it (empty when nothing). */
  fix: string[];
  /** Where the docs explain it (`docs/network.md#...`), or null. */
  doc: string | null;
  /** Facts for `--json` (addresses, interfaces, codes). */
  details: Record<string, unknown>;
}

/** Sections of docs/network.md the report links to. */
export const DOC = {
  problem: "docs/network.md#why-the-broker-becomes-unreachable",
  networkManager: "docs/network.md#networkmanager",
  networkd: "docs/network.md#wpa_supplicant-and-systemd-networkd",
  raspberryPi: "docs/network.md#raspberry-pi",
  docker: "docs/network.md#docker",
  camera: "docs/network.md#camera-not-found",
  broker: "docs/network.md#broker-problems",
  overlap: "docs/network.md#address-overlap",
} as const;

/** Address of the QX/AS family cameras on their own Wi-Fi (camera-api.md §1.1, §1.4). */
export const QX_CAMERA_ADDRESS = "10.0.0.1";

/** Builds a result with no fix, no doc and no details unless given. */
export function check(
  id: string,
  status: CheckStatus,
  summary: string,
  extra: Partial<Pick<CheckResult, "fix" | "doc" | "details">> = {},
): CheckResult {
  return {
    id,
    status,
    summary,
    fix: extra.fix ?? [],
    doc: extra.doc ?? null,
    details: extra.details ?? {},
  };
}

/** Inputs of {@link analyzeRoutes}. */
export interface RouteFacts {
  /** Parsed /proc/net/route. */
  routes: readonly RouteEntry[];
  /** IPv4 address the camera is expected at (from camera.url, else {@link QX_CAMERA_ADDRESS}). */
  cameraAddress: string | null;
  /** Where `cameraAddress` came from, for the wording. */
  cameraAddressSource: "camera.url" | "QX default";
  /** The broker's IPv4 address (resolved), or null when unknown (not resolvable, IPv6). */
  brokerAddress: string | null;
  /** The broker's host as configured, for the wording. */
  brokerHost: string;
}

const NEVER_DEFAULT_FIX = [
  "keep the default route off the camera's Wi-Fi: NetworkManager: nmcli connection modify <camera-connection> ipv4.never-default yes",
  "systemd-networkd: in the camera interface's .network file set [DHCPv4] UseRoutes=false (or UseGateway=false)",
];

/**
 * The three route checks: `default-route` (where the default route points, and whether the
 * camera's Wi-Fi holds or also offers one), `camera-route` (is there a route to the camera other
 * than the default route, i.e. is this host on the camera's network) and `broker-route` (does the
 * broker's address leave through an interface that can reach it, not the camera's Wi-Fi).
 */
export function analyzeRoutes(facts: RouteFacts): CheckResult[] {
  const { routes, cameraAddress, brokerAddress, brokerHost } = facts;
  const defaults = defaultRoutes(routes);
  const bestDefault = defaults[0];
  const cameraLocal = cameraAddress !== null && isLoopback(cameraAddress);
  const cameraRoute =
    cameraAddress === null || cameraLocal
      ? null
      : lookupRoute(routes, cameraAddress, { excludeDefault: true });
  const cameraIface = cameraRoute?.iface ?? null;
  const results: CheckResult[] = [];

  // default-route
  const defaultDetails = { routes: defaults.map(describeRoute), camera_interface: cameraIface };
  if (bestDefault === undefined) {
    results.push(
      check(
        "default-route",
        "warn",
        "no default route: only directly connected networks are reachable",
        {
          fix: [
            "fine when the broker is on a directly connected network; otherwise connect the LAN (Ethernet) and check its DHCP",
          ],
          doc: DOC.problem,
          details: defaultDetails,
        },
      ),
    );
  } else if (cameraIface !== null && bestDefault.iface === cameraIface) {
    results.push(
      check(
        "default-route",
        "fail",
        `the default route (${describeRoute(bestDefault)}) goes through ${cameraIface}, the camera's Wi-Fi: the camera routes nothing, so the broker and the internet are cut off`,
        { fix: NEVER_DEFAULT_FIX, doc: DOC.problem, details: defaultDetails },
      ),
    );
  } else {
    const cameraDefault =
      cameraIface === null ? undefined : defaults.find((r) => r.iface === cameraIface);
    if (cameraDefault !== undefined) {
      results.push(
        check(
          "default-route",
          "warn",
          `default route via ${bestDefault.iface}, but the camera's Wi-Fi ${cameraIface ?? ""} also offers one (${describeRoute(cameraDefault)}): it takes over when ${bestDefault.iface} goes down`,
          { fix: NEVER_DEFAULT_FIX, doc: DOC.networkManager, details: defaultDetails },
        ),
      );
    } else {
      results.push(
        check("default-route", "ok", `default route: ${describeRoute(bestDefault)}`, {
          details: defaultDetails,
        }),
      );
    }
  }

  // camera-route
  if (cameraAddress === null) {
    results.push(
      check(
        "camera-route",
        "skip",
        "camera address unknown (camera.url names a host that did not resolve)",
      ),
    );
  } else if (cameraLocal) {
    results.push(
      check(
        "camera-route",
        "ok",
        `the camera is on this machine (${cameraAddress}, e.g. the simulator)`,
        {
          details: { address: cameraAddress },
        },
      ),
    );
  } else if (cameraRoute === null) {
    const via = lookupRoute(routes, cameraAddress);
    results.push(
      check(
        "camera-route",
        "warn",
        via === null
          ? `no route to the camera at ${cameraAddress} (${facts.cameraAddressSource}): this machine is not on the camera's Wi-Fi`
          : `no interface is on the camera's network: ${cameraAddress} (${facts.cameraAddressSource}) would go via the default route (${via.iface}), not to the camera`,
        {
          fix: [
            "join the camera's Wi-Fi (SSID DIRECT-xxxx:DSC-QX10, password in the battery cover) with a second interface",
            "a single Wi-Fi adapter cannot be on the camera's network and your home Wi-Fi at once: use Ethernet or a USB Wi-Fi adapter for the LAN",
          ],
          doc: DOC.problem,
          details: { address: cameraAddress },
        },
      ),
    );
  } else {
    results.push(
      check(
        "camera-route",
        "ok",
        `camera ${cameraAddress} reachable on ${describeRoute(cameraRoute)}`,
        {
          details: { address: cameraAddress, interface: cameraRoute.iface },
        },
      ),
    );
  }

  // broker-route
  if (brokerAddress === null) {
    results.push(
      check(
        "broker-route",
        "skip",
        `broker host ${brokerHost} has no IPv4 address to check the route for`,
      ),
    );
  } else if (isLoopback(brokerAddress)) {
    results.push(check("broker-route", "ok", `the broker is on this machine (${brokerAddress})`));
  } else {
    const route = lookupRoute(routes, brokerAddress);
    const details = { address: brokerAddress, route: route === null ? null : describeRoute(route) };
    if (route === null) {
      results.push(
        check("broker-route", "fail", `no route to the broker ${brokerHost} (${brokerAddress})`, {
          fix: ["connect the LAN the broker is on (Ethernet), or fix its DHCP/static address"],
          doc: DOC.problem,
          details,
        }),
      );
    } else if (cameraIface !== null && route.iface === cameraIface) {
      const overlap = route.prefixLength > 0;
      results.push(
        check(
          "broker-route",
          "fail",
          overlap
            ? `the broker ${brokerAddress} lies inside the camera's network (${describeRoute(route)}): packets for it go to the camera's Wi-Fi`
            : `the broker ${brokerAddress} is routed through the camera's Wi-Fi (${describeRoute(route)})`,
          {
            fix: overlap
              ? [
                  "give the LAN (or the broker) addresses outside the camera's 10.0.0.0/x network, or add a host route to the broker via the LAN interface",
                ]
              : NEVER_DEFAULT_FIX,
            doc: overlap ? DOC.overlap : DOC.problem,
            details,
          },
        ),
      );
    } else {
      results.push(
        check("broker-route", "ok", `broker ${brokerAddress} via ${describeRoute(route)}`, {
          details,
        }),
      );
    }
  }
  return results;
}

/** How a broker connection attempt failed, as `checks.ts` observed it. */
export type BrokerFailure =
  | { kind: "connack"; code: number; protocolVersion: 4 | 5 }
  | { kind: "error"; code: string | undefined; message: string }
  | { kind: "timeout"; seconds: number };

const CONNACK_TEXT: Record<number, string> = {
  1: "unacceptable protocol version",
  2: "client identifier rejected",
  3: "server unavailable",
  4: "bad user name or password",
  // Mosquitto answers a wrong password with "not authorized" too (seen with 2.0.11 over MQTT 5).
  5: "not authorized (wrong user name or password, or not allowed)",
  0x84: "unsupported protocol version",
  0x85: "client identifier not valid",
  0x86: "bad user name or password",
  0x87: "not authorized (wrong user name or password, or not allowed)",
  0x88: "server unavailable",
  0x89: "server busy",
  0x8a: "banned",
  0x8c: "bad authentication method",
};

const AUTH_CODES: ReadonlySet<number> = new Set([4, 5, 0x86, 0x87, 0x8c]);

/** Turns a broker failure into the `broker` check's result. */
export function brokerFailureResult(url: string, failure: BrokerFailure): CheckResult {
  const details: Record<string, unknown> = { url, ...failure };
  switch (failure.kind) {
    case "connack": {
      const text = CONNACK_TEXT[failure.code] ?? `CONNACK reason code ${failure.code}`;
      const fix = AUTH_CODES.has(failure.code)
        ? [
            "check mqtt.username / mqtt.password (QX10_MQTT__USERNAME, QX10_MQTT__PASSWORD) against the broker's password file",
            "with an ACL, the bridge's user needs readwrite on <base>/# and the discovery prefix (see docker/mosquitto/acl.example)",
          ]
        : ["see the broker's log for why it refused the connection"];
      return check("broker", "fail", `the broker at ${url} refused the connection: ${text}`, {
        fix,
        doc: DOC.broker,
        details,
      });
    }
    case "timeout":
      return check(
        "broker",
        "fail",
        `no answer from the broker at ${url} within ${failure.seconds} s`,
        {
          fix: [
            "a silent timeout usually means the packets go the wrong way: check the broker-route line above",
            "or a firewall drops them; check the host and port",
          ],
          doc: DOC.problem,
          details,
        },
      );
    case "error": {
      const code = failure.code ?? "";
      let summary = `cannot connect to the broker at ${url}: ${failure.message}`;
      let fix: string[] = ["check mqtt.url (QX10_MQTT__URL)"];
      let doc: string = DOC.broker;
      if (code === "ECONNREFUSED") {
        summary = `the broker at ${url} refused the TCP connection (nothing listens there)`;
        fix = [
          "start the broker, or fix the port in mqtt.url",
          "Mosquitto 2 without a `listener` line listens on localhost only: add `listener 1883`",
        ];
      } else if (code === "ENOTFOUND" || code === "EAI_AGAIN") {
        summary = `the broker's host name in ${url} does not resolve (${code})`;
        fix = [
          "check the host name; on the camera's Wi-Fi the camera is the only DNS server and knows no names: use the broker's IP address",
        ];
        doc = DOC.problem;
      } else if (code === "EHOSTUNREACH" || code === "ENETUNREACH") {
        summary = `no route to the broker at ${url} (${code})`;
        fix = NEVER_DEFAULT_FIX;
        doc = DOC.problem;
      } else if (/^(ERR_TLS|ERR_SSL|CERT_|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED)/.test(code)) {
        summary = `TLS handshake with the broker at ${url} failed (${code})`;
        fix = [
          "check mqtt.tls.ca (the CA that signed the broker's certificate) and mqtt.tls.servername",
        ];
      }
      return check("broker", "fail", summary, { fix, doc, details });
    }
  }
}

/** What a successful broker connection told us. */
export interface BrokerSuccess {
  url: string;
  protocolVersion: 4 | 5;
  /** MQTT 5 CONNACK Maximum Packet Size, bytes; undefined when none (or 3.1.1). */
  maximumPacketSize: number | undefined;
  /** `snapshot.max_bytes` from the config. */
  snapshotMaxBytes: number;
  /** True when `protocol_version: auto` had to fall back to 3.1.1. */
  fellBack: boolean;
}

/** Room for the topic and properties of a snapshot PUBLISH beyond its payload, bytes. */
export const SNAPSHOT_PACKET_OVERHEAD = 1024;

/** The `broker` check's result after a CONNACK 0. Warns when snapshots would not fit a packet. */
export function brokerSuccessResult(s: BrokerSuccess): CheckResult {
  const details = {
    url: s.url,
    protocol_version: s.protocolVersion,
    maximum_packet_size: s.maximumPacketSize ?? null,
  };
  const proto =
    s.protocolVersion === 5
      ? "MQTT 5"
      : `MQTT 3.1.1${s.fellBack ? " (the broker refused MQTT 5)" : ""}`;
  const limit =
    s.maximumPacketSize === undefined
      ? "no packet size limit"
      : `maximum packet ${s.maximumPacketSize} B`;
  if (
    s.maximumPacketSize !== undefined &&
    s.maximumPacketSize < s.snapshotMaxBytes + SNAPSHOT_PACKET_OVERHEAD
  ) {
    return check(
      "broker",
      "warn",
      `connected to ${s.url} (${proto}), but its maximum packet size ${s.maximumPacketSize} B is below snapshot.max_bytes ${s.snapshotMaxBytes} B: larger pictures will not be published`,
      {
        fix: [
          `raise max_packet_size in mosquitto.conf to at least ${s.snapshotMaxBytes + SNAPSHOT_PACKET_OVERHEAD}, or lower snapshot.max_bytes`,
        ],
        doc: DOC.broker,
        details,
      },
    );
  }
  return check("broker", "ok", `connected to ${s.url} (${proto}, ${limit})`, { details });
}

/** The retained `<base>/bridge/state` as the doctor saw it. */
export type BridgeStateSeen = "online" | "offline" | "none" | "other";

/** Reads a `<base>/bridge/state` payload (`{"state":"online"}`, mqtt-api.md). */
export function parseBridgeState(payload: Buffer | null): BridgeStateSeen {
  if (payload === null || payload.length === 0) return "none";
  try {
    const v = JSON.parse(payload.toString("utf8")) as unknown;
    if (typeof v === "object" && v !== null && "state" in v) {
      if (v.state === "online") return "online";
      if (v.state === "offline") return "offline";
    }
  } catch {
    // not JSON: someone else's payload
  }
  return "other";
}

/**
 * The `bridge` check: is a bridge process connected for this base topic? `required` (the
 * `--quick` health check) makes anything but `online` a failure; otherwise it is informational.
 */
export function bridgeStateResult(
  base: string,
  seen: BridgeStateSeen,
  required: boolean,
): CheckResult {
  const topic = `${base}/bridge/state`;
  if (seen === "online") {
    return check("bridge", "ok", `a bridge is connected (${topic} is online)`, {
      details: { topic, state: seen },
    });
  }
  const summary =
    seen === "offline"
      ? `no bridge is connected (${topic} is offline: stopped, or its connection dropped)`
      : seen === "none"
        ? `no bridge has published ${topic} on this broker`
        : `${topic} holds an unexpected payload`;
  return check("bridge", required ? "fail" : "skip", summary, {
    fix: required ? ["see the bridge's log (docker compose logs qx10-mqtt)"] : [],
    details: { topic, state: seen },
  });
}

/** 0 when every check is `ok` or `skip`, 1 otherwise. */
export function exitCodeOf(results: readonly CheckResult[]): 0 | 1 {
  return results.every((r) => r.status === "ok" || r.status === "skip") ? 0 : 1;
}

const LABEL: Record<CheckStatus, string> = { ok: "OK  ", warn: "WARN", fail: "FAIL", skip: "SKIP" };

/**
 * Human report: one line per check (`OK   broker        connected to ...`), its fixes indented
 * below (`     fix: ...`, `     see: docs/network.md#...`), then a summary line.
 */
export function formatReport(results: readonly CheckResult[]): string[] {
  const width = Math.max(0, ...results.map((r) => r.id.length));
  const lines: string[] = [];
  for (const r of results) {
    lines.push(`${LABEL[r.status]} ${r.id.padEnd(width)}  ${r.summary}`);
    for (const f of r.fix) lines.push(`     fix: ${f}`);
    if (r.doc !== null && r.status !== "ok") lines.push(`     see: ${r.doc}`);
  }
  const count = (s: CheckStatus): number => results.filter((r) => r.status === s).length;
  lines.push(
    exitCodeOf(results) === 0
      ? `all checks passed (${count("ok")} ok, ${count("skip")} skipped)`
      : `${count("fail")} failed, ${count("warn")} warnings, ${count("ok")} ok, ${count("skip")} skipped`,
  );
  return lines;
}

/** The `--json` document: `{"ok":bool,"checks":[...]}`. */
export function reportJson(results: readonly CheckResult[]): string {
  return JSON.stringify({ ok: exitCodeOf(results) === 0, checks: results });
}

/** How the camera check failed: the BridgeError code and message `checks.ts` caught. */
export interface CameraFailure {
  /** The BridgeError code (`CAMERA_NOT_FOUND`, `CAMERA_TIMEOUT`, ...), or undefined for others. */
  code: string | undefined;
  message: string;
  /** camera.url, or null when SSDP was used. */
  cameraUrl: string | null;
  /** SSDP window, seconds (SSDP only). */
  searchSeconds: number;
  /** HTTP status or camera error code, when the camera answered. */
  cameraCode: number | undefined;
}

/** Turns a failed camera check into its result, with what to do by error code. */
export function cameraFailureResult(f: CameraFailure): CheckResult {
  const details = {
    camera_url: f.cameraUrl,
    code: f.code ?? null,
    camera_code: f.cameraCode ?? null,
  };
  const powerAndWifi = [
    "is the camera on? The QX10 switches itself off after a while without a connection (camera-api.md §6.10): press its power button",
    "is this machine on the camera's Wi-Fi (SSID DIRECT-xxxx:DSC-QX10)? `qx10-mqtt doctor` shows it in the camera-route line",
  ];
  if (f.code === "CAMERA_NOT_FOUND" && f.cameraUrl === null) {
    return check(
      "camera",
      "fail",
      `no camera answered the SSDP search within ${f.searchSeconds} s`,
      {
        fix: [
          ...powerAndWifi,
          "in Docker without host networking multicast does not reach the camera: use network_mode: host or set camera.url (QX10_CAMERA__URL=http://10.0.0.1:10000/sony)",
          "on a machine with several interfaces set camera.discovery.interface to this machine's address on the camera's Wi-Fi",
        ],
        doc: DOC.camera,
        details,
      },
    );
  }
  if (f.code === "CAMERA_TIMEOUT" || f.code === "CAMERA_UNREACHABLE") {
    return check(
      "camera",
      "fail",
      `the camera at ${f.cameraUrl ?? "(discovered)"} does not answer: ${f.message}`,
      {
        fix: powerAndWifi,
        doc: DOC.camera,
        details,
      },
    );
  }
  if (f.code === "CAMERA_HTTP") {
    return check(
      "camera",
      "fail",
      `the camera answered HTTP ${f.cameraCode ?? "?"}: ${f.message}`,
      {
        fix: [
          "check the path of camera.url: QX10/QX100 use http://10.0.0.1:10000/sony, RX100 II uses http://10.0.0.1:10000 (camera-api.md §1.4)",
          "or leave camera.url empty (null) to discover the camera with SSDP",
        ],
        doc: DOC.camera,
        details,
      },
    );
  }
  return check("camera", "fail", `camera check failed: ${f.message}`, {
    fix: powerAndWifi,
    doc: DOC.camera,
    details,
  });
}

/** The `camera` check's result when getVersions answered. */
export function cameraSuccessResult(
  model: string | null,
  endpoint: string,
  versions: readonly string[],
): CheckResult {
  return check(
    "camera",
    "ok",
    `${model ?? "camera"} answers at ${endpoint} (API versions ${versions.join(", ")})`,
    { details: { model, endpoint, versions: [...versions] } },
  );
}
