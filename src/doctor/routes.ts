/**
 * The Linux IPv4 routing table as `/proc/net/route` shows it, and route lookups on it. Pure: text
 * in, values out (the caller reads the file).
 *
 * Why the doctor cares (docs/network.md): the QX10 is its own access point at 10.0.0.1
 * (camera-api.md §1.1, §1.4). Joining its Wi-Fi gives the host an address in 10.0.0.0/x and, unless
 * told otherwise, a default route through the camera, which routes nothing: the broker and the
 * internet become unreachable.
 *
 * File format (one header line, then one route per line, tab separated):
 * `Iface Destination Gateway Flags RefCnt Use Metric Mask MTU Window IRTT`, where Destination,
 * Gateway and Mask are the 32-bit address in *host* byte order printed as `%08X`, so on the
 * little-endian machines everyone runs (x86, ARM) `0102A8C0` is 192.168.2.1. Flags is hex.
 */

/** `RTF_UP`: the route is usable. */
export const RTF_UP = 0x0001;
/** `RTF_GATEWAY`: the destination is reached through a gateway (else directly connected). */
export const RTF_GATEWAY = 0x0002;
/** `RTF_HOST`: a host route (mask /32). */
export const RTF_HOST = 0x0004;
/** `RTF_REJECT`: an unreachable route; lookups that end here fail. */
export const RTF_REJECT = 0x0200;

/** One route of the table. Addresses are dotted quads; `*Int` fields are the unsigned values. */
export interface RouteEntry {
  /** Interface name, e.g. `wlan0`. */
  iface: string;
  /** Destination network, e.g. `10.0.0.0` (`0.0.0.0` for a default route). */
  destination: string;
  /** Gateway, `0.0.0.0` when the network is directly connected. */
  gateway: string;
  /** Netmask, e.g. `255.255.255.0`. */
  mask: string;
  /** Prefix length of `mask` (0 for a default route). */
  prefixLength: number;
  /** `RTF_*` flags. */
  flags: number;
  /** Route metric; lower wins among routes of the same prefix length. */
  metric: number;
  /** `destination` as an unsigned 32-bit number (network order value, i.e. 10.0.0.0 = 0x0a000000). */
  destinationInt: number;
  /** `mask` as an unsigned 32-bit number. */
  maskInt: number;
}

/** Result of {@link parseProcNetRoute}. */
export interface ParsedRouteTable {
  routes: RouteEntry[];
  /** One line per malformed row (`line N: ...`); such rows are skipped. */
  problems: string[];
}

/** Byte order of the machine that wrote the file. */
export type Endianness = "LE" | "BE";

/** Dotted quad of an unsigned 32-bit address value (0x0a000001 → `10.0.0.1`). */
export function formatIPv4(value: number): string {
  const v = value >>> 0;
  return [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff].join(".");
}

/** Unsigned 32-bit value of a dotted quad, or null when `text` is not an IPv4 address. */
export function parseIPv4(text: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (m === null) return null;
  let value = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(m[i]);
    if (octet > 255) return null;
    value = value * 256 + octet;
  }
  return value >>> 0;
}

/** True for 127.0.0.0/8. */
export function isLoopback(address: string): boolean {
  const v = parseIPv4(address);
  return v !== null && v >>> 24 === 127;
}

/** Decodes one `%08X` field in host byte order into the network-order value. */
function decodeHexAddress(hex: string, endianness: Endianness): number | null {
  if (!/^[0-9A-Fa-f]{8}$/.test(hex)) return null;
  const n = Number.parseInt(hex, 16) >>> 0;
  if (endianness === "BE") return n;
  // Little endian: the first octet of the address is the lowest byte of the printed number.
  return (
    (((n & 0xff) << 24) | (((n >>> 8) & 0xff) << 16) | (((n >>> 16) & 0xff) << 8) | (n >>> 24)) >>>
    0
  );
}

/** Prefix length of a contiguous netmask, or null when the mask has holes. */
export function prefixLengthOf(mask: number): number | null {
  const m = mask >>> 0;
  let length = 0;
  while (length < 32 && ((m >>> (31 - length)) & 1) === 1) length++;
  const rebuilt = length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
  return rebuilt === m ? length : null;
}

/**
 * Parses the text of `/proc/net/route`. The header line (starting with `Iface`) and blank lines
 * are skipped; malformed rows are reported in `problems` and skipped, never thrown.
 * @param endianness - byte order of the machine that wrote the file; default `"LE"`
 */
