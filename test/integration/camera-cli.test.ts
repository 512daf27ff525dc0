import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCall } from "../../src/cli/call.js";
import { type CliContext } from "../../src/cli/context.js";
import { fileNameFromUrl, runShoot } from "../../src/cli/shoot.js";
import { isBridgeError } from "../../src/errors.js";
import { ok, rpcError, startRpcServer, type RpcTestServer } from "../helpers/rpc-server.js";

interface Collected extends CliContext {
  stdout: string[];
  stderr: string[];
}

function context(): Collected {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    signal: new AbortController().signal,
    out: (line) => stdout.push(line),
    err: (line) => stderr.push(line),
    env: {},
    stdout,
    stderr,
  };
}

async function usageError(p: Promise<unknown>): Promise<boolean> {
  try {
    await p;
    return false;
  } catch (e) {
    return isBridgeError(e, "USAGE");
  }
}

let server: RpcTestServer;
afterEach(async () => {
  await server.close();
});

describe("qx10-mqtt call", () => {
  beforeEach(async () => {
    server = await startRpcServer((r) => {
      switch (r.method ?? "") {
        case "getVersions":
          return ok(r, [["1.0", "1.1"]]);
        case "setSelfTimer":
        case "actZoom":
          return ok(r, [0]);
        case "actTakePicture":
          return rpcError(r, 40403, "Still Capturing Not Finished");
        case "getAvailableCameraFunction":
          return { kind: "json", status: 403, body: { id: 1, error: [403, r.method] } };
        default:
          return rpcError(r, 12, "No Such Method");
      }
    });
  });

  it("prints the result array as one JSON line", async () => {
    const ctx = context();
    expect(await runCall(["getVersions", "--camera", server.baseUrl], ctx)).toBe(0);
    expect(ctx.stdout).toEqual(['[["1.0","1.1"]]']);
    expect(ctx.stderr).toEqual([]);
    expect(server.requests[0]?.url).toBe("/sony/camera");
    expect(server.requests[0]?.json).toMatchObject({
      method: "getVersions",
      params: [],
      version: "1.0",
    });
  });

  it("sends PARAMS_JSON, --service and --version", async () => {
    const ctx = context();
    expect(await runCall(["actZoom", '["in","1shot"]', "--camera", server.baseUrl], ctx)).toBe(0);
    expect(
      await runCall(
        ["getVersions", "--service", "system", "--version", "1.1", "--camera", server.baseUrl],
        ctx,
      ),
    ).toBe(0);
    expect(ctx.stdout).toEqual(["[0]", '[["1.0","1.1"]]']);
    expect(server.requests.map((r) => [r.url, r.json])).toEqual([
      [
        "/sony/camera",
        { method: "actZoom", params: ["in", "1shot"], id: server.requests[0]?.id, version: "1.0" },
      ],
      [
        "/sony/system",
        { method: "getVersions", params: [], id: server.requests[1]?.id, version: "1.1" },
      ],
    ]);
  });

  it("accepts a service endpoint URL as --camera", async () => {
    const ctx = context();
    expect(
      await runCall(["setSelfTimer", "[2]", "--camera", `${server.baseUrl}/camera`], ctx),
    ).toBe(0);
    expect(server.requests[0]?.params).toEqual([2]);
  });

  it("prints a camera error as JSON on stderr and exits 1", async () => {
    const ctx = context();
    expect(await runCall(["actTakePicture", "--camera", server.baseUrl], ctx)).toBe(1);
    expect(ctx.stdout).toEqual([]);
    expect(ctx.stderr).toHaveLength(1);
    expect(JSON.parse(ctx.stderr[0] ?? "")).toMatchObject({
      code: "CAMERA_RPC",
      camera_code: 40403,
    });

    const http = context();
    expect(await runCall(["getAvailableCameraFunction", "--camera", server.baseUrl], http)).toBe(1);
    const reported = JSON.parse(http.stderr[0] ?? "") as Record<string, unknown>;
    expect(reported).toMatchObject({ code: "CAMERA_HTTP", camera_code: 403 });
    expect(reported["error"]).toContain("getAvailableCameraFunction");
  });

  it("reports an unreachable camera with exit 1", async () => {
    await server.close();
    const ctx = context();
    expect(await runCall(["getVersions", "--camera", server.baseUrl], ctx)).toBe(1);
    expect(JSON.parse(ctx.stderr[0] ?? "")).toMatchObject({
      code: "CAMERA_UNREACHABLE",
      camera_code: null,
    });
  });

  it("refuses bad usage with USAGE errors before any request", async () => {
    const url = ["--camera", server.baseUrl];
    expect(await usageError(runCall([...url], context()))).toBe(true);
    expect(await usageError(runCall(["setSelfTimer", "2,", ...url], context()))).toBe(true);
    expect(await usageError(runCall(["setSelfTimer", "2", ...url], context()))).toBe(true);
    expect(await usageError(runCall(["getVersions", "--service", "web", ...url], context()))).toBe(
      true,
    );
    expect(await usageError(runCall(["getVersions", "--version", "1", ...url], context()))).toBe(
      true,
    );
    expect(await usageError(runCall(["getVersions", "--bogus", ...url], context()))).toBe(true);
    expect(await usageError(runCall(["getVersions", "--camera", "not a url"], context()))).toBe(
      true,
    );
    expect(server.requests).toHaveLength(0);
    const help = context();
    expect(await runCall(["--help"], help)).toBe(0);
    expect(help.stdout[0]).toContain("Usage: qx10-mqtt call");
  });
});

