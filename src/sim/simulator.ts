/**
 * The camera simulator: HTTP servers laid out like a real camera (dd.xml, `/sony/<service>`
 * JSON-RPC, liveview and postview images), an optional SSDP responder, fault injection and power
 * cycling, around the {@link SimCamera} model (camera-api.md §8 checklist).
 *
 * Layouts (camera-api.md §1.4):
 * - `qx10`: dd.xml server (real port 64321, `/DmsRmtDesc.xml`), API server (10000,
 *   `/sony/<service>`), image server (60152: `/liveview.JPG?…` and `/pict….JPG?…`).
 * - `smart-remote`: dd.xml server (61000, `/scalarwebapi_dd.xml`) and one server (8080) for the
 *   API, `/liveview/liveviewstream` and `/postview/pict….JPG`.
 * By default every server listens on 127.0.0.1 with an ephemeral port; the URLs it announces
 * always carry the bound host:port.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { type AddressInfo } from "node:net";
import { DEFAULT_TIMINGS, SimCamera, type EventTimeoutReply, type SimTimings } from "./camera.js";
import { qxDeviceDescription, qxLiveviewUrl, smartRemoteDeviceDescription } from "./ddxml.js";
import {
  FaultController,
  type FaultAction,
  type FaultRule,
  type FaultSpec,
  type FaultTarget,
} from "./faults.js";
import { LiveviewServer, type SentPacketInfo } from "./liveview.js";
import { renderPostview } from "./pattern.js";
import { PostviewStore } from "./postview.js";
import { parseRpcRequest, serializeReply, errorMessage, type RpcOutcome } from "./rpc.js";
import { SsdpResponder } from "./ssdp.js";
import { type SimModel } from "./profile.js";

/** Liveview settings of the simulator (passed to the imaging module's LiveviewServer). */
export interface SimLiveviewOptions {
  /** Frames per second (default 30). */
  fps?: number;
  /** Frame size (default 640×480). */
  width?: number;
  height?: number;
  /** JPEG quality (default 60). */
  quality?: number;
  /** QX padding quirk: JPEG region padded to 128-byte multiples with junk (default true). */
  qxPadding?: boolean;
  /** Send focus-frame (0x02) packets after each JPEG (default false). */
  focusFrames?: boolean;
  /** A recorded de-chunked liveview stream to replay instead of the test pattern. */
  replay?: Uint8Array;
  /** Replay loops (default true) or ends the response after the last packet. */
  replayLoop?: boolean;
  /** Replay pacing: the recording's timestamps (default) or 1/fps. */
  replayPacing?: "timestamps" | "fps";
  /** Occasional stalls like the real camera (default off). */
  jitter?: boolean;
  /** Seed for junk bytes, cut points and stalls (default 1). */
  seed?: number;
  /** Told exactly the bytes of every packet written (tests). */
  onPacket?: (bytes: Buffer, info: SentPacketInfo) => void;
}

/** Options of {@link startSimulator}; every field is optional. */
export interface SimulatorOptions {
  /** Which camera to imitate (default "qx10"). */
  model?: SimModel;
  /** Address the HTTP servers bind (default 127.0.0.1). */
  host?: string;
  /** Host written into announced URLs (default: `host`, or 127.0.0.1 when binding 0.0.0.0). */
  advertiseHost?: string;
  /**
   * Ports: numbers per server (0 = ephemeral, the default), or "real" for the camera's own
   * (qx10: dd 64321, api 10000, image 60152; smart-remote: dd 61000, api = image 8080).
   */
  ports?: "real" | { dd?: number; api?: number; image?: number };
  /**
   * Start the SSDP responder: true (127.0.0.1, ephemeral port) or where to bind, and whether to
   * join the multicast group to hear real searches (replies are always unicast).
   */
  ssdp?: boolean | { host?: string; port?: number; joinMulticast?: boolean };
  /** Camera timings (ms); see {@link DEFAULT_TIMINGS}. */
  timings?: Partial<SimTimings>;
  liveview?: SimLiveviewOptions;
  /** Fault rules or spec strings active from the start (see `parseFaultSpec`). */
  faults?: (FaultSpec | string)[];
  /** Pictures left on the card at power-on (default 1000). */
  recordableImages?: number;
  /** Recent pictures kept downloadable (default 20); older URLs answer 404. */
  postviewCapacity?: number;
  /** Postview JPEG size (default 1632×1224, the QX10 "2M" postview). */
  postviewSize?: { width: number; height: number };
  /** What a long poll answers on its server timeout (default "empty", as SRC). */
  eventTimeoutReply?: EventTimeoutReply;
  /** Check actEnableMethods' signature against the documented key (default true). */
  verifySignature?: boolean;
  /** friendlyName in dd.xml (default DSC-QX10 / DSC-HX400V). */
  friendlyName?: string;
  /** UDN in dd.xml and SSDP (default a fixed QX-style uuid). */
  udn?: string;
  /** Largest accepted request body, bytes (default 65536; larger → HTTP 413). */
  maxBodyBytes?: number;
}