export function parseProcNetRoute(text: string, endianness: Endianness = "LE"): ParsedRouteTable {
  const routes: RouteEntry[] = [];
  const problems: string[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, index) => {
    const fields = line.trim().split(/\s+/);
    const [iface, destHex, gwHex, flagsHex, , , metricText, maskHex] = fields;
    if (iface === undefined || iface === "" || iface === "Iface") return;
    if (maskHex === undefined || metricText === undefined || flagsHex === undefined) {
      problems.push(`line ${index + 1}: expected at least 8 fields`);
      return;
    }
    const destination = decodeHexAddress(destHex ?? "", endianness);
    const gateway = decodeHexAddress(gwHex ?? "", endianness);
    const mask = decodeHexAddress(maskHex, endianness);
    const flags = /^[0-9A-Fa-f]{1,8}$/.test(flagsHex) ? Number.parseInt(flagsHex, 16) : Number.NaN;
    const metric = /^\d+$/.test(metricText) ? Number(metricText) : Number.NaN;
    if (destination === null || gateway === null || mask === null) {
      problems.push(`line ${index + 1}: an address is not 8 hex digits`);
      return;
    }
    if (!Number.isFinite(flags) || !Number.isFinite(metric)) {
      problems.push(`line ${index + 1}: bad flags or metric`);
      return;
    }
    const prefixLength = prefixLengthOf(mask);
    if (prefixLength === null) {
      problems.push(`line ${index + 1}: mask ${formatIPv4(mask)} is not contiguous`);
      return;
    }
    routes.push({
      iface,
      destination: formatIPv4(destination),
      gateway: formatIPv4(gateway),
      mask: formatIPv4(mask),
      prefixLength,
      flags,
      metric,
      destinationInt: destination,
      maskInt: mask,
    });
  });
  return { routes, problems };
}

function usable(route: RouteEntry): boolean {
  return (route.flags & RTF_UP) !== 0;
}

/** True when `route` covers `address` (an unsigned value). */
function covers(route: RouteEntry, address: number): boolean {
  return (address & route.maskInt) >>> 0 === route.destinationInt;
}

/** Options of {@link lookupRoute}. */
export interface LookupOptions {
  /** Ignore default routes (prefix length 0): "is there a route *other* than the default?". */
  excludeDefault?: boolean;
}

/**
 * The route the kernel would pick for `address` from the main table: the longest matching prefix,
 * then the lowest metric. Returns null when nothing matches or the match is a reject route.
 * Routes that are not up are ignored. (Policy routing and the `local` table are not modelled:
 * the machine's own addresses and 127.0.0.0/8 do not appear in /proc/net/route.)
 */
export function lookupRoute(
  routes: readonly RouteEntry[],
  address: string,
  options: LookupOptions = {},
): RouteEntry | null {
  const value = parseIPv4(address);
  if (value === null) return null;
  let best: RouteEntry | null = null;
  for (const r of routes) {
    if (!usable(r) || !covers(r, value)) continue;
    if (options.excludeDefault === true && r.prefixLength === 0) continue;
    if (
      best === null ||
      r.prefixLength > best.prefixLength ||
      (r.prefixLength === best.prefixLength && r.metric < best.metric)
    ) {
      best = r;
    }
  }
  if (best !== null && (best.flags & RTF_REJECT) !== 0) return null;
  return best;
}

/** The usable default routes (prefix length 0), best (lowest metric) first. */
export function defaultRoutes(routes: readonly RouteEntry[]): RouteEntry[] {
  return routes
    .filter((r) => usable(r) && r.prefixLength === 0 && (r.flags & RTF_REJECT) === 0)
    .sort((a, b) => a.metric - b.metric);
}

/** `10.0.0.0/24 dev wlan0` or `default via 192.168.1.1 dev eth0 metric 100`, like `ip route`. */
export function describeRoute(route: RouteEntry): string {
  const target =
    route.prefixLength === 0 ? "default" : `${route.destination}/${route.prefixLength}`;
  const via = (route.flags & RTF_GATEWAY) !== 0 ? ` via ${route.gateway}` : "";
  const metric = route.metric !== 0 ? ` metric ${route.metric}` : "";
  return `${target}${via} dev ${route.iface}${metric}`;
}
