/**
 * SSDP responder of the simulator (camera-api.md §1.1–1.2): answers M-SEARCH for the ScalarWebAPI
 * search target (or `ssdp:all`) with a unicast reply to the sender. It never sends multicast and
 * binds to loopback unless told otherwise.
 */
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";

/** The SSDP multicast group (only joined on request, never sent to). */
const SSDP_GROUP = "239.255.255.250";

/** The only search target the official docs define (DG120 p.10). */
export const SCALAR_WEB_API_ST = "urn:schemas-sony-com:service:ScalarWebAPI:1";

/** How the responder answers. */
export interface SsdpResponderOptions {
  /** Address to bind, default 127.0.0.1. */
  host?: string;
  /** UDP port, default 0 (ephemeral; the real one is 1900). */
  port?: number;
  /** The dd.xml URL sent as LOCATION. */
  location: () => string;
  /** UDN for USN, e.g. `uuid:00000000-0005-0010-8000-1c994c0a1000`. */
  udn: string;
  /** "qx": SonyImagingDevice headers like the AS30V; "smart-remote": MINT-X like the A6000. */
  flavour: "qx" | "smart-remote";
  /**
   * Join the SSDP group 239.255.255.250 to hear real multicast searches (manual use on a LAN,
   * with host 0.0.0.0 and port 1900). Replies stay unicast. Default false; tests never set it.
   */
  joinMulticast?: boolean;
}

/** Parses an M-SEARCH datagram; returns its ST when it is a valid ssdp:discover search. */
export function parseMSearch(text: string): string | undefined {
  const lines = text.split(/\r?\n/);
  if (!/^M-SEARCH\s+\*\s+HTTP\/1\.1$/i.test((lines[0] ?? "").trim())) return undefined;
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0)
      headers.set(line.slice(0, colon).trim().toUpperCase(), line.slice(colon + 1).trim());
  }
  // NERAB's AS30V answered MAN without quotes too.
  if (headers.get("MAN")?.replace(/"/g, "") !== "ssdp:discover") return undefined;
  return headers.get("ST");
}

/** The reply datagram (AS30V header order for "qx", A6000 headers for "smart-remote"). */
export function buildSsdpReply(options: SsdpResponderOptions): string {
  const usn = `USN: ${options.udn}::${SCALAR_WEB_API_ST}`;
  const lines =
    options.flavour === "qx"
      ? [
          "HTTP/1.1 200 OK",
          "CACHE-CONTROL: max-age=1800",
          "EXT:",
          `LOCATION: ${options.location()}`,
          "SERVER: UPnP/1.0 SonyImagingDevice/1.0",
          `ST: ${SCALAR_WEB_API_ST}`,
          usn,
          'X-AV-Physical-Unit-Info: pa=""; pl=;',
          'X-AV-Server-Info: av=5.0; hn=""; cn="Sony Corporation"; mn="SonyImagingDevice"; mv="1.0";',
        ]
      : [
          "HTTP/1.1 200 OK",
          "CACHE-CONTROL: max-age=1800",
          "EXT: ",
          `LOCATION: ${options.location()}`,
          "SERVER: FedoraCore/2 UPnP/1.0 MINT-X/1.8.1",
          `ST: ${SCALAR_WEB_API_ST}`,
          usn,
        ];
  return `${lines.join("\r\n")}\r\n\r\n`;
}

/** A bound SSDP responder. Construct, then {@link SsdpResponder.start}. */
export class SsdpResponder {
  private socket: Socket | undefined;
  private boundPort: number;

  constructor(private readonly options: SsdpResponderOptions) {
    this.boundPort = options.port ?? 0;
  }

  /** The UDP port it listens on (after start). */
  get port(): number {
    return this.boundPort;
  }

  /** The address it listens on. */
  get host(): string {
    return this.options.host ?? "127.0.0.1";
  }

  /** Binds the socket (again on the same port after a stop). */
  async start(): Promise<void> {
    if (this.socket !== undefined) return;
    const socket = createSocket({ type: "udp4", reuseAddr: true });
    socket.on("message", (msg: Buffer, rinfo: RemoteInfo) => {
      const st = parseMSearch(msg.toString("latin1"));
      if (st !== SCALAR_WEB_API_ST && st !== "ssdp:all") return;
      // Unicast to the sender only (never to the multicast group).
      socket.send(buildSsdpReply(this.options), rinfo.port, rinfo.address, () => undefined);
    });
    socket.on("error", () => undefined);
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind({ address: this.host, port: this.boundPort, exclusive: true }, () => {
        socket.off("error", reject);
        resolve();
      });
    });
    this.boundPort = socket.address().port;
    this.socket = socket;
    if (this.options.joinMulticast === true) {
      try {
        socket.addMembership(SSDP_GROUP);
      } catch (e) {
        await this.stop();
        throw e;
      }
    }
  }

  /** Closes the socket; idempotent. */
  async stop(): Promise<void> {
    const socket = this.socket;
    if (socket === undefined) return;
    this.socket = undefined;
    await new Promise<void>((resolve) => {
      socket.close(() => {
        resolve();
      });
    });
  }
}
