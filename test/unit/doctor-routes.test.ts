import { describe, expect, it } from "vitest";
import {
  defaultRoutes,
  describeRoute,
  formatIPv4,
  isLoopback,
  lookupRoute,
  parseIPv4,
  parseProcNetRoute,
  prefixLengthOf,
} from "../../src/doctor/routes.js";

const HEADER =
  "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT";

/** Rows as the kernel prints them on a little-endian machine (padding spaces at the end too). */
function table(...rows: string[]): string {
  return (
    [HEADER, ...rows.map((r) => `${r.split(" ").join("\t")}\t0\t0\t0                `)].join("\n") +
    "\n"
  );
}

// A Raspberry Pi done right: Ethernet to the LAN with the default route, Wi-Fi on the camera's
// network without one (docs/network.md).
const TWO_INTERFACES = table(
  "eth0 00000000 0101A8C0 0003 0 0 100 00000000",
  "eth0 0001A8C0 00000000 0001 0 0 100 00FFFFFF",
  "wlan0 0000000A 00000000 0001 0 0 600 00FFFFFF",
);

describe("parseProcNetRoute", () => {
  it("decodes little-endian hex addresses, masks, flags and metrics", () => {
    const { routes, problems } = parseProcNetRoute(TWO_INTERFACES);
    expect(problems).toEqual([]);
    expect(
      routes.map((r) => [
        r.iface,
        r.destination,
        r.gateway,
        r.mask,
        r.prefixLength,
        r.flags,
        r.metric,
      ]),
    ).toEqual([
      ["eth0", "0.0.0.0", "192.168.1.1", "0.0.0.0", 0, 3, 100],
      ["eth0", "192.168.1.0", "0.0.0.0", "255.255.255.0", 24, 1, 100],
      ["wlan0", "10.0.0.0", "0.0.0.0", "255.255.255.0", 24, 1, 600],
    ]);
    expect(routes[2]?.destinationInt).toBe(0x0a000000);
    expect(routes[2]?.maskInt).toBe(0xffffff00);
  });

  it("reads the table of a container (eth0 only) as the kernel prints it", () => {
    const text =
      "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT                                                       \n" +
      "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0                                                                               \n" +
      "eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0                                                                               \n";
    const { routes } = parseProcNetRoute(text);
    expect(routes.map(describeRoute)).toEqual([
      "default via 192.0.2.1 dev eth0",
      "192.0.2.0/24 dev eth0",
    ]);
  });

  it("reads big-endian tables when told", () => {
    const { routes } = parseProcNetRoute(table("eth0 C0A80100 00000000 0001 0 0 0 FFFFFF00"), "BE");
    expect(routes[0]?.destination).toBe("192.168.1.0");
    expect(routes[0]?.prefixLength).toBe(24);
  });

  it("reports malformed rows by line number and keeps the good ones", () => {
    const text = [
      HEADER,
      "eth0 00000000",
      "eth0 XYZ00000 00000000 0001 0 0 0 00FFFFFF",
      "eth0 0001A8C0 00000000 0001 0 0 0 00FF00FF",
      "eth0 0001A8C0 00000000 zz 0 0 0 00FFFFFF",
      "",
      "eth0 0001A8C0 00000000 0001 0 0 5 00FFFFFF",
    ].join("\n");
    const { routes, problems } = parseProcNetRoute(text);
    expect(problems).toEqual([
      "line 2: expected at least 8 fields",
      "line 3: an address is not 8 hex digits",
      "line 4: mask 255.0.255.0 is not contiguous",
      "line 5: bad flags or metric",
    ]);
    expect(routes).toHaveLength(1);
    expect(routes[0]?.metric).toBe(5);
  });

  it("returns nothing for an empty file", () => {
    expect(parseProcNetRoute("")).toEqual({ routes: [], problems: [] });
  });
});

describe("lookupRoute", () => {
  const { routes } = parseProcNetRoute(
    table(
      "eth0 00000000 0101A8C0 0003 0 0 100 00000000",
      "wlan0 00000000 0100000A 0003 0 0 600 00000000",
      "eth0 0001A8C0 00000000 0001 0 0 100 00FFFFFF",
      "wlan0 0000000A 00000000 0001 0 0 600 00FFFFFF",
      "wlan1 0000000A 00000000 0001 0 0 50 00FFFFFF",
      "eth0 3200000A 0101A8C0 0007 0 0 0 FFFFFFFF",
      "eth0 0000A8C0 00000000 0000 0 0 0 0000FFFF",
      "eth0 000010AC 00000000 0201 0 0 0 0000F0FF",
    ),
  );

  it("picks the longest prefix, then the lowest metric", () => {
    expect(lookupRoute(routes, "10.0.0.1")?.iface).toBe("wlan1");
    expect(lookupRoute(routes, "10.0.0.50")?.prefixLength).toBe(32);
    expect(lookupRoute(routes, "192.168.1.20")?.prefixLength).toBe(24);
    expect(lookupRoute(routes, "8.8.8.8")?.iface).toBe("eth0");
  });

  it("ignores routes that are down and fails on reject routes", () => {
    // 192.168.0.0/16 is not up: 192.168.7.1 falls through to the default route.
    expect(lookupRoute(routes, "192.168.7.1")?.prefixLength).toBe(0);
    expect(lookupRoute(routes, "172.16.3.4")).toBeNull();
  });

  it("can leave the default routes out", () => {
    expect(lookupRoute(routes, "8.8.8.8", { excludeDefault: true })).toBeNull();
    expect(lookupRoute(routes, "10.0.0.1", { excludeDefault: true })?.iface).toBe("wlan1");
  });

  it("returns null for something that is not an IPv4 address", () => {
    expect(lookupRoute(routes, "camera.local")).toBeNull();
    expect(lookupRoute(routes, "10.0.0.256")).toBeNull();
  });

  it("lists default routes best first", () => {
    expect(defaultRoutes(routes).map(describeRoute)).toEqual([
      "default via 192.168.1.1 dev eth0 metric 100",
      "default via 10.0.0.1 dev wlan0 metric 600",
    ]);
  });
});

describe("address helpers", () => {
  it("round-trips dotted quads", () => {
    for (const a of ["0.0.0.0", "10.0.0.1", "192.168.1.255", "255.255.255.255"]) {
      const v = parseIPv4(a);
      expect(v).not.toBeNull();
      expect(formatIPv4(v ?? -1)).toBe(a);
    }
    expect(parseIPv4("1.2.3")).toBeNull();
    expect(parseIPv4("300.1.1.1")).toBeNull();
  });

  it("computes prefix lengths of contiguous masks only", () => {
    expect(prefixLengthOf(0)).toBe(0);
    expect(prefixLengthOf(0xff000000)).toBe(8);
    expect(prefixLengthOf(0xffffffff)).toBe(32);
    expect(prefixLengthOf(0xff00ff00)).toBeNull();
  });

  it("knows loopback", () => {
    expect(isLoopback("127.0.0.1")).toBe(true);
    expect(isLoopback("127.255.0.9")).toBe(true);
    expect(isLoopback("128.0.0.1")).toBe(false);
  });
});
