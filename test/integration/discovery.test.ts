/**
 * Discovery over real loopback sockets: an SSDP responder on 127.0.0.1 (unicast, never the
 * multicast group) and an HTTP server serving the real dd.xml samples.
 */
import { afterEach, describe, expect, it } from "vitest";
import { parseDeviceDescription } from "../../src/camera/description.js";
import {
  discoverCameras,
  fetchDeviceDescription,
  resolveCamera,
  type DiscoveryOptions,
} from "../../src/camera/discover.js";
import {
  DgramSsdpSearcher,
  type SsdpResponse,
  type SsdpSearcher,
  type SsdpSearchOptions,
} from "../../src/camera/ssdp.js";
import { type CameraDescription } from "../../src/camera/types.js";
import { runDiscover } from "../../src/cli/discover.js";
import { startSimulator } from "../../src/sim/simulator.js";
import { type CliContext } from "../../src/cli/context.js";
import { type BridgeError, isBridgeError, type ErrorCode } from "../../src/errors.js";
import { haveFixtures, readFixture } from "../helpers/fixtures.js";
import {
  SCALAR_ST,
  startDescriptionServer,
  startSilentUdp,
  startSsdpResponder,
  type DescriptionServer,
  type Route,
  type SsdpAnswer,
  type SsdpResponder,
} from "../helpers/ssdp-responder.js";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function server(routes: Record<string, Route>): Promise<DescriptionServer> {
  const s = await startDescriptionServer(routes);
  closers.push(() => s.close());
  return s;
}

async function responder(
  answers: SsdpAnswer[],
  extra: { dropFirst?: number; repeat?: number } = {},
): Promise<SsdpResponder> {
  const r = await startSsdpResponder({ answers, ...extra });
  closers.push(() => r.close());
  return r;
}

async function silent(): Promise<SsdpResponder> {
  const r = await startSilentUdp();
  closers.push(() => r.close());
  return r;
}

const to = (r: SsdpResponder): DiscoveryOptions["target"] => ({
  address: "127.0.0.1",
  port: r.port,
});

async function errorOf(p: Promise<unknown>): Promise<BridgeError> {
  try {
    await p;
  } catch (e) {
    if (isBridgeError(e)) return e;
    throw e;
  }
  throw new Error("expected a rejection");
}

async function codeOf(p: Promise<unknown>): Promise<ErrorCode> {
  return (await errorOf(p)).code;
}

const mSearch = (port: number): string =>
  "M-SEARCH * HTTP/1.1\r\n" +
  `HOST: 127.0.0.1:${port}\r\n` +
  'MAN: "ssdp:discover"\r\n' +
  "MX: 1\r\n" +
  "ST: urn:schemas-sony-com:service:ScalarWebAPI:1\r\n" +
  "\r\n";

const fixture = (name: string): string =>
  haveFixtures ? readFixture(`ddxml/${name}`).toString("utf8") : "";

const NOT_A_CAMERA =
  '<?xml version="1.0"?><root xmlns="urn:schemas-upnp-org:device-1-0"><device><friendlyName>NAS</friendlyName></device></root>';

const fast = { timeoutMs: 250, intervalMs: 40 } as const;