/** Where the simulator serves what. */
export interface SimUrls {
  /** The dd.xml URL (SSDP LOCATION). */
  ddXml: string;
  /** `X_ScalarWebAPI_ActionList_URL`, e.g. `http://127.0.0.1:40001/sony`. */
  actionListUrl: string;
  /** Endpoint per API service (`actionListUrl + "/" + service`). */
  endpoints: Record<string, string>;
  /** The liveview URL startLiveview returns. */
  liveview: string;
  /** Base of postview URLs (`http://host:port`). */
  imageBase: string;
  /** The SSDP responder's address, when started. */
  ssdp: { host: string; port: number } | undefined;
}

/** A running simulator. */
export interface Simulator {
  /** Which camera it imitates. */
  readonly model: SimModel;
  /** Where it serves what (bound host:port; `ssdp` undefined while powered off). */
  readonly urls: SimUrls;
  /** The camera model (state, for assertions). */
  readonly camera: SimCamera;
  /** Fault rules; `set`/`add` also run liveview and power actions. */
  readonly faults: FaultController;
  /** The liveview server (stats, for assertions). */
  readonly liveview: LiveviewServer;
  /** True while powered on. */
  readonly powered: boolean;
  /** Stops answering: closes every server, connection and the SSDP socket; resets the camera. */
  powerOff(): Promise<void>;
  /** Comes back on the same ports with power-on state. */
  powerOn(): Promise<void>;
  /** Closes everything (servers, sockets, timers); idempotent. */
  close(): Promise<void>;
}

type Role = "dd" | "api" | "image";

interface HostedServer {
  roles: ReadonlySet<Role>;
  server: Server;
  port: number;
}

const REAL_PORTS: Record<SimModel, { dd: number; api: number; image: number }> = {
  qx10: { dd: 64321, api: 10000, image: 60152 },
  "smart-remote": { dd: 61000, api: 8080, image: 8080 },
};

/** Headers every QX/AS reply carries (camera-api.md §1.2, §2.2). */
const QX_DD_HEADERS = {
  "Accept-Range": "none",
  "Content-Type": 'text/xml; charset="utf-8"',
  Connection: "close",
  Server: "UPnP/1.0 SonyImagingDevice/1.0",
  "X-Av-Server-Info": 'av=5.0; hn=""; cn="Sony Corporation"; mn="SonyImagingDevice"; mv="1.0"',
  "X-Av-Physical-Unit-Info": 'pa=""; pl=;',
};

class SimulatorImpl implements Simulator {
  readonly camera: SimCamera;
  readonly faults: FaultController;
  readonly liveview: LiveviewServer;
  readonly model: SimModel;
  urls: SimUrls;

  private readonly servers: HostedServer[] = [];
  private readonly postviews: PostviewStore;
  private readonly ssdp: SsdpResponder | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly requestControllers = new Set<AbortController>();
  private readonly host: string;
  private readonly advertiseHost: string;
  private readonly maxBodyBytes: number;
  private readonly udn: string;
  private readonly friendlyName: string;
  private liveviewOn = false;
  private on = false;
  private closing: Promise<void> | undefined;
  private powerChain: Promise<void> = Promise.resolve();

