import { createServer } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CameraClient, DEFAULT_TIMEOUTS, defaultTimeoutMs } from "../../src/camera/client.js";
import { descriptionFromCameraUrl } from "../../src/camera/description.js";
import { BridgeError } from "../../src/errors.js";
import {
  ok,
  rpcError,
  startRpcServer,
  type Handler,
  type RpcTestServer,
} from "../helpers/rpc-server.js";

let server: RpcTestServer;
let client: CameraClient;

async function start(handler: Handler, options: { maxResponseBytes?: number } = {}) {
  server = await startRpcServer(handler);
  client = new CameraClient({
    endpoints: descriptionFromCameraUrl(server.baseUrl).endpoints,
    ...options,
  });
}

afterEach(async () => {
  await client.close();
  await server.close();
});

/** The BridgeError a promise rejects with (fails the test when it resolves). */
async function failure(p: Promise<unknown>): Promise<BridgeError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof BridgeError) return e;
    throw new Error(`expected a BridgeError, got ${String(e)}`, { cause: e });
  }
  throw new Error("expected a rejection");
}

/** A port on 127.0.0.1 that nothing listens on (listened on once, then closed). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const address = s.address();
  await new Promise<void>((resolve) => {
    s.close(() => {
      resolve();
    });
  });
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

describe("CameraClient.call over HTTP", () => {
  it("posts the envelope to <base>/<service> and returns the result array", async () => {
    await start((r) => ok(r, [["1.0", "1.1"]]));
    await expect(client.call("camera", "getVersions")).resolves.toEqual([["1.0", "1.1"]]);
    await expect(client.call("system", "getMethodTypes", ["1.0"], "1.0")).resolves.toEqual([
      ["1.0", "1.1"],
    ]);
    const [first, second] = server.requests;
    expect(first?.httpMethod).toBe("POST");
    expect(first?.url).toBe("/sony/camera");
    expect(first?.headers["content-type"]).toBe("application/json");
    // One request per connection, as the cameras do (camera-api.md §2.2).
    expect(first?.headers.connection).toBe("close");
    expect(first?.json).toEqual({
      method: "getVersions",
      params: [],
      id: first?.id,
      version: "1.0",
    });
    expect(first?.id).toBeGreaterThanOrEqual(1);
    expect(second?.url).toBe("/sony/system");
    expect(second?.json).toEqual({
      method: "getMethodTypes",
      params: ["1.0"],
      id: second?.id,
      version: "1.0",
    });
    expect(second?.id).not.toBe(first?.id);
  });

  it("sends the given params and version", async () => {
    await start((r) => ok(r, [0]));
    await client.call("camera", "actZoom", ["in", "1shot"]);
    await client.call("camera", "getEvent", [false], "1.1");
    expect(
      server.requests.map((r) => [r.method, r.params, (r.json as { version: string }).version]),
    ).toEqual([
      ["actZoom", ["in", "1shot"], "1.0"],
      ["getEvent", [false], "1.1"],
    ]);
  });

  it("accepts getMethodTypes' results member and \\/ escapes", async () => {
    await start((r) =>
      r.method === "getMethodTypes"
        ? { kind: "json", body: { id: r.id, results: [["getEvent", ["bool"], ["*"], "1.0"]] } }
        : {
            kind: "raw",
            body: `{"result":["http:\\/\\/127.0.0.1\\/liveview\\/liveviewstream"],"id":${String(r.id)}}`,
          },
    );
    await expect(client.call("camera", "getMethodTypes", ["1.0"])).resolves.toEqual([
      ["getEvent", ["bool"], ["*"], "1.0"],
    ]);
    await expect(client.call("camera", "startLiveview")).resolves.toEqual([
      "http://127.0.0.1/liveview/liveviewstream",
    ]);
  });

  const cameraCodes = [
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 40400, 40401, 40402, 40403, 41003,
  ];
  it(`maps every camera error class to CAMERA_RPC with the code (${cameraCodes.length} codes)`, async () => {
    await start((r) => rpcError(r, Number((r.params as unknown[])[0]), "Any"));
    for (const code of cameraCodes) {
      const e = await failure(client.call("camera", "echo", [code]));
      expect([e.code, e.cameraCode]).toEqual(["CAMERA_RPC", code]);
    }
  });

  it("maps HTTP 403 (QX10 private method) to CAMERA_HTTP 403 with the body's message", async () => {
    await start(() => ({
      kind: "json",
      status: 403,
      body: { id: 1, error: [403, "getAvailableCameraFunction"] },
    }));
    const e = await failure(client.call("camera", "getAvailableCameraFunction"));
    expect([e.code, e.cameraCode]).toEqual(["CAMERA_HTTP", 403]);
    expect(e.message).toContain('"getAvailableCameraFunction"');
  });

  it.each([
    [404, { kind: "json", status: 404, body: { error: [404, "Not Found"] } }],
    [500, { kind: "raw", status: 500, body: "Set operation failed.", contentType: "text/plain" }],
    [501, { kind: "json", status: 501, body: { error: [501, "Not Implemented"] } }],
    [503, { kind: "raw", status: 503, body: "" }],
  ] as const)("maps HTTP %i to CAMERA_HTTP with the status", async (status, reply) => {
    await start(() => reply);
    const e = await failure(client.call("camera", "getVersions"));
    expect([e.code, e.cameraCode]).toEqual(["CAMERA_HTTP", status]);
  });

  it("maps a non-JSON, wrong-id or result-less 200 reply to CAMERA_PROTOCOL", async () => {
    const replies: Handler[] = [
      () => ({ kind: "raw", body: "<html>ok</html>" }),
      () => ({ kind: "json", body: { id: 999_999, result: [0] } }),
      (r) => ({ kind: "json", body: { id: r.id, result: { not: "an array" } } }),
      () => ({ kind: "json", body: [0] }),
    ];
    let i = 0;
    await start((r) => {
      const reply = replies[i++];
      if (reply === undefined) throw new Error("unexpected");
      return reply(r);
    });
    for (const _ of replies) {
      const e = await failure(client.call("camera", "getVersions"));
      expect(e.code).toBe("CAMERA_PROTOCOL");
    }
  });

  it("times out a server that never answers with CAMERA_TIMEOUT, and releases the socket", async () => {
    await start(() => ({ kind: "hang" }));
    const e = await failure(client.call("camera", "getEvent", [true], "1.0", { timeoutMs: 200 }));
    expect(e.code).toBe("CAMERA_TIMEOUT");
    expect(e.message).toContain("200 ms");
    expect(await server.waitForIdle()).toBe(true);
  });

  it("applies the per-method default timeouts when the call gives none", async () => {
    server = await startRpcServer(() => ({ kind: "hang" }));
    const endpoints = descriptionFromCameraUrl(server.baseUrl).endpoints;
    client = new CameraClient({ endpoints, timeouts: { defaultMs: 150, longPollMs: 60_000 } });
    const quick = await failure(client.call("camera", "getEvent", [false]));
    expect([quick.code, quick.message.includes("150 ms")]).toEqual(["CAMERA_TIMEOUT", true]);
    await client.close();
    client = new CameraClient({ endpoints, timeouts: { defaultMs: 60_000, longPollMs: 150 } });
    const poll = await failure(client.call("camera", "getEvent", [true]));
    expect([poll.code, poll.message.includes("150 ms")]).toEqual(["CAMERA_TIMEOUT", true]);
  });

  it("maps a closed port to CAMERA_UNREACHABLE", async () => {
    await start((r) => ok(r, [0]));
    const port = await closedPort();
    const other = new CameraClient({
      endpoints: descriptionFromCameraUrl(`http://127.0.0.1:${port}/sony`).endpoints,
    });
    try {
      const e = await failure(other.call("camera", "getVersions"));
      expect(e.code).toBe("CAMERA_UNREACHABLE");
    } finally {
      await other.close();
    }
  });

  it("maps a connection dropped before any answer to CAMERA_UNREACHABLE", async () => {
    await start(() => ({ kind: "destroy" }));
    const e = await failure(client.call("camera", "getVersions"));
    expect(e.code).toBe("CAMERA_UNREACHABLE");
  });

  it("maps a reset in the middle of the body to CAMERA_UNREACHABLE", async () => {
    await start(() => ({
      kind: "reset-mid-body",
      declaredBytes: 500,
      bytes: Buffer.from('{"id":1,"result":[["getMethodTypes","getAvailableApiList"'),
    }));
    const e = await failure(client.call("camera", "getAvailableApiList"));
    expect(e.code).toBe("CAMERA_UNREACHABLE");
  });

  it("refuses an oversize body (declared length) with CAMERA_PROTOCOL and closes it", async () => {
    await start((r) => ok(r, ["x".repeat(4096)]), { maxResponseBytes: 1024 });
    const e = await failure(client.call("camera", "getVersions"));
    expect(e.code).toBe("CAMERA_PROTOCOL");
    expect(await server.waitForIdle()).toBe(true);
  });

  it("refuses an oversize chunked body with CAMERA_PROTOCOL and closes it", async () => {
    const piece = Buffer.alloc(64 * 1024, 0x20);
    await start(() => ({ kind: "chunked", chunks: Array.from({ length: 40 }, () => piece) }));
    // 2.5 MiB of spaces: over the 1 MiB default, and never valid JSON-RPC anyway.
    const e = await failure(client.call("camera", "getVersions"));
    expect(e.code).toBe("CAMERA_PROTOCOL");
    expect(e.message).toContain("larger than 1048576 bytes");
    expect(await server.waitForIdle()).toBe(true);
  });

  it("destroys the socket of a body that would never end once it passes the cap", async () => {
    // Only the client can end this connection: the server keeps writing until it is gone.
    await start(() => ({ kind: "endless", chunk: Buffer.alloc(16 * 1024, 0x20) }), {
      maxResponseBytes: 256 * 1024,
    });
    const e = await failure(client.call("camera", "getVersions"));
    expect(e.code).toBe("CAMERA_PROTOCOL");
    expect(await server.waitForIdle()).toBe(true);
    // (After an aborted exchange undici may open one spare idle connection; it closes within the
    // client's 100 ms keep-alive timeout, which waitForIdle covers.)
    expect(server.requests).toHaveLength(1);
  });

  it("rejects with ABORTED when the caller aborts, and at once for an aborted signal", async () => {
    await start(() => ({ kind: "hang" }));
    const controller = new AbortController();
    const pending = client.call("camera", "actTakePicture", [], "1.0", {
      signal: controller.signal,
    });
    // Abort once the request has reached the server.
    while (server.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    expect((await failure(pending)).code).toBe("ABORTED");
    expect(
      (
        await failure(
          client.call("camera", "getVersions", [], "1.0", { signal: controller.signal }),
        )
      ).code,
    ).toBe("ABORTED");
    expect(server.requests).toHaveLength(1);
    expect(await server.waitForIdle()).toBe(true);
  });

  it("fails with CAMERA_NOT_FOUND for a service without an endpoint", async () => {
    await start((r) => ok(r, [0]));
    const partial = new CameraClient({ endpoints: { camera: `${server.baseUrl}/camera` } });
    try {
      const e = await failure(partial.call("avContent", "getSchemeList"));
      expect(e.code).toBe("CAMERA_NOT_FOUND");
      expect(server.requests).toHaveLength(0);
    } finally {
      await partial.close();
    }
  });

  it("makes many sequential calls, one connection each, and leaks none", async () => {
    await start((r) => ok(r, [r.id]));
    const n = 60;
    for (let i = 0; i < n; i++) {
      const [echoed] = await client.call("camera", "getEvent", [false]);
      expect(echoed).toBe(server.requests[i]?.id);
    }
    const ids = server.requests.map((r) => r.id as number);
    expect(new Set(ids).size).toBe(n);
    expect(Math.min(...ids)).toBeGreaterThanOrEqual(1);
    expect(await server.waitForIdle()).toBe(true);
    expect(server.connections.opened).toBe(n);
    expect(server.connections.closed).toBe(n);
  });

  it("close() aborts calls in flight, is idempotent, and later calls fail with ABORTED", async () => {
    await start(() => ({ kind: "hang" }));
    const pending = client.call("camera", "getEvent", [true]);
    while (server.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    const outcome = failure(pending);
    const closed = client.close();
    expect(client.close()).toBe(closed);
    await closed;
    expect((await outcome).code).toBe("ABORTED");
    expect((await failure(client.call("camera", "getVersions"))).code).toBe("ABORTED");
    expect(await server.waitForIdle()).toBe(true);
  });
});

describe("CameraClient.download", () => {
  const dlna = "?%211234%21http%2dget%3a%2a%3aimage%2fjpeg%3a%2a%21%21%21%21%21";
  const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 0xff, 0xd9]);

  beforeEach(async () => {
    await start((r) =>
      r.url.startsWith("/pict")
        ? { kind: "raw", body: jpeg, contentType: "image/jpeg" }
        : { kind: "raw", status: 404, body: "Not Found" },
    );
  });

  it("GETs the postview URL verbatim (DLNA query string) and returns bytes + content type", async () => {
    const url = `${server.origin}/pict140318_1624510000.JPG${dlna}`;
    const got = await client.download(url);
    expect(got.bytes.equals(jpeg)).toBe(true);
    expect(got.contentType).toBe("image/jpeg");
    expect(server.requests[0]?.httpMethod).toBe("GET");
    expect(server.requests[0]?.url).toBe(`/pict140318_1624510000.JPG${dlna}`);
  });

  it("times out a stalled download with CAMERA_TIMEOUT and aborts with ABORTED", async () => {
    server.setHandler(() => ({ kind: "hang" }));
    const e = await failure(client.download(`${server.origin}/pict.JPG`, { timeoutMs: 150 }));
    expect(e.code).toBe("CAMERA_TIMEOUT");
    const controller = new AbortController();
    const pending = failure(
      client.download(`${server.origin}/pict.JPG`, { signal: controller.signal }),
    );
    while (server.requests.length < 2) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    expect((await pending).code).toBe("ABORTED");
    expect(await server.waitForIdle()).toBe(true);
  });

  it("maps HTTP 404 to CAMERA_HTTP and an oversize image to CAMERA_PROTOCOL", async () => {
    const e = await failure(client.download(`${server.origin}/gone.JPG`));
    expect([e.code, e.cameraCode]).toEqual(["CAMERA_HTTP", 404]);
    const big = await failure(client.download(`${server.origin}/pict.JPG`, { maxBytes: 4 }));
    expect(big.code).toBe("CAMERA_PROTOCOL");
    expect(await server.waitForIdle()).toBe(true);
  });
});

describe("per-method default timeouts", () => {
  it("sizes them per method and lets overrides win", () => {
    expect(defaultTimeoutMs("actTakePicture", [])).toBeGreaterThanOrEqual(35_000);
    expect(defaultTimeoutMs("awaitTakePicture", [])).toBeGreaterThanOrEqual(35_000);
    expect(defaultTimeoutMs("getEvent", [true])).toBeGreaterThanOrEqual(25_000);
    expect(defaultTimeoutMs("getEvent", [false])).toBe(DEFAULT_TIMEOUTS.defaultMs);
    expect(defaultTimeoutMs("setTouchAFPosition", [50, 50])).toBe(15_000);
    expect(defaultTimeoutMs("getVersions", [])).toBe(10_000);
    expect(defaultTimeoutMs("getEvent", [true], { longPollMs: 30_000 })).toBe(30_000);
    expect(defaultTimeoutMs("getVersions", [], { defaultMs: 3_000 })).toBe(3_000);
    expect(
      defaultTimeoutMs("actTakePicture", [], {
        takePictureMs: 1,
        methods: { actTakePicture: 90_000 },
      }),
    ).toBe(90_000);
  });
});
