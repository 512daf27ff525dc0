/**
 * Fault injection and power cycling of the simulator, seen on the wire: camera errors for a
 * chosen method, HTTP 500, malformed JSON, dropped and hung connections, slow answers, liveview
 * faults, power off and back on the same ports.
 */
import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { type Simulator, type SimulatorOptions } from "../../src/sim/simulator.js";
import { cameraCall, rpcRaw, startTestSim, waitFor } from "../helpers/sim.js";

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(options: SimulatorOptions = {}): Promise<Simulator> {
  sim = await startTestSim(options);
  return sim;
}

const camera = (s: Simulator): string => s.urls.endpoints["camera"] ?? "";

async function errorCode(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    return typeof code === "string" ? code : (e as Error).name;
  }
}

describe("request faults", () => {
  it("answers a chosen camera error for a chosen method, once", async () => {
    const s = await start({ faults: ["method=actTakePicture:error=40400:once"] });
    expect((await rpcRaw(camera(s), "getShootMode")).json).toEqual({ id: 1, result: ["still"] });
    expect((await rpcRaw(camera(s), "actTakePicture", [], "1.0", 5)).json).toEqual({
      id: 5,
      error: [40400, "Shooting fail"],
    });
    const [urls] = (await cameraCall(s, "actTakePicture")) as [string[]];
    expect(urls).toHaveLength(1);
    expect(s.faults.list()).toEqual([]);
  });

  it("answers HTTP 500 while the rule is set", async () => {
    const s = await start();
    s.faults.set("http500:method=getShootMode");
    for (let i = 0; i < 2; i++) {
      const reply = await rpcRaw(camera(s), "getShootMode");
      expect(reply.status).toBe(500);
      expect(reply.text).toBe('{"error":[500,"Internal Server Error"]}');
    }
    expect((await rpcRaw(camera(s), "getBeepMode")).status).toBe(200);
    s.faults.clear();
    expect((await rpcRaw(camera(s), "getShootMode")).status).toBe(200);
  });

  it("sends malformed JSON", async () => {
    const s = await start({ faults: ["malformed-json:once"] });
    const reply = await rpcRaw(camera(s), "getShootMode");
    expect(reply.status).toBe(200);
    expect(reply.json).toBeUndefined();
    expect(() => JSON.parse(reply.text) as unknown).toThrow(SyntaxError);
  });

  it("drops the connection mid-reply", async () => {
    const s = await start({ faults: [{ kind: "drop", method: "getEvent", times: 1 }] });
    const code = await errorCode(rpcRaw(camera(s), "getEvent", [false]));
    expect(code).toMatch(/UND_ERR_SOCKET|ECONNRESET|UND_ERR_RES_CONTENT_LENGTH_MISMATCH/);
    expect((await rpcRaw(camera(s), "getEvent", [false])).status).toBe(200);
  });

  it("hangs without answering until the client gives up", async () => {
    const s = await start({ faults: ["hang:once"] });
    const res = request(camera(s), {
      method: "POST",
      body: JSON.stringify({ method: "getShootMode", params: [], id: 1, version: "1.0" }),
      signal: AbortSignal.timeout(200),
    });
    expect(await errorCode(res)).toMatch(/AbortError|TimeoutError|UND_ERR_ABORTED/);
    expect((await rpcRaw(camera(s), "getShootMode")).status).toBe(200);
  });

  it("answers slowly but correctly", async () => {
    const s = await start({ faults: ["slow=150:once"] });
    const t0 = performance.now();
    expect((await rpcRaw(camera(s), "getShootMode")).json).toEqual({ id: 1, result: ["still"] });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
  });

  it("applies to the dd.xml and image servers with target=", async () => {
    const s = await start({ faults: ["target=dd:error=404:once", "target=image:http500:once"] });
    const dd = await request(s.urls.ddXml);
    await dd.body.dump();
    expect(dd.statusCode).toBe(404);
    const [[url]] = (await cameraCall(s, "actTakePicture")) as [string[]];
    const pic = await request(url ?? "");
    await pic.body.dump();
    expect(pic.statusCode).toBe(500);
    const again = await request(url ?? "");
    await again.body.dump();
    expect(again.statusCode).toBe(200);
  });

  it("rejects a bad spec with a USAGE error", async () => {
    const s = await start();
    expect(() => {
      s.faults.add("explode");
    }).toThrow(/USAGE/);
  });
});

