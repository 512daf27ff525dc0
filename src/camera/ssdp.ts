/**
 * SSDP M-SEARCH for Sony cameras (camera-api.md §1.1–1.2), behind the small {@link SsdpSearcher}
 * interface so discovery can be tested with a unicast loopback responder and swapped out.
 *
 * Why node:dgram and not node-ssdp: node-ssdp 4.0.1 (lib/index.js) opens
 * one socket per *non-internal* IPv4 interface, so it cannot bind to 127.0.0.1 for tests and
 * throws "No sockets available" on a host whose only up interface is loopback; in its `listening`
 * handler it always calls `addMembership(ssdpIp)` on every socket, so pointing `ssdpIp` at a
 * unicast test target throws inside an event handler (an uncaught exception) and a real run
 * joins the multicast group even though an M-SEARCH client only needs unicast answers; its
 * `interfaces` option takes interface names, not an address to bind; it hard-codes `MX: 3`
 * (the Sony docs use `MX: 1`), has no USER-AGENT, splits headers on CRLF only, swallows socket
 * errors into a debug log and unrefs its sockets. (The `process.on('exit')` mentioned in
 * docs/style.md is not in 4.0.1's lib/.) The M-SEARCH client below is ~150 lines instead, with
 * the same interface the rest of the code sees.
 */
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { once } from "node:events";
import { isIPv4 } from "node:net";
import { networkInterfaces } from "node:os";
import { BridgeError } from "../errors.js";
import { abortError, sleepUnlessAborted, throwIfAborted } from "../util/abort.js";
import { parseSsdpResponse, type ParsedSsdpResponse } from "./description.js";

/** The only search target the Sony docs define (camera-api.md §1.1, DG120 p.10). */
export const SCALAR_WEBAPI_ST = "urn:schemas-sony-com:service:ScalarWebAPI:1";

/** Where an SSDP search goes: an IPv4 address and UDP port. */
export interface SsdpTarget {
  /** IPv4 address: the multicast group, or a unicast host (tests, a known camera). */
  readonly address: string;
  /** UDP port (1900 for SSDP). */
  readonly port: number;
}

/** The SSDP multicast group and port, 239.255.255.250:1900 (DG120 p.10). */
export const SSDP_MULTICAST_TARGET: SsdpTarget = Object.freeze({
  address: "239.255.255.250",
  port: 1900,
});

/** Largest SSDP datagram accepted, bytes (real answers are ~500 B; Sony's sample reads 1024). */
export const MAX_SSDP_DATAGRAM_BYTES = 8192;

/** Most distinct answers one search keeps (bounds memory on a noisy network). */
export const MAX_SSDP_RESPONSES = 64;

/** One distinct answer to an M-SEARCH, with the address it came from. */
export interface SsdpResponse extends ParsedSsdpResponse {
  /** Sender of the datagram. */
  readonly from: { readonly address: string; readonly port: number };
}

/** Options of {@link SsdpSearcher.search}. */
export interface SsdpSearchOptions {
  /** Search target, e.g. {@link SCALAR_WEBAPI_ST}. Answers with another ST are ignored. */
  st: string;
  /** Where to send: {@link SSDP_MULTICAST_TARGET} for real use, a unicast address in tests. */
  target: SsdpTarget;
  /** How many M-SEARCH datagrams to send (WiFi multicast loss, §1.1), 1–10. */
  sends: number;
  /** Pause between sends, ms. */
  intervalMs: number;
  /** How long to listen for answers after the socket is bound, ms. */
  timeoutMs: number;
  /** Aborts the search; the iteration then throws `ABORTED`. */
  signal?: AbortSignal | undefined;
  /** IPv4 address of the local interface to bind to and send multicast from (multi-NIC hosts). */
  bindAddress?: string | undefined;
  /** MX header, seconds. Default 1 (Sony's SDK sample). */
  mx?: number | undefined;
  /** Optional USER-AGENT header (DG120 shows one; cameras answer without it, §1.2). */
  userAgent?: string | undefined;
}