describe.skipIf(!haveFixtures)("discoverCameras over loopback", () => {
  const qx100 = fixture("DSC-QX100.xml");

  it("sends the §1.1 M-SEARCH 3 times and collapses duplicate answers into one camera", async () => {
    const http = await server({ "/DmsRmtDesc.xml": { body: qx100 } });
    const location = `${http.origin}/DmsRmtDesc.xml`;
    const ssdp = await responder([{ location }], { repeat: 2 });

    const cameras = await discoverCameras({ target: to(ssdp), sends: 3, ...fast });

    expect(ssdp.received).toStrictEqual([
      mSearch(ssdp.port),
      mSearch(ssdp.port),
      mSearch(ssdp.port),
    ]);
    expect(cameras).toStrictEqual([parseDeviceDescription(qx100, location)]);
    expect(cameras[0]?.endpoints.camera).toBe("http://10.0.0.1:10000/sony/camera");
    expect(http.requests).toStrictEqual(["/DmsRmtDesc.xml"]);
  });

  it("sends exactly `sends` M-SEARCHes", async () => {
    const ssdp = await silent();
    expect(await discoverCameras({ target: to(ssdp), sends: 2, ...fast })).toStrictEqual([]);
    expect(ssdp.received).toStrictEqual([mSearch(ssdp.port), mSearch(ssdp.port)]);
  });

  it("finds a responder that drops the first M-SEARCH thanks to the resend", async () => {
    const http = await server({ "/dd.xml": { body: qx100 } });
    const ssdp = await responder([{ location: `${http.origin}/dd.xml` }], { dropFirst: 1 });
    const cameras = await discoverCameras({ target: to(ssdp), sends: 3, ...fast });
    expect(cameras.map((c) => c.udn)).toStrictEqual(["uuid:00000000-0005-0010-8000-1c994c993998"]);

    // The same responder with a single send finds nothing: the resend is what found it above.
    const lossy = await responder([{ location: `${http.origin}/dd.xml` }], { dropFirst: 1 });
    expect(await discoverCameras({ target: to(lossy), sends: 1, ...fast })).toStrictEqual([]);
    expect(lossy.received).toHaveLength(1);
  });

  it("ignores answers whose ST is not the one asked", async () => {
    const http = await server({ "/dd.xml": { body: qx100 } });
    const ssdp = await responder([
      { location: `${http.origin}/dd.xml`, st: "urn:schemas-upnp-org:device:MediaServer:1" },
    ]);
    expect(await discoverCameras({ target: to(ssdp), sends: 1, ...fast })).toStrictEqual([]);
    expect(ssdp.received).toHaveLength(1);
    expect(http.requests).toStrictEqual([]);
  });

  it("a responder is not answering another ST (searcher level)", async () => {
    const ssdp = await responder([{ location: "http://127.0.0.1:1/dd.xml" }]);
    const searcher = new DgramSsdpSearcher();
    const options: SsdpSearchOptions = {
      st: SCALAR_ST,
      target: { address: "127.0.0.1", port: ssdp.port },
      sends: 1,
      intervalMs: 0,
      timeoutMs: 300,
    };
    const collect = async (o: SsdpSearchOptions): Promise<SsdpResponse[]> => {
      const out: SsdpResponse[] = [];
      for await (const r of searcher.search(o)) out.push(r);
      return out;
    };
    expect(await collect({ ...options, st: "urn:example:other:1" })).toStrictEqual([]);
    const found = await collect(options);
    expect(found.map((r) => [r.location, r.st, r.from.address])).toStrictEqual([
      ["http://127.0.0.1:1/dd.xml", SCALAR_ST, "127.0.0.1"],
    ]);
    expect(found[0]?.usn).toBe(`uuid:00000000-0005-0010-8000-000000000000::${SCALAR_ST}`);
  });

  it("falls back to LOCATION to dedupe answers without USN", async () => {
    const http = await server({ "/dd.xml": { body: qx100 } });
    const ssdp = await responder([{ location: `${http.origin}/dd.xml`, usn: null }], {
      repeat: 3,
    });
    const seen: SsdpResponse[] = [];
    for await (const r of new DgramSsdpSearcher().search({
      st: SCALAR_ST,
      target: { address: "127.0.0.1", port: ssdp.port },
      sends: 2,
      intervalMs: 20,
      timeoutMs: 300,
    })) {
      seen.push(r);
    }
    expect(seen.map((r) => [r.location, r.usn])).toStrictEqual([[`${http.origin}/dd.xml`, null]]);
  });

  it("no responder: empty result after the timeout, and resolveCamera is CAMERA_NOT_FOUND", async () => {
    const ssdp = await silent();
    expect(await discoverCameras({ target: to(ssdp), sends: 1, ...fast })).toStrictEqual([]);
    const e = await errorOf(resolveCamera({ target: to(ssdp), sends: 1, ...fast }));
    expect(e.code).toBe("CAMERA_NOT_FOUND");
    expect(e.context).toMatchObject({ timeoutMs: 250, target: `127.0.0.1:${ssdp.port}` });
  });

  it("GETs the LOCATION verbatim (odd query string untouched)", async () => {
    const path = "/liveview.xml?%211234%21http%2dget%3a%2a%3aimage%2fjpeg%3a%2a%21'a'|{b}^~";
    // A WHATWG URL parser would rewrite it, so this checks that nothing re-encodes the LOCATION.
    const reparsed = new URL(`http://127.0.0.1${path}`);
    expect(reparsed.pathname + reparsed.search).not.toBe(path);

    const http = await server({ [path]: { body: qx100 } });
    const ssdp = await responder([{ location: `${http.origin}${path}` }]);
    const cameras = await discoverCameras({ target: to(ssdp), sends: 1, ...fast });
    expect(http.requests).toStrictEqual([path]);
    expect(cameras.map((c) => c.location)).toStrictEqual([`${http.origin}${path}`]);
  });

  it("abort: rejects ABORTED during the search, and at once when already aborted", async () => {
    const ssdp = await silent();
    const controller = new AbortController();
    const t = setTimeout(() => {
      controller.abort();
    }, 100);
    const e = await errorOf(
      discoverCameras({ target: to(ssdp), sends: 3, timeoutMs: 30_000, signal: controller.signal }),
    );
    clearTimeout(t);
    expect(e.code).toBe("ABORTED");

    expect(await codeOf(discoverCameras({ target: to(ssdp), signal: AbortSignal.abort() }))).toBe(
      "ABORTED",
    );
    expect(await codeOf(resolveCamera({ target: to(ssdp), signal: AbortSignal.abort() }))).toBe(
      "ABORTED",
    );
  });

  it("abort during a slow description GET rejects ABORTED", async () => {
    const http = await server({ "/dd.xml": { body: qx100, delayMs: 20_000 } });
    const ssdp = await responder([{ location: `${http.origin}/dd.xml` }]);
    const controller = new AbortController();
    const done = discoverCameras({
      target: to(ssdp),
      sends: 1,
      timeoutMs: 100,
      signal: controller.signal,
    });
    while (http.requests.length === 0) await new Promise((r) => setTimeout(r, 10));
    controller.abort();
    expect(await codeOf(done)).toBe("ABORTED");
  });

  it("skips and reports failing descriptions; keeps the good one", async () => {
    const http = await server({
      "/ok.xml": { body: fixture("HDR-AS30V.xml") },
      "/nas.xml": { body: NOT_A_CAMERA },
      "/bad.xml": { body: "<root><device>" },
    });
    const ssdp = await responder([
      { location: `${http.origin}/missing.xml` },
      { location: `${http.origin}/nas.xml` },
      { location: `${http.origin}/bad.xml` },
      { location: `${http.origin}/ok.xml` },
    ]);
    const failures: [ErrorCode, number | undefined, string][] = [];
    const cameras = await discoverCameras({
      target: to(ssdp),
      sends: 1,
      ...fast,
      onDescriptionError: (e, location) => failures.push([e.code, e.cameraCode, location]),
    });
    expect(cameras.map((c) => c.friendlyName)).toStrictEqual(["HDR-AS30V"]);
    expect(failures.sort((a, b) => a[2].localeCompare(b[2]))).toStrictEqual([
      ["CAMERA_DESCRIPTION", undefined, `${http.origin}/bad.xml`],
      ["CAMERA_HTTP", 404, `${http.origin}/missing.xml`],
      ["CAMERA_NOT_FOUND", undefined, `${http.origin}/nas.xml`],
    ]);
  });

  it("one GET per LOCATION, one camera per UDN", async () => {
    const http = await server({ "/a.xml": { body: qx100 }, "/b.xml": { body: qx100 } });
    const ssdp = await responder([
      { location: `${http.origin}/a.xml`, usn: "uuid:1::x" },
      { location: `${http.origin}/a.xml`, usn: "uuid:1::y" },
      { location: `${http.origin}/b.xml`, usn: "uuid:1::z" },
    ]);
    const cameras = await discoverCameras({ target: to(ssdp), sends: 1, ...fast });
    expect(cameras).toHaveLength(1);
    expect(http.requests.sort()).toStrictEqual(["/a.xml", "/b.xml"]);
  });

  it("binds to a chosen local address; a foreign address is CAMERA_UNREACHABLE", async () => {
    const http = await server({ "/dd.xml": { body: qx100 } });
    const ssdp = await responder([{ location: `${http.origin}/dd.xml` }]);
    const cameras = await discoverCameras({
      target: to(ssdp),
      bindAddress: "127.0.0.1",
      sends: 1,
      ...fast,
    });
    expect(cameras).toHaveLength(1);
    // A socket bound to loopback cannot send to a non-local address (EINVAL before anything
    // leaves the host): the first send failing is CAMERA_UNREACHABLE.
    expect(
      await codeOf(
        discoverCameras({
          target: { address: "198.51.100.1", port: 1900 },
          bindAddress: "127.0.0.1",
          ...fast,
        }),
      ),
    ).toBe("CAMERA_UNREACHABLE");
    // TEST-NET-3, never assigned to this host: bind fails with EADDRNOTAVAIL.
    expect(
      await codeOf(discoverCameras({ target: to(ssdp), bindAddress: "203.0.113.7", ...fast })),
    ).toBe("CAMERA_UNREACHABLE");
  });
});