describe("liveview faults", () => {
  async function openStream(s: Simulator): Promise<AsyncIterable<Buffer>> {
    await cameraCall(s, "startLiveview");
    const res = await request(s.urls.liveview);
    expect(res.statusCode).toBe(200);
    return res.body as AsyncIterable<Buffer>;
  }

  it("cut: the stream ends cleanly in the middle of a packet", async () => {
    const sent: { bytes: number; fault: string | undefined }[] = [];
    const s = await start({
      liveview: {
        fps: 50,
        width: 160,
        height: 120,
        onPacket: (bytes, info) => sent.push({ bytes: bytes.length, fault: info.fault }),
      },
    });
    const body = await openStream(s);
    let total = 0;
    for await (const chunk of body) {
      if (total === 0) s.faults.add("liveview=cut");
      total += chunk.length;
    }
    expect(sent.at(-1)?.fault).toBe("cut");
    expect(total).toBe(sent.reduce((n, p) => n + p.bytes, 0));
    expect(s.liveview.stats.readerConnected).toBe(false);
  });

  it("drop: the connection resets mid-stream", async () => {
    const s = await start({ liveview: { fps: 50, width: 160, height: 120 } });
    const body = await openStream(s);
    const consume = async (): Promise<void> => {
      let first = true;
      for await (const _chunk of body) {
        if (first) s.faults.add("liveview=drop");
        first = false;
      }
    };
    expect(await errorCode(consume())).toMatch(/UND_ERR_SOCKET|ECONNRESET|AbortError/);
  });
});

describe("power (camera-api.md §6.10)", () => {
  it("power off refuses connections; power on comes back on the same ports in power-on state", async () => {
    const s = await start();
    const urls = s.urls;
    await cameraCall(s, "setSelfTimer", [10]);
    await waitFor(async () => (await cameraCall(s, "getSelfTimer"))[0] === 10);
    await s.powerOff();
    expect(s.powered).toBe(false);
    expect(await errorCode(rpcRaw(camera(s), "getSelfTimer"))).toBe("ECONNREFUSED");
    expect(await errorCode(request(urls.ddXml))).toBe("ECONNREFUSED");
    await s.powerOn();
    expect(s.powered).toBe(true);
    expect(s.urls.endpoints).toEqual(urls.endpoints);
    expect(s.urls.ddXml).toBe(urls.ddXml);
    expect(await cameraCall(s, "getSelfTimer")).toEqual([0]);
  });

  it("power off cuts a pending long poll", async () => {
    const s = await start();
    await cameraCall(s, "getEvent", [false]);
    const poll = rpcRaw(camera(s), "getEvent", [true]);
    await new Promise((r) => setTimeout(r, 50));
    await s.powerOff();
    expect(await errorCode(poll)).toMatch(/UND_ERR_SOCKET|ECONNRESET/);
  });

  it("power off resets a liveview reader instead of ending the stream cleanly", async () => {
    const s = await start({ liveview: { fps: 50, width: 160, height: 120 } });
    await cameraCall(s, "startLiveview");
    const res = await request(s.urls.liveview);
    const consume = async (): Promise<void> => {
      let first = true;
      for await (const _chunk of res.body) {
        if (first) await s.powerOff();
        first = false;
      }
    };
    expect(await errorCode(consume())).toMatch(/UND_ERR_SOCKET|ECONNRESET/);
  });

  it("a power-off fault with for= comes back by itself", async () => {
    const s = await start();
    s.faults.add("power-off=0:for=150");
    await waitFor(() => !s.powered);
    await waitFor(() => s.powered);
    expect(await cameraCall(s, "getShootMode")).toEqual(["still"]);
  });

  it("close() is idempotent and ends everything", async () => {
    const s = await start({ ssdp: true });
    await cameraCall(s, "startLiveview");
    const res = await request(s.urls.liveview);
    const consume = (async () => {
      for await (const _chunk of res.body) {
        /* read until the simulator goes away */
      }
    })();
    await Promise.all([s.close(), s.close()]);
    await errorCode(consume);
    expect(await errorCode(rpcRaw(camera(s), "getShootMode"))).toBe("ECONNREFUSED");
  });
});