describe("qx10-mqtt shoot", () => {
  const dlna = "?%211234%21http%2dget%3a%2a%3aimage%2fjpeg%3a%2a%21%21%21%21%21";
  const jpeg = Buffer.concat([
    Buffer.from([0xff, 0xd8]),
    Buffer.alloc(5000, 7),
    Buffer.from([0xff, 0xd9]),
  ]);
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "qx10-shoot-"));
    server = await startRpcServer((r) => {
      if (r.httpMethod === "GET") {
        return r.url === `/pict140318_1624510000.JPG${dlna}`
          ? { kind: "raw", body: jpeg, contentType: "image/jpeg" }
          : { kind: "raw", status: 404, body: "Not Found" };
      }
      if (r.method === "actTakePicture") {
        return rpcError(r, 40403, "Still Capturing Not Finished");
      }
      if (r.method === "awaitTakePicture") {
        return ok(r, [[`${server.origin}/pict140318_1624510000.JPG${dlna}`]]);
      }
      return rpcError(r, 12);
    });
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("takes a picture (awaiting after 40403), downloads it and writes --out", async () => {
    const ctx = context();
    const file = join(dir, "shot.jpg");
    expect(await runShoot(["--camera", server.baseUrl, "--out", file], ctx)).toBe(0);
    expect((await readFile(file)).equals(jpeg)).toBe(true);
    expect(ctx.stdout.map((l) => JSON.parse(l) as unknown)).toEqual([
      { url: `${server.origin}/pict140318_1624510000.JPG${dlna}`, bytes: jpeg.length, file },
    ]);
    expect(server.requests.map((r) => r.method ?? r.httpMethod)).toEqual([
      "actTakePicture",
      "awaitTakePicture",
      "GET",
    ]);
  });

  it("names the file after the URL when --out is a directory", async () => {
    const ctx = context();
    expect(await runShoot(["--camera", server.baseUrl, "--out", dir], ctx)).toBe(0);
    const file = join(dir, "pict140318_1624510000.JPG");
    expect((await readFile(file)).equals(jpeg)).toBe(true);
    expect((JSON.parse(ctx.stdout[0] ?? "") as { file: string }).file).toBe(file);
  });

  it("exits 1 with the error JSON when the download fails", async () => {
    server.setHandler((r) =>
      r.httpMethod === "GET"
        ? { kind: "raw", status: 404, body: "gone" }
        : ok(r, [[`${server.origin}/pict1.JPG`]]),
    );
    const ctx = context();
    expect(await runShoot(["--camera", server.baseUrl, "--out", join(dir, "x.jpg")], ctx)).toBe(1);
    expect(JSON.parse(ctx.stderr[0] ?? "")).toMatchObject({
      code: "CAMERA_HTTP",
      camera_code: 404,
    });
    expect(server.callsTo("actTakePicture")).toHaveLength(1);
  });

  it("derives a safe default file name from the postview URL", () => {
    expect(fileNameFromUrl(`http://10.0.0.1:60152/pict140318_1624510000.JPG${dlna}`)).toBe(
      "pict140318_1624510000.JPG",
    );
    expect(fileNameFromUrl("http://192.168.122.1:8080/postview/pict20140107_193550_0.JPG")).toBe(
      "pict20140107_193550_0.JPG",
    );
    expect(fileNameFromUrl("http://10.0.0.1:60152/")).toBe("postview.jpg");
    expect(fileNameFromUrl("http://10.0.0.1:60152/..%2F..%2Fetc%2Fpasswd")).toBe("postview.jpg");
    expect(fileNameFromUrl("not a url")).toBe("postview.jpg");
  });
});