/** Something that runs an SSDP search: the real dgram searcher, or a test double. */
export interface SsdpSearcher {
  /**
   * Sends the M-SEARCH and yields each distinct answer (deduplicated by USN, else LOCATION) as it
   * arrives. The iteration ends when `timeoutMs` has passed; breaking out early stops the search
   * and closes the socket.
   * @throws BridgeError ABORTED when `signal` fires; CAMERA_UNREACHABLE when the socket cannot
   *   bind or send (no route, interface down); CONFIG_INVALID for bad options
   */
  search(options: SsdpSearchOptions): AsyncIterable<SsdpResponse>;
}

/**
 * The M-SEARCH request text (camera-api.md §1.1): request line, HOST (the target), MAN with
 * quotes, MX, ST, optional USER-AGENT, CRLF line ends and the closing blank line.
 */
export function buildMSearch(options: {
  target: SsdpTarget;
  st: string;
  mx?: number | undefined;
  userAgent?: string | undefined;
}): string {
  const lines = [
    "M-SEARCH * HTTP/1.1",
    `HOST: ${options.target.address}:${options.target.port}`,
    'MAN: "ssdp:discover"',
    `MX: ${options.mx ?? 1}`,
    `ST: ${options.st}`,
  ];
  if (options.userAgent !== undefined) lines.push(`USER-AGENT: ${options.userAgent}`);
  return `${lines.join("\r\n")}\r\n\r\n`;
}

function isMulticast(address: string): boolean {
  const first = Number(address.split(".")[0]);
  return first >= 224 && first <= 239;
}

function invalid(message: string): BridgeError {
  return new BridgeError("CONFIG_INVALID", `SSDP search: ${message}`);
}

function validate(o: SsdpSearchOptions): void {
  if (!isIPv4(o.target.address)) throw invalid(`target ${o.target.address} is not IPv4`);
  if (!Number.isInteger(o.target.port) || o.target.port < 1 || o.target.port > 65535) {
    throw invalid(`target port ${o.target.port} out of range`);
  }
  if (!Number.isInteger(o.sends) || o.sends < 1 || o.sends > 10) {
    throw invalid("sends must be an integer 1–10");
  }
  if (!(o.intervalMs >= 0) || !(o.timeoutMs > 0)) {
    throw invalid("intervalMs must be ≥ 0 and timeoutMs > 0");
  }
  if (o.bindAddress !== undefined && !isIPv4(o.bindAddress)) {
    throw invalid(`bind address ${o.bindAddress} is not an IPv4 address`);
  }
  if (/[\r\n]/.test(o.st) || /[\r\n]/.test(o.userAgent ?? "")) throw invalid("header with CR/LF");
}

function socketError(e: unknown, what: string): BridgeError {
  if (e instanceof BridgeError) return e;
  return new BridgeError("CAMERA_UNREACHABLE", `SSDP ${what} failed`, { cause: e });
}

/** Closes a dgram socket once, waiting for it to be closed. */
async function closeSocket(socket: Socket): Promise<void> {
  await new Promise<void>((resolve) => {
    try {
      socket.close(() => {
        resolve();
      });
    } catch {
      resolve(); // already closed (ERR_SOCKET_DGRAM_NOT_RUNNING)
    }
  });
}

/**
 * {@link SsdpSearcher} on a node:dgram UDP socket. It binds an ephemeral port (on `bindAddress`
 * or all interfaces), sends the M-SEARCH `sends` times `intervalMs` apart to the target, and
 * collects unicast answers; it never joins a multicast group. For a multicast target with a
 * `bindAddress` it sends out of that interface.
 */