describe.skipIf(!haveFixtures)("resolveCamera", () => {
  const hx400 = fixture("DSC-HX400V.xml");

  it("without a URL returns the first camera and stops the search", async () => {
    const http = await server({ "/scalarwebapi_dd.xml": { body: hx400 } });
    const ssdp = await responder([{ location: `${http.origin}/scalarwebapi_dd.xml` }]);
    let ending = "running";
    const inner = new DgramSsdpSearcher();
    const spy: SsdpSearcher = {
      async *search(o) {
        try {
          yield* inner.search(o);
          ending = "timeout";
        } finally {
          if (ending === "running") ending = "stopped early";
        }
      },
    };
    const d = await resolveCamera({
      target: to(ssdp),
      searcher: spy,
      timeoutMs: 30_000,
      intervalMs: 10_000,
    });
    expect(d.friendlyName).toBe("DSC-HX400V");
    expect(d.location).toBe(`${http.origin}/scalarwebapi_dd.xml`);
    expect(ending).toBe("stopped early");
  });

  it("skips a failing description and takes the next camera", async () => {
    const http = await server({ "/ok.xml": { body: hx400 } });
    const ssdp = await responder([
      { location: `${http.origin}/gone.xml` },
      { location: `${http.origin}/ok.xml` },
    ]);
    const failed: string[] = [];
    const d = await resolveCamera({
      target: to(ssdp),
      sends: 1,
      ...fast,
      onDescriptionError: (_e, location) => failed.push(location),
    });
    expect(d.udn).toBe("uuid:000000001000-1010-8000-B272BF3A6A3F");
    expect(failed).toStrictEqual([`${http.origin}/gone.xml`]);
  });

  it("CAMERA_NOT_FOUND carries the last description failure as cause", async () => {
    const http = await server({});
    const ssdp = await responder([{ location: `${http.origin}/gone.xml` }]);
    const e = await errorOf(resolveCamera({ target: to(ssdp), sends: 1, ...fast }));
    expect(e.code).toBe("CAMERA_NOT_FOUND");
    expect(isBridgeError(e.cause, "CAMERA_HTTP")).toBe(true);
  });

  it("fixed .xml URL: fetched verbatim and parsed, no SSDP", async () => {
    const http = await server({ "/DmsRmtDesc.XML?x=%2d": { body: fixture("HDR-AS30V.xml") } });
    const url = `${http.origin}/DmsRmtDesc.XML?x=%2d`;
    const d = await resolveCamera({ cameraUrl: url, target: { address: "127.0.0.1", port: 9 } });
    expect(d).toStrictEqual(parseDeviceDescription(fixture("HDR-AS30V.xml"), url));
    expect(http.requests).toStrictEqual(["/DmsRmtDesc.XML?x=%2d"]);
  });

  it("fixed .xml URL answering 404 is CAMERA_HTTP", async () => {
    const http = await server({});
    const e = await errorOf(resolveCamera({ cameraUrl: `${http.origin}/dd.xml` }));
    expect([e.code, e.cameraCode]).toStrictEqual(["CAMERA_HTTP", 404]);
  });

  it.each([
    ["http://10.0.0.1:10000/sony", "http://10.0.0.1:10000/sony"],
    ["http://10.0.0.1:10000/sony/", "http://10.0.0.1:10000/sony"],
    ["http://10.0.0.1:10000/sony/camera", "http://10.0.0.1:10000/sony"],
    ["http://192.168.122.1:8080/sony/system", "http://192.168.122.1:8080/sony"],
  ])("fixed base or endpoint URL %s → endpoints under %s, no I/O", async (url, base) => {
    const d = await resolveCamera({ cameraUrl: url, target: { address: "127.0.0.1", port: 9 } });
    expect(d).toStrictEqual<CameraDescription>({
      location: null,
      deviceType: null,
      friendlyName: null,
      manufacturer: null,
      modelName: null,
      udn: null,
      apiVersion: null,
      endpoints: {
        camera: `${base}/camera`,
        system: `${base}/system`,
        guide: `${base}/guide`,
        accessControl: `${base}/accessControl`,
        avContent: `${base}/avContent`,
      },
      liveviewUrl: null,
      defaultFunction: null,
    });
  });

  it("a malformed fixed URL is USAGE", async () => {
    expect(await codeOf(resolveCamera({ cameraUrl: "10.0.0.1:10000/sony" }))).toBe("USAGE");
  });
});

