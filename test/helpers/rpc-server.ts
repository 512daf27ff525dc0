/**
 * A small scriptable JSON-RPC HTTP server for client tests: node:http on 127.0.0.1, port 0,
 * answering `Connection: close` like the QX/AS cameras (camera-api.md §2.2). Each test scripts the
 * replies through a handler; the server records every request and counts TCP connections so tests
 * can prove that no socket leaks. (The full camera simulator lives in src/sim/.)
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { type AddressInfo, type Socket } from "node:net";

/** One request as the server saw it. */
export interface RecordedRequest {
  /** HTTP method. */
  httpMethod: string;
  /** Raw request target, e.g. `/sony/camera` or `/pict.JPG?%211234%21…` (verbatim). */
  url: string;
  /** Service name: the last path segment (`camera`, `system`, `accessControl`, …). */
  service: string;
  headers: IncomingMessage["headers"];
  /** The raw body text. */
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
  /** `json.method` when present. */
  method: string | undefined;
  /** `json.id` when present. */
  id: unknown;
  /** `json.params` when present. */
  params: unknown;
}

/** What the handler tells the server to do. */
export type Reply =
  /** A JSON body (serialized with JSON.stringify), status default 200. */
  | { kind: "json"; body: unknown; status?: number }
  /** A raw body with an optional content type, status default 200. */
  | { kind: "raw"; body: string | Buffer; status?: number; contentType?: string }
  /** Never answer (the socket stays open until the client gives up or the server closes). */
  | { kind: "hang" }
  /** Send headers (declaring `declaredBytes`) and `bytes` of body, then reset the TCP connection. */
  | { kind: "reset-mid-body"; declaredBytes: number; bytes: Buffer }
  /** A chunked body (no Content-Length), written piece by piece. */
  | { kind: "chunked"; chunks: Buffer[]; status?: number }
  /** A chunked body that never ends: `chunk` every few ms until the client goes away. */
  | { kind: "endless"; chunk: Buffer }
  /** Close the connection without any answer. */
  | { kind: "destroy" };

/** Handler: decides the reply for each request. */
export type Handler = (request: RecordedRequest) => Reply | Promise<Reply>;

/** A running test server. */
export interface RpcTestServer {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** ActionList base URL: `http://127.0.0.1:<port>/sony`. */
  baseUrl: string;
  port: number;
  /** Every request seen, in order. */
  requests: RecordedRequest[];
  /** RPC requests (POST with a JSON method) for `method`. */
  callsTo(method: string): RecordedRequest[];
  /** TCP connections accepted / closed so far. */
  connections: { opened: number; closed: number };
  /** Replaces the handler. */
  setHandler(handler: Handler): void;
  /** Resolves once every accepted connection has closed (or after `ms`, returning false). */
  waitForIdle(ms?: number): Promise<boolean>;
  /** Destroys open sockets and closes the server. Idempotent. */
  close(): Promise<void>;
}

/** A success envelope in the camera's member order (`id` first, camera-api.md §2.2). */
export function ok(request: RecordedRequest, result: unknown[]): Reply {
  return { kind: "json", body: { id: request.id, result } };
}

/** A JSON-RPC error envelope `[code, message]` on HTTP 200. */
export function rpcError(request: RecordedRequest, code: number, message = ""): Reply {
  return { kind: "json", body: { id: request.id, error: [code, message] } };
}

function record(req: IncomingMessage, text: string): RecordedRequest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const obj =
    typeof json === "object" && json !== null ? (json as Record<string, unknown>) : undefined;
  const url = req.url ?? "/";
  const pathOnly = url.split("?")[0] ?? "/";
  const method = obj?.["method"];
  return {
    httpMethod: req.method ?? "",
    url,
    service: pathOnly.slice(pathOnly.lastIndexOf("/") + 1),
    headers: req.headers,
    text,
    json,
    method: typeof method === "string" ? method : undefined,
    id: obj?.["id"],
    params: obj?.["params"],
  };
}

function send(res: ServerResponse, status: number, body: Buffer, contentType: string): void {
  res.writeHead(status, {
    "Content-Type": contentType,
    "Content-Length": body.length,
    Connection: "close",
  });
  res.end(body);
}

/** Starts a server on 127.0.0.1:0 with `handler`. */
export async function startRpcServer(handler: Handler): Promise<RpcTestServer> {
  let current = handler;
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const connections = { opened: 0, closed: 0 };
  let idleWaiters: (() => void)[] = [];

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const recorded = record(req, Buffer.concat(chunks).toString("utf8"));
      requests.push(recorded);
      Promise.resolve(current(recorded))
        .then((reply) => {
          switch (reply.kind) {
            case "json":
              send(
                res,
                reply.status ?? 200,
                Buffer.from(JSON.stringify(reply.body)),
                "application/json",
              );
              return;
            case "raw":
              send(
                res,
                reply.status ?? 200,
                Buffer.isBuffer(reply.body) ? reply.body : Buffer.from(reply.body),
                reply.contentType ?? "application/json",
              );
              return;
            case "hang":
              return;
            case "chunked":
              res.writeHead(reply.status ?? 200, {
                "Content-Type": "application/json",
                Connection: "close",
              });
              for (const chunk of reply.chunks) res.write(chunk);
              res.end();
              return;
            case "destroy":
              req.socket.destroy();
              return;
            case "endless": {
              res.writeHead(200, { "Content-Type": "application/json", Connection: "close" });
              const timer = setInterval(() => {
                if (!res.destroyed) res.write(reply.chunk);
              }, 2);
              req.socket.once("close", () => {
                clearInterval(timer);
              });
              return;
            }
            case "reset-mid-body":
              res.writeHead(200, {
                "Content-Type": "application/json",
                "Content-Length": reply.declaredBytes,
                Connection: "close",
              });
              res.write(reply.bytes, () => {
                // Give the bytes a moment to leave, then send a TCP RST.
                setTimeout(() => req.socket.resetAndDestroy(), 20);
              });
              return;
          }
        })
        .catch((e: unknown) => {
          console.error("rpc-server handler failed", e);
          req.socket.destroy();
        });
    });
  });
  server.on("connection", (socket) => {
    connections.opened += 1;
    sockets.add(socket);
    socket.on("close", () => {
      connections.closed += 1;
      sockets.delete(socket);
      if (sockets.size === 0) {
        const waiters = idleWaiters;
        idleWaiters = [];
        for (const w of waiters) w();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;

  return {
    origin: `http://127.0.0.1:${port}`,
    baseUrl: `http://127.0.0.1:${port}/sony`,
    port,
    requests,
    callsTo: (method) => requests.filter((r) => r.method === method),
    connections,
    setHandler(h) {
      current = h;
    },
    waitForIdle(ms = 2_000) {
      if (sockets.size === 0) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          idleWaiters = idleWaiters.filter((w) => w !== done);
          resolve(false);
        }, ms);
        const done = (): void => {
          clearTimeout(timer);
          resolve(true);
        };
        idleWaiters.push(done);
      });
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => {
          resolve();
        });
      });
      return closing;
    },
  };
}