  constructor(private readonly options: SimulatorOptions) {
    this.model = options.model ?? "qx10";
    this.host = options.host ?? "127.0.0.1";
    this.advertiseHost =
      options.advertiseHost ?? (this.host === "0.0.0.0" ? "127.0.0.1" : this.host);
    this.maxBodyBytes = options.maxBodyBytes ?? 65_536;
    this.udn =
      options.udn ??
      (this.model === "qx10"
        ? "uuid:00000000-0005-0010-8000-1c994c0a1010"
        : "uuid:000000001000-1010-8000-5EA7C0FFEE01");
    this.friendlyName = options.friendlyName ?? (this.model === "qx10" ? "DSC-QX10" : "DSC-HX400V");
    const postviewSize = options.postviewSize;
    this.postviews = new PostviewStore(
      this.model === "qx10" ? "qx" : "smart-remote",
      (index) => renderPostview(index, postviewSize ?? {}),
      options.postviewCapacity ?? 20,
    );
    const lv = options.liveview ?? {};
    this.liveview = new LiveviewServer({
      ...(lv.fps === undefined ? {} : { fps: lv.fps }),
      ...(lv.width === undefined ? {} : { width: lv.width }),
      ...(lv.height === undefined ? {} : { height: lv.height }),
      ...(lv.quality === undefined ? {} : { quality: lv.quality }),
      ...(lv.qxPadding === undefined ? {} : { qxPadding: lv.qxPadding }),
      ...(lv.focusFrames === undefined ? {} : { focusFrames: lv.focusFrames }),
      ...(lv.replay === undefined ? {} : { replay: lv.replay }),
      ...(lv.replayLoop === undefined ? {} : { replayLoop: lv.replayLoop }),
      ...(lv.replayPacing === undefined ? {} : { replayPacing: lv.replayPacing }),
      ...(lv.jitter === undefined ? {} : { jitter: lv.jitter }),
      ...(lv.seed === undefined ? {} : { seed: lv.seed }),
      ...(lv.onPacket === undefined ? {} : { onPacket: lv.onPacket }),
      isActive: () => this.on && this.liveviewOn,
    });
    this.camera = new SimCamera({
      model: this.model,
      timings: { ...DEFAULT_TIMINGS, ...options.timings },
      hooks: {
        startLiveview: () => {
          this.liveviewOn = true;
          return this.urls.liveview;
        },
        stopLiveview: () => {
          this.liveviewOn = false;
          this.liveview.stop();
        },
        addPicture: (time) => `${this.urls.imageBase}${this.postviews.add(time)}`,
        clearPictures: () => {
          this.postviews.clear();
        },
      },
      ...(options.recordableImages === undefined
        ? {}
        : { recordableImages: options.recordableImages }),
      ...(options.eventTimeoutReply === undefined
        ? {}
        : { eventTimeoutReply: options.eventTimeoutReply }),
      ...(options.verifySignature === undefined
        ? {}
        : { verifySignature: options.verifySignature }),
    });
    this.faults = new FaultController((action) => {
      this.runAction(action);
    });
    if (options.ssdp !== undefined && options.ssdp !== false) {
      const where = options.ssdp === true ? {} : options.ssdp;
      this.ssdp = new SsdpResponder({
        ...where,
        location: () => this.urls.ddXml,
        udn: this.udn,
        flavour: this.model === "qx10" ? "qx" : "smart-remote",
      });
    }
    this.urls = this.buildUrls();
  }

  get powered(): boolean {
    return this.on;
  }

  /** Creates the servers and binds them (first start). */
  async start(): Promise<void> {
    const ports =
      this.options.ports === "real"
        ? REAL_PORTS[this.model]
        : { dd: 0, api: 0, image: 0, ...this.options.ports };
    const layout: { roles: Role[]; port: number }[] =
      this.model === "qx10"
        ? [
            { roles: ["dd"], port: ports.dd },
            { roles: ["api"], port: ports.api },
            { roles: ["image"], port: ports.image },
          ]
        : [
            { roles: ["dd"], port: ports.dd },
            { roles: ["api", "image"], port: ports.api },
          ];
    for (const { roles, port } of layout) {
      const hosted: HostedServer = { roles: new Set(roles), server: this.createServer(), port };
      hosted.server.on("request", (req: IncomingMessage, res: ServerResponse) => {
        this.route(hosted, req, res);
      });
      this.servers.push(hosted);
    }
    try {
      await this.bindAll();
    } catch (e) {
      await this.close();
      throw e;
    }
    for (const spec of this.options.faults ?? []) this.faults.add(spec);
  }