describe.skipIf(!haveFixtures)("fetchDeviceDescription failures", () => {
  it("oversize body, bad UTF-8, slow server, refused connection", async () => {
    const big = `<root>${" ".repeat(300 * 1024)}</root>`;
    const http = await server({
      "/big.xml": { body: big },
      "/latin1.xml": { body: Buffer.from([0x3c, 0x72, 0x3e, 0xe9, 0x3c, 0x2f, 0x72, 0x3e]) },
      "/slow.xml": { body: "<root/>", delayMs: 5_000 },
    });
    expect(await codeOf(fetchDeviceDescription(`${http.origin}/big.xml`))).toBe(
      "CAMERA_DESCRIPTION",
    );
    expect(await codeOf(fetchDeviceDescription(`${http.origin}/big.xml`, { maxBytes: 1000 }))).toBe(
      "CAMERA_DESCRIPTION",
    );
    expect(await codeOf(fetchDeviceDescription(`${http.origin}/latin1.xml`))).toBe(
      "CAMERA_DESCRIPTION",
    );
    expect(
      await codeOf(fetchDeviceDescription(`${http.origin}/slow.xml`, { timeoutMs: 150 })),
    ).toBe("CAMERA_TIMEOUT");

    const closed = await startDescriptionServer({});
    const port = closed.port;
    await closed.close();
    expect(await codeOf(fetchDeviceDescription(`http://127.0.0.1:${port}/dd.xml`))).toBe(
      "CAMERA_UNREACHABLE",
    );
  });
});

