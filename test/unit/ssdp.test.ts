import { networkInterfaces } from "node:os";
import { describe, expect, it } from "vitest";
import { discoverCameras } from "../../src/camera/discover.js";
import {
  buildMSearch,
  DgramSsdpSearcher,
  resolveBindAddress,
  SCALAR_WEBAPI_ST,
  SSDP_MULTICAST_TARGET,
  type SsdpResponse,
  type SsdpSearcher,
  type SsdpSearchOptions,
} from "../../src/camera/ssdp.js";
import { isBridgeError, type ErrorCode } from "../../src/errors.js";

describe("buildMSearch (§1.1)", () => {
  it("is the DG120 request for the multicast group", () => {
    expect(buildMSearch({ target: SSDP_MULTICAST_TARGET, st: SCALAR_WEBAPI_ST })).toBe(
      "M-SEARCH * HTTP/1.1\r\n" +
        "HOST: 239.255.255.250:1900\r\n" +
        'MAN: "ssdp:discover"\r\n' +
        "MX: 1\r\n" +
        "ST: urn:schemas-sony-com:service:ScalarWebAPI:1\r\n" +
        "\r\n",
    );
  });

  it("adds USER-AGENT and another MX when asked; HOST follows a unicast target", () => {
    expect(
      buildMSearch({
        target: { address: "127.0.0.1", port: 40000 },
        st: SCALAR_WEBAPI_ST,
        mx: 2,
        userAgent: "Linux/6 UPnP/1.1 qx10-mqtt/0.1",
      }),
    ).toBe(
      'M-SEARCH * HTTP/1.1\r\nHOST: 127.0.0.1:40000\r\nMAN: "ssdp:discover"\r\nMX: 2\r\n' +
        "ST: urn:schemas-sony-com:service:ScalarWebAPI:1\r\nUSER-AGENT: Linux/6 UPnP/1.1 qx10-mqtt/0.1\r\n\r\n",
    );
  });
});

describe("DgramSsdpSearcher option checks (before any socket)", () => {
  const base: SsdpSearchOptions = {
    st: SCALAR_WEBAPI_ST,
    target: { address: "127.0.0.1", port: 1900 },
    sends: 3,
    intervalMs: 100,
    timeoutMs: 1000,
  };
  async function codeOf(o: SsdpSearchOptions): Promise<ErrorCode | "no error"> {
    try {
      for await (const _ of new DgramSsdpSearcher().search(o)) break;
      return "no error";
    } catch (e) {
      if (isBridgeError(e)) return e.code;
      throw e;
    }
  }
  it.each<[string, Partial<SsdpSearchOptions>]>([
    ["hostname target", { target: { address: "localhost", port: 1900 } }],
    ["port 0", { target: { address: "127.0.0.1", port: 0 } }],
    ["0 sends", { sends: 0 }],
    ["11 sends", { sends: 11 }],
    ["negative interval", { intervalMs: -1 }],
    ["zero timeout", { timeoutMs: 0 }],
    ["NaN timeout", { timeoutMs: Number.NaN }],
    ["interface name as bind address", { bindAddress: "wlan0" }],
    ["header injection", { st: "x\r\nMAN: y" }],
  ])("%s → CONFIG_INVALID", async (_name, patch) => {
    expect(await codeOf({ ...base, ...patch })).toBe("CONFIG_INVALID");
  });

  it("an already aborted signal → ABORTED", async () => {
    expect(await codeOf({ ...base, signal: AbortSignal.abort() })).toBe("ABORTED");
  });
});

describe("resolveBindAddress", () => {
  it("passes IPv4 addresses through", () => {
    expect(resolveBindAddress("192.168.122.10")).toBe("192.168.122.10");
  });
  it("maps an interface name to its first IPv4 address", () => {
    const withV4 = Object.entries(networkInterfaces()).find(([, list]) =>
      (list ?? []).some((a) => a.family === "IPv4"),
    );
    expect(withV4).toBeDefined();
    const [name, list] = withV4 ?? ["", []];
    expect(resolveBindAddress(name)).toBe((list ?? []).find((a) => a.family === "IPv4")?.address);
  });
  it("refuses unknown names with USAGE", () => {
    let code: string | undefined;
    try {
      resolveBindAddress("no-such-interface-42");
    } catch (e) {
      code = isBridgeError(e) ? e.code : "other";
    }
    expect(code).toBe("USAGE");
  });
});

describe("discoverCameras with an injected searcher", () => {
  it("passes the search options through and reports unusable LOCATIONs", async () => {
    const calls: SsdpSearchOptions[] = [];
    const fake: SsdpSearcher = {
      async *search(o) {
        calls.push(o);
        await Promise.resolve();
        const r: SsdpResponse = {
          location: "http://[not-a-host/dd.xml",
          st: o.st,
          usn: null,
          server: null,
          headers: {},
          from: { address: "10.0.0.1", port: 1900 },
        };
        yield r;
      },
    };
    const failures: [ErrorCode, string][] = [];
    const cameras = await discoverCameras({
      searcher: fake,
      timeoutMs: 2000,
      bindAddress: "10.0.0.2",
      onDescriptionError: (e, location) => failures.push([e.code, location]),
    });
    expect(cameras).toStrictEqual([]);
    expect(failures).toStrictEqual([["CAMERA_DESCRIPTION", "http://[not-a-host/dd.xml"]]);
    expect(calls).toStrictEqual([
      {
        st: SCALAR_WEBAPI_ST,
        target: { address: "239.255.255.250", port: 1900 },
        sends: 3,
        intervalMs: 500,
        timeoutMs: 2000,
        signal: undefined,
        bindAddress: "10.0.0.2",
      },
    ]);
  });
});