export class DgramSsdpSearcher implements SsdpSearcher {
  /** See {@link SsdpSearcher.search}. */
  async *search(options: SsdpSearchOptions): AsyncGenerator<SsdpResponse, void, undefined> {
    validate(options);
    const { signal } = options;
    throwIfAborted(signal);
    const request = Buffer.from(buildMSearch(options), "latin1");
    const socket = createSocket({ type: "udp4" });
    const queue: SsdpResponse[] = [];
    const seen = new Set<string>();
    let failure: BridgeError | undefined;
    let wake: (() => void) | undefined;
    const notify = (): void => {
      wake?.();
    };
    const onError = (e: unknown): void => {
      failure ??= socketError(e, "socket");
      notify();
    };
    socket.on("error", onError);

    const stop = new AbortController();
    let sending: Promise<void> | undefined;
    try {
      socket.bind({ port: 0, address: options.bindAddress ?? "0.0.0.0", exclusive: true });
      try {
        await once(socket, "listening", signal === undefined ? {} : { signal });
      } catch (e) {
        if (signal?.aborted === true) throw abortError(signal);
        throw socketError(e, `bind to ${options.bindAddress ?? "0.0.0.0"}`);
      }
      if (isMulticast(options.target.address) && options.bindAddress !== undefined) {
        // Multi-NIC hosts: send the multicast out of the camera's WiFi, not the default route.
        try {
          socket.setMulticastInterface(options.bindAddress);
        } catch (e) {
          throw socketError(e, `multicast on ${options.bindAddress}`);
        }
      }

      const parts: AbortSignal[] = [AbortSignal.timeout(options.timeoutMs), stop.signal];
      if (signal !== undefined) parts.push(signal);
      const ended = AbortSignal.any(parts);

      socket.on("message", (msg: Buffer, rinfo: RemoteInfo) => {
        if (ended.aborted || msg.length > MAX_SSDP_DATAGRAM_BYTES) return;
        if (seen.size >= MAX_SSDP_RESPONSES) return;
        const parsed = parseSsdpResponse(msg.toString("latin1"));
        if (parsed === null) return;
        // Only answers for what we asked (a camera may also answer other STs, §1.1).
        if (options.st !== "ssdp:all" && parsed.st?.toLowerCase() !== options.st.toLowerCase()) {
          return;
        }
        const key = parsed.usn ?? parsed.location;
        if (seen.has(key)) return; // repeated sends → repeated answers
        seen.add(key);
        queue.push({ ...parsed, from: { address: rinfo.address, port: rinfo.port } });
        notify();
      });

      const sendOnce = async (): Promise<void> => {
        await new Promise<void>((resolve, reject) => {
          socket.send(request, options.target.port, options.target.address, (err) => {
            if (err === null) resolve();
            else reject(err);
          });
        });
      };
      const sendAll = async (): Promise<void> => {
        for (let i = 0; i < options.sends && !ended.aborted; i++) {
          try {
            await sendOnce();
          } catch (e) {
            // Only fatal when nothing went out; after one good send, keep listening for answers.
            if (i === 0) {
              onError(socketError(e, `send to ${options.target.address}:${options.target.port}`));
            }
            return;
          }
          if (i + 1 < options.sends && !(await sleepUnlessAborted(options.intervalMs, ended))) {
            return;
          }
        }
      };
      sending = sendAll();

      for (;;) {
        if (signal?.aborted === true) throw abortError(signal);
        const next = queue.shift();
        if (next !== undefined) {
          yield next;
          continue;
        }
        if (failure !== undefined) throw failure;
        if (ended.aborted) return;
        await new Promise<void>((resolve) => {
          const done = (): void => {
            ended.removeEventListener("abort", done);
            wake = undefined;
            resolve();
          };
          wake = done;
          ended.addEventListener("abort", done, { once: true });
        });
      }
    } finally {
      stop.abort();
      await sending;
      socket.removeAllListeners("message");
      await closeSocket(socket);
      socket.off("error", onError);
    }
  }
}

/** The default {@link SsdpSearcher} (node:dgram). */
export function createSsdpSearcher(): SsdpSearcher {
  return new DgramSsdpSearcher();
}

/**
 * Turns an `--interface` value into an IPv4 address to bind to: an IPv4 address is returned as
 * is; an interface name (e.g. `wlan0`) is looked up for its first IPv4 address.
 * @throws BridgeError USAGE when it is neither an IPv4 address nor an interface with one
 */
export function resolveBindAddress(nameOrAddress: string): string {
  if (isIPv4(nameOrAddress)) return nameOrAddress;
  const addresses = networkInterfaces()[nameOrAddress] ?? [];
  const v4 = addresses.find((a) => a.family === "IPv4");
  if (v4 === undefined) {
    throw new BridgeError(
      "USAGE",
      `interface ${JSON.stringify(nameOrAddress)} is not an IPv4 address nor an interface with one`,
    );
  }
  return v4.address;
}