describe.skipIf(!haveFixtures)("runDiscover (CLI)", () => {
  function context(): CliContext & { lines: string[]; errors: string[] } {
    const lines: string[] = [];
    const errors: string[] = [];
    return {
      signal: new AbortController().signal,
      out: (l) => lines.push(l),
      err: (l) => errors.push(l),
      env: {},
      lines,
      errors,
    };
  }

  it("prints one JSON line per camera", async () => {
    const http = await server({ "/DmsRmtDesc.xml": { body: fixture("DSC-QX100.xml") } });
    const ssdp = await responder([{ location: `${http.origin}/DmsRmtDesc.xml` }], { repeat: 2 });
    const ctx = context();
    const code = await runDiscover(
      ["--target", `127.0.0.1:${ssdp.port}`, "--timeout", "0.4", "--interface", "127.0.0.1"],
      ctx,
    );
    expect(code).toBe(0);
    expect(ctx.lines.map((l) => JSON.parse(l) as unknown)).toStrictEqual([
      {
        model: "DSC-QX100",
        udn: "uuid:00000000-0005-0010-8000-1c994c993998",
        location: `${http.origin}/DmsRmtDesc.xml`,
        endpoints: {
          guide: "http://10.0.0.1:10000/sony/guide",
          system: "http://10.0.0.1:10000/sony/system",
          accessControl: "http://10.0.0.1:10000/sony/accessControl",
          camera: "http://10.0.0.1:10000/sony/camera",
        },
        liveview_url:
          "http://10.0.0.1:60152/liveview.JPG?%211234%21http%2dget%3a%2a%3aimage%2fjpeg%3a%2a%21%21%21%21%21",
      },
    ]);
    expect(ctx.errors).toStrictEqual([]);
    expect(ssdp.received).toHaveLength(3);
  });

  it("none found: message on stderr, exit 1", async () => {
    const ssdp = await silent();
    const ctx = context();
    expect(await runDiscover(["--target", `127.0.0.1:${ssdp.port}`, "--timeout", "0.3"], ctx)).toBe(
      1,
    );
    expect(ctx.lines).toStrictEqual([]);
    expect(ctx.errors).toHaveLength(1);
    expect(ctx.errors[0]).toMatch(/no camera found/);
  });

  it("bad options are USAGE errors", async () => {
    for (const argv of [
      ["--target", "localhost"],
      ["--target", "127.0.0.1:0"],
      ["--timeout", "x"],
      ["--timeout", "0"],
      ["--interface", "no-such-interface-42"],
      ["--bogus"],
    ]) {
      expect(await codeOf(runDiscover(argv, context())), argv.join(" ")).toBe("USAGE");
    }
  });
});

describe("against the simulator (independent SSDP + dd.xml implementation)", () => {
  it.each(["qx10", "smart-remote"] as const)(
    "%s is discovered with its endpoints",
    async (model) => {
      const sim = await startSimulator({ model, ssdp: true });
      closers.push(() => sim.close());
      const ssdp = sim.urls.ssdp;
      expect(ssdp).toBeDefined();
      const cameras = await discoverCameras({
        target: { address: "127.0.0.1", port: ssdp?.port ?? 0 },
        sends: 2,
        ...fast,
      });
      expect(cameras).toHaveLength(1);
      const [camera] = cameras;
      expect(camera?.location).toBe(sim.urls.ddXml);
      expect(camera?.friendlyName).toBe(model === "qx10" ? "DSC-QX10" : "DSC-HX400V");
      expect(camera?.endpoints).toStrictEqual(sim.urls.endpoints);
    },
  );
});
