/**
 * Loopback stand-ins for a camera's discovery side: a unicast SSDP responder (node:dgram on
 * 127.0.0.1, ephemeral port) that answers M-SEARCH like the HDR-AS30V does (camera-api.md §1.2),
 * and a tiny HTTP server that serves device descriptions and records the request targets it saw.
 */
import { createSocket } from "node:dgram";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import { type AddressInfo } from "node:net";

export const SCALAR_ST = "urn:schemas-sony-com:service:ScalarWebAPI:1";

/** One answer the responder sends. */
export interface SsdpAnswer {
  location: string;
  /** USN header; omitted from the answer when null. Default derived from the location. */
  usn?: string | null;
  /** ST header in the answer. Default: the ST that was asked. */
  st?: string;
}

export interface SsdpResponderOptions {
  answers: SsdpAnswer[];
  /** Ignore the first N M-SEARCH datagrams (simulates WiFi multicast loss). */
  dropFirst?: number;
  /** Send every answer this many times per M-SEARCH (cameras and networks duplicate). */
  repeat?: number;
  /** Answer only M-SEARCHes for this ST. Default the ScalarWebAPI ST. */
  answersTo?: string;
}

export interface SsdpResponder {
  readonly port: number;
  /** Text of every datagram received, in order. */
  readonly received: string[];
  close(): Promise<void>;
}

/** Parses `Name: value` lines of a request into a map with upper-case names. */
function headersOf(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\r\n").slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0) out.set(line.slice(0, colon).toUpperCase(), line.slice(colon + 1).trim());
  }
  return out;
}

export async function startSsdpResponder(options: SsdpResponderOptions): Promise<SsdpResponder> {
  const socket = createSocket({ type: "udp4" });
  const received: string[] = [];
  socket.on("message", (msg, rinfo) => {
    const text = msg.toString("latin1");
    received.push(text);
    if (received.length <= (options.dropFirst ?? 0)) return;
    if (!text.startsWith("M-SEARCH * HTTP/1.1\r\n")) return;
    const st = headersOf(text).get("ST");
    if (st !== (options.answersTo ?? SCALAR_ST)) return;
    for (let r = 0; r < (options.repeat ?? 1); r++) {
      options.answers.forEach((a, i) => {
        const usn =
          a.usn === undefined ? `uuid:00000000-0005-0010-8000-00000000000${i}::${st}` : a.usn;
        const lines = [
          "HTTP/1.1 200 OK",
          "CACHE-CONTROL: max-age=1800",
          "EXT:",
          `LOCATION: ${a.location}`,
          "SERVER: UPnP/1.0 SonyImagingDevice/1.0",
          `ST: ${a.st ?? st}`,
          ...(usn === null ? [] : [`USN: ${usn}`]),
          'X-AV-Physical-Unit-Info: pa=""; pl=;',
          "",
          "",
        ];
        socket.send(Buffer.from(lines.join("\r\n"), "latin1"), rinfo.port, rinfo.address);
      });
    }
  });
  socket.bind(0, "127.0.0.1");
  await once(socket, "listening");
  return {
    port: socket.address().port,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        socket.close(() => {
          resolve();
        });
      }),
  };
}

/** A UDP socket on 127.0.0.1 that receives and never answers (a silent network). */
export async function startSilentUdp(): Promise<SsdpResponder> {
  return startSsdpResponder({ answers: [], answersTo: "(nothing)" });
}

/** One route of {@link startDescriptionServer}. */
export interface Route {
  status?: number;
  body: string | Buffer;
  /** Delay before answering, ms (for timeouts). */
  delayMs?: number;
}

export interface DescriptionServer {
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** Request targets (`req.url`, raw) in order. */
  readonly requests: string[];
  close(): Promise<void>;
}

/** HTTP server on 127.0.0.1 serving `routes` by exact request target (path + query, raw). */
export async function startDescriptionServer(
  routes: Record<string, Route>,
): Promise<DescriptionServer> {
  const requests: string[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req, res) => {
    const target = req.url ?? "";
    requests.push(target);
    const route = Object.hasOwn(routes, target) ? routes[target] : undefined;
    const answer = (): void => {
      if (route === undefined) {
        res.writeHead(404, { "content-type": "text/plain" }).end("not found");
        return;
      }
      res
        .writeHead(route.status ?? 200, {
          "content-type": 'text/xml; charset="utf-8"',
          connection: "close",
        })
        .end(route.body);
    };
    if (route?.delayMs === undefined) answer();
    else {
      const t = setTimeout(() => {
        timers.delete(t);
        if (!res.destroyed) answer();
      }, route.delayMs);
      timers.add(t);
    }
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    },
  };
}