  private createServer(): Server {
    const server = createServer();
    // QX/AS replies carry no Date header and close the connection (camera-api.md §2.2).
    server.keepAliveTimeout = 0;
    return server;
  }

  private async bindAll(): Promise<void> {
    for (const hosted of this.servers) {
      await new Promise<void>((resolve, reject) => {
        const onError = (e: Error): void => {
          reject(e);
        };
        hosted.server.once("error", onError);
        hosted.server.listen({ host: this.host, port: hosted.port, exclusive: true }, () => {
          hosted.server.off("error", onError);
          resolve();
        });
      });
      // Keep the ephemeral port so power-on comes back on it.
      hosted.port = (hosted.server.address() as AddressInfo).port;
    }
    await this.ssdp?.start();
    this.on = true;
    this.urls = this.buildUrls();
  }

  private portOf(role: Role): number {
    return this.servers.find((s) => s.roles.has(role))?.port ?? 0;
  }

  private buildUrls(): SimUrls {
    const base = (role: Role): string => `http://${this.advertiseHost}:${this.portOf(role)}`;
    const actionListUrl = `${base("api")}/sony`;
    const endpoints: Record<string, string> = {};
    for (const service of this.camera.serviceNames) {
      endpoints[service] = `${actionListUrl}/${service}`;
    }
    return {
      ddXml:
        this.model === "qx10"
          ? `${base("dd")}/DmsRmtDesc.xml`
          : `${base("dd")}/scalarwebapi_dd.xml`,
      actionListUrl,
      endpoints,
      liveview:
        this.model === "qx10"
          ? qxLiveviewUrl(base("image"))
          : `${base("image")}/liveview/liveviewstream`,
      imageBase: base("image"),
      ssdp:
        this.ssdp === undefined || !this.on
          ? undefined
          : { host: this.ssdp.host, port: this.ssdp.port },
    };
  }

  // ---- routing -------------------------------------------------------------------------------

  private route(hosted: HostedServer, req: IncomingMessage, res: ServerResponse): void {
    res.sendDate = false;
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    if (hosted.roles.has("dd") && this.isDdPath(path)) {
      this.withFault({ target: "dd" }, res, () => {
        this.serveDd(req, res);
      });
      return;
    }
    if (hosted.roles.has("api") && path.startsWith("/sony/")) {
      this.serveApi(path.slice("/sony/".length), req, res);
      return;
    }
    if (hosted.roles.has("image")) {
      if (this.isLiveviewPath(path)) {
        this.liveview.handle(req, res);
        return;
      }
      this.withFault({ target: "image" }, res, () => {
        this.servePostview(req, res);
      });
      return;
    }
    this.sendJson(res, 404, serializeReply(undefined, errorOutcome(404), this.serializeOptions()));
  }

  private isDdPath(path: string): boolean {
    return this.model === "qx10" ? path === "/DmsRmtDesc.xml" : path === "/scalarwebapi_dd.xml";
  }

  private isLiveviewPath(path: string): boolean {
    return this.model === "qx10" ? path === "/liveview.JPG" : path === "/liveview/liveviewstream";
  }

  private serializeOptions(): { escapeSlashes: boolean } {
    return { escapeSlashes: this.model === "smart-remote" };
  }

  private serveDd(req: IncomingMessage, res: ServerResponse): void {
    req.resume();
    const input = {
      friendlyName: this.friendlyName,
      udn: this.udn,
      actionListUrl: this.urls.actionListUrl,
      services: this.camera.serviceNames.filter((s) => s !== "avContent"),
    };
    const xml =
      this.model === "qx10"
        ? qxDeviceDescription({ ...input, liveviewUrl: this.urls.liveview })
        : smartRemoteDeviceDescription(input);
    const body = Buffer.from(xml, "utf8");
    const headers =
      this.model === "qx10"
        ? { ...QX_DD_HEADERS, "Content-Length": String(body.length) }
        : {
            "Content-Type": 'text/xml; charset="utf-8"',
            "Content-Length": String(body.length),
            Connection: "close",
          };
    res.writeHead(200, headers);
    res.end(req.method === "HEAD" ? undefined : body);
  }

  private servePostview(req: IncomingMessage, res: ServerResponse): void {
    req.resume();
    const jpeg =
      req.method === "GET" || req.method === "HEAD" ? this.postviews.get(req.url ?? "") : undefined;
    if (jpeg === undefined) {
      res.writeHead(404, { "Content-Length": "0", Connection: "close" });
      res.end();
      return;
    }
    res.writeHead(200, {
      "Content-Type": "image/jpeg",
      "Content-Length": String(jpeg.length),
      Connection: "close",
    });
    res.end(req.method === "HEAD" ? undefined : jpeg);
  }

  private serveApi(service: string, req: IncomingMessage, res: ServerResponse): void {
    const opts = this.serializeOptions();
    if (req.method !== "POST") {
      req.resume();
      // A GET on the endpoint answers 501 (TLS issue #27, A6500).
      this.sendJson(res, 501, serializeReply(undefined, errorOutcome(501), opts));
      return;
    }
    if (!this.camera.serviceNames.includes(service)) {
      req.resume();
      this.sendJson(res, 404, serializeReply(undefined, errorOutcome(404), opts));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > this.maxBodyBytes) {
        tooLarge = true;
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (tooLarge) {
        this.sendJson(res, 413, serializeReply(undefined, errorOutcome(413), opts));
        return;
      }
      this.answerRpc(service, Buffer.concat(chunks).toString("utf8"), res);
    });
  }

  private answerRpc(service: string, body: string, res: ServerResponse): void {
    const opts = this.serializeOptions();
    const parsed = parseRpcRequest(body);
    const method = parsed.ok ? parsed.request.method : undefined;
    const id = parsed.ok ? parsed.request.id : parsed.id;
    this.withFault(
      { target: "api", service, ...(method === undefined ? {} : { method }) },
      res,
      () => {
        if (!parsed.ok) {
          this.sendRpc(res, id, {
            kind: "error",
            code: parsed.code,
            message: errorMessage(parsed.code),
          });
          return;
        }
        const controller = new AbortController();
        this.requestControllers.add(controller);
        res.on("close", () => {
          controller.abort();
          this.requestControllers.delete(controller);
        });
        this.camera.call(service, parsed.request, controller.signal).then(
          (outcome) => {
            this.sendRpc(res, id, outcome);
          },
          () => {
            this.sendRpc(res, id, errorOutcome(500));
          },
        );
      },
      (rule) => serializeReply(id, faultOutcome(rule), opts),
    );
  }

  private sendRpc(res: ServerResponse, id: number | undefined, outcome: RpcOutcome): void {
    const status = outcome.kind === "error" ? (outcome.httpStatus ?? 200) : 200;
    this.sendJson(res, status, serializeReply(id, outcome, this.serializeOptions()));
  }

  /** `Connection: close`, `Content-Length`, `Content-Type: application/json` — nothing else. */
  private sendJson(res: ServerResponse, status: number, json: string): void {
    if (res.writableEnded || res.destroyed) return;
    const body = Buffer.from(json, "utf8");
    res.writeHead(status, {
      Connection: "close",
      "Content-Length": String(body.length),
      "Content-Type": "application/json",
    });
    res.end(body);
  }

  /**
   * Runs `serve` unless a fault rule matches the request, in which case the fault happens
   * instead (or, for `slow`, before serving). `errorBody` renders an `error=CODE` rule for the
   * API; other targets answer such a rule with that HTTP status.
   */
  private withFault(
    req: { target: FaultTarget; service?: string; method?: string },
    res: ServerResponse,
    serve: () => void,
    errorBody?: (rule: FaultRule) => string,
  ): void {
    const rule = this.faults.take(req);
    if (rule === undefined) {
      serve();
      return;
    }
    switch (rule.kind) {
      case "slow": {
        const t = setTimeout(() => {
          this.timers.delete(t);
          if (!res.destroyed) serve();
        }, rule.ms);
        this.timers.add(t);
        return;
      }
      case "hang":
        // Nothing is sent; the socket is closed by the client, power-off or close().
        return;
      case "http500":
        this.sendJson(
          res,
          500,
          serializeReply(undefined, errorOutcome(500), this.serializeOptions()),
        );
        return;
      case "error": {
        if (errorBody !== undefined) {
          const status = rule.code >= 400 && rule.code < 600 ? rule.code : 200;
          this.sendJson(res, status, errorBody(rule));
        } else {
          res.writeHead(rule.code >= 100 && rule.code < 600 ? rule.code : 500, {
            "Content-Length": "0",
            Connection: "close",
          });
          res.end();
        }
        return;
      }
      case "malformed-json": {
        const body = Buffer.from('{"id":1,"result":[0,', "utf8");
        res.writeHead(200, {
          Connection: "close",
          "Content-Length": String(body.length),
          "Content-Type": "application/json",
        });
        res.end(body);
        return;
      }
      case "drop": {
        // Headers promise a body that never fully arrives: the connection resets mid-reply.
        const body = Buffer.from('{"id":1,"result":[["http://', "utf8");
        res.writeHead(200, {
          Connection: "close",
          "Content-Length": String(body.length * 4),
          "Content-Type": "application/json",
        });
        res.write(body, () => {
          res.destroy();
        });
        return;
      }
    }
  }

  // ---- power and actions ---------------------------------------------------------------------

  private runAction(action: FaultAction): void {
    if (action.kind === "liveview") {
      this.liveview.fault(action.fault);
      return;
    }
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.queuePower(async () => {
        await this.doPowerOff();
        if (action.forMs === undefined || this.closing !== undefined) return;
        const back = setTimeout(() => {
          this.timers.delete(back);
          this.queuePower(() => this.doPowerOn()).catch(() => undefined);
        }, action.forMs);
        this.timers.add(back);
      }).catch(() => undefined);
    }, action.afterMs ?? 0);
    this.timers.add(t);
  }

  /** Power changes run one after another; failures end up nowhere but never float. */
  private queuePower(step: () => Promise<void>): Promise<void> {
    const next = this.powerChain.then(step, step);
    this.powerChain = next.catch(() => undefined);
    return next;
  }

  powerOff(): Promise<void> {
    return this.queuePower(() => this.doPowerOff());
  }

  powerOn(): Promise<void> {
    return this.queuePower(() => this.doPowerOn());
  }

  private async doPowerOff(): Promise<void> {
    if (!this.on) return;
    this.on = false;
    this.liveviewOn = false;
    // Connections die first (a real power-off resets them, nothing is answered), then the
    // liveview timers and the camera's pending waits are cleared.
    const closing = Promise.all(this.servers.map((s) => closeServer(s.server)));
    this.liveview.stop();
    this.camera.reset();
    for (const c of this.requestControllers) c.abort();
    this.requestControllers.clear();
    await closing;
    await this.ssdp?.stop();
    this.urls = this.buildUrls();
  }

  private async doPowerOn(): Promise<void> {
    if (this.on || this.closing !== undefined) return;
    await this.bindAll();
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const t of this.timers) clearTimeout(t);
      this.timers.clear();
      await this.powerChain;
      this.on = false;
      this.liveviewOn = false;
      const closing = Promise.all(this.servers.map((s) => closeServer(s.server)));
      this.liveview.stop();
      this.camera.close();
      for (const c of this.requestControllers) c.abort();
      this.requestControllers.clear();
      await closing;
      await this.ssdp?.stop();
    })();
    return this.closing;
  }
}

function errorOutcome(code: number): RpcOutcome {
  return { kind: "error", code, message: errorMessage(code), httpStatus: code };
}

function faultOutcome(rule: FaultRule): RpcOutcome {
  const code = rule.kind === "error" ? rule.code : 500;
  return { kind: "error", code, message: errorMessage(code) };
}

/** Closes a server and every connection on it (hung requests and liveview readers too). */
async function closeServer(server: Server): Promise<void> {
  if (!server.listening) return;
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
    server.closeAllConnections();
  });
}

/**
 * Starts a simulated camera and resolves once every server listens.
 * @throws the listen error (e.g. EADDRINUSE for fixed ports) after closing what was opened
 */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const sim = new SimulatorImpl(options);
  await sim.start();
  return sim;
}
