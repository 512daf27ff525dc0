/**
 * Pure parsers for discovery (camera-api.md §1): the SSDP M-SEARCH answer and the UPnP device
 * description (dd.xml) with its Sony `X_ScalarWebAPI_DeviceInfo` part. Strings in, values out; no
 * I/O, no timers.
 *
 * No XML library is installed, so this file carries a small, strict, bounded XML parser: enough
 * for UPnP descriptions (elements, attributes, namespaces with scoping, text, the five predefined
 * entities and numeric references, CDATA, comments, processing instructions). DOCTYPE is refused
 * (no real description has one, and refusing it rules out entity-expansion tricks).
 */
import { BridgeError } from "../errors.js";
import { type CameraDescription, type CameraService } from "./types.js";

/** Largest device description accepted, in characters (real ones are 2–4 KB, §1.3). */
export const MAX_DESCRIPTION_CHARS = 256 * 1024;

/** Deepest element nesting accepted (real descriptions nest 6 deep). */
export const MAX_XML_DEPTH = 64;

/** Namespace of the Sony part of the description (camera-api.md §1.3). */
export const SONY_AV_NAMESPACE = "urn:schemas-sony-com:av";

/** Default namespace of a UPnP device description. */
export const UPNP_DEVICE_NAMESPACE = "urn:schemas-upnp-org:device-1-0";

/** The API services a camera can list (camera-api.md §3.1), in the order endpoints are built. */
export const CAMERA_SERVICES: readonly CameraService[] = [
  "camera",
  "system",
  "guide",
  "accessControl",
  "avContent",
];

const XML_NAMESPACE = "http://www.w3.org/XML/1998/namespace";
const XMLNS_NAMESPACE = "http://www.w3.org/2000/xmlns/";

// ---------------------------------------------------------------------------------------------
// XML

/** One parsed element: expanded name, child elements and its own (direct) character data. */
export interface XmlElement {
  /** Namespace URI, or null when the element is in no namespace. */
  readonly namespace: string | null;
  /** Local name (the part after the prefix). */
  readonly localName: string;
  /** Child elements in document order. */
  readonly children: XmlElement[];
  /** Concatenated character data directly inside this element (text and CDATA, entities decoded). */
  text: string;
}

/** Limits of {@link parseXml}. */
export interface XmlLimits {
  /** Maximum document length in characters. Default {@link MAX_DESCRIPTION_CHARS}. */
  maxChars?: number;
  /** Maximum element depth (the root is depth 1). Default {@link MAX_XML_DEPTH}. */
  maxDepth?: number;
}

/** Prefix → URI bindings of one element, chained to the enclosing element's scope. */
interface NsScope {
  readonly bindings: ReadonlyMap<string, string | null>;
  readonly parent: NsScope | null;
}

const ROOT_SCOPE: NsScope = { bindings: new Map([["xml", XML_NAMESPACE]]), parent: null };

function lookupNamespace(scope: NsScope, prefix: string): string | null | undefined {
  for (let s: NsScope | null = scope; s !== null; s = s.parent) {
    if (s.bindings.has(prefix)) return s.bindings.get(prefix);
  }
  return prefix === "" ? null : undefined;
}

function malformed(message: string, offset: number): BridgeError {
  return new BridgeError("CAMERA_DESCRIPTION", `malformed device description: ${message}`, {
    context: { offset },
  });
}

// XML 1.0 (5th ed.) NameStartChar / NameChar, restricted to the Basic Multilingual Plane.
function isNameStart(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) || // a-z
    (c >= 0x41 && c <= 0x5a) || // A-Z
    c === 0x3a || // ':'
    c === 0x5f || // '_'
    (c >= 0xc0 && c <= 0xd6) ||
    (c >= 0xd8 && c <= 0xf6) ||
    (c >= 0xf8 && c <= 0x2ff) ||
    (c >= 0x370 && c <= 0x37d) ||
    (c >= 0x37f && c <= 0x1fff) ||
    c === 0x200c ||
    c === 0x200d ||
    (c >= 0x2070 && c <= 0x218f) ||
    (c >= 0x2c00 && c <= 0x2fef) ||
    (c >= 0x3001 && c <= 0xd7ff) ||
    (c >= 0xf900 && c <= 0xfdcf) ||
    (c >= 0xfdf0 && c <= 0xfffd)
  );
}

function isNameChar(c: number): boolean {
  return (
    isNameStart(c) ||
    c === 0x2d || // '-'
    c === 0x2e || // '.'
    (c >= 0x30 && c <= 0x39) ||
    c === 0xb7 ||
    (c >= 0x300 && c <= 0x36f) ||
    c === 0x203f ||
    c === 0x2040
  );
}

const WS_RE = /[ \t\n]*/y;

/** Index of the first character XML 1.0 forbids (controls, U+FFFE/F, lone surrogates), or -1. */
function forbiddenCharIndex(doc: string): number {
  for (let i = 0; i < doc.length; i++) {
    const c = doc.charCodeAt(i);
    if (c >= 0x20 && c < 0xd800) continue;
    if (c === 0x9 || c === 0xa || c === 0xd) continue;
    if (c < 0x20 || c === 0xfffe || c === 0xffff) return i;
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = doc.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i += 1;
        continue;
      }
      return i;
    }
    if (c >= 0xdc00 && c <= 0xdfff) return i;
  }
  return -1;
}

const XML_DECL_RE =
  /<\?xml[ \t\n]+version[ \t\n]*=[ \t\n]*(["'])1\.[0-9]+\1(?:[ \t\n]+encoding[ \t\n]*=[ \t\n]*(["'])[A-Za-z][A-Za-z0-9._-]*\2)?(?:[ \t\n]+standalone[ \t\n]*=[ \t\n]*(["'])(?:yes|no)\3)?[ \t\n]*\?>/y;

function isAllowedCodePoint(cp: number): boolean {
  return (
    cp === 0x9 ||
    cp === 0xa ||
    cp === 0xd ||
    (cp >= 0x20 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

/** Decodes entity and character references in text or an attribute value. */
function decodeReferences(raw: string, offset: number): string {
  let amp = raw.indexOf("&");
  if (amp < 0) return raw;
  let out = "";
  let from = 0;
  while (amp >= 0) {
    out += raw.slice(from, amp);
    const semi = raw.indexOf(";", amp);
    // The longest legal reference is "&#x10FFFF;" (10 characters); "&quot;" is 6.
    if (semi < 0 || semi - amp > 10) throw malformed("'&' that starts no reference", offset + amp);
    const name = raw.slice(amp + 1, semi);
    let decoded: string;
    switch (name) {
      case "amp":
        decoded = "&";
        break;
      case "lt":
        decoded = "<";
        break;
      case "gt":
        decoded = ">";
        break;
      case "quot":
        decoded = '"';
        break;
      case "apos":
        decoded = "'";
        break;
      default: {
        const m = /^#(?:x([0-9A-Fa-f]{1,6})|([0-9]{1,7}))$/.exec(name);
        const digits = m?.[1] ?? m?.[2];
        if (m === null || digits === undefined) {
          throw malformed(`unknown entity '&${name};'`, offset + amp);
        }
        const cp = Number.parseInt(digits, m[1] === undefined ? 10 : 16);
        if (!isAllowedCodePoint(cp)) {
          throw malformed(`character reference to a forbidden character`, offset + amp);
        }
        decoded = String.fromCodePoint(cp);
      }
    }
    out += decoded;
    from = semi + 1;
    amp = raw.indexOf("&", from);
  }
  return out + raw.slice(from);
}

/** Splits a qualified name into prefix and local part; rejects names with empty parts or 2+ colons. */
function splitQName(qname: string, offset: number): [string, string] {
  const colon = qname.indexOf(":");
  if (colon < 0) return ["", qname];
  const prefix = qname.slice(0, colon);
  const local = qname.slice(colon + 1);
  if (prefix === "" || local === "" || local.includes(":")) {
    throw malformed(`bad qualified name '${qname}'`, offset);
  }
  return [prefix, local];
}

interface OpenElement {
  readonly qname: string;
  readonly element: XmlElement;
  readonly scope: NsScope;
}

/**
 * Parses an XML document into its root {@link XmlElement}, resolving namespaces. Strict enough to
 * refuse what is not well-formed; bounded in size and depth.
 * @param input - the document as a string (a leading BOM is ignored)
 * @throws BridgeError CAMERA_DESCRIPTION when the document is malformed, larger than
 *   `maxChars`, nested deeper than `maxDepth`, or has a DOCTYPE
 */
export function parseXml(input: string, limits: XmlLimits = {}): XmlElement {
  const maxChars = limits.maxChars ?? MAX_DESCRIPTION_CHARS;
  const maxDepth = limits.maxDepth ?? MAX_XML_DEPTH;
  if (input.length > maxChars) {
    throw malformed(`document larger than ${maxChars} characters`, maxChars);
  }
  // XML 1.0 §2.11: every CRLF / lone CR is read as LF.
  const doc = (input.startsWith("\uFEFF") ? input.slice(1) : input).replace(/\r\n?/g, "\n");
  const bad = forbiddenCharIndex(doc);
  if (bad >= 0) throw malformed("character not allowed in XML", bad);

  let pos = 0;
  const stack: OpenElement[] = [];
  // A holder, not a `let`: the start-tag closure sets it and flow analysis cannot see that.
  const found: { root: XmlElement | null } = { root: null };

  const skipWs = (): boolean => {
    WS_RE.lastIndex = pos;
    WS_RE.test(doc);
    const moved = WS_RE.lastIndex > pos;
    pos = WS_RE.lastIndex;
    return moved;
  };
  const readName = (what: string): string => {
    const start = pos;
    if (!isNameStart(doc.charCodeAt(pos))) throw malformed(`expected ${what}`, pos);
    pos += 1;
    while (pos < doc.length && isNameChar(doc.charCodeAt(pos))) pos += 1;
    return doc.slice(start, pos);
  };
  const expect = (s: string): void => {
    if (!doc.startsWith(s, pos)) throw malformed(`expected '${s}'`, pos);
    pos += s.length;
  };
  const skipUntil = (end: string, what: string): string => {
    const at = doc.indexOf(end, pos);
    if (at < 0) throw malformed(`unterminated ${what}`, pos);
    const body = doc.slice(pos, at);
    pos = at + end.length;
    return body;
  };

  XML_DECL_RE.lastIndex = 0;
  if (XML_DECL_RE.test(doc)) pos = XML_DECL_RE.lastIndex;
  else if (/^<\?xml[ \t\n?]/i.test(doc)) throw malformed("bad XML declaration", 0);

  const startTag = (): void => {
    const tagStart = pos;
    pos += 1; // '<'
    const qname = readName("element name");
    const attrs: { qname: string; value: string; offset: number }[] = [];
    let selfClosing = false;
    for (;;) {
      const hadWs = skipWs();
      if (doc.startsWith("/>", pos)) {
        pos += 2;
        selfClosing = true;
        break;
      }
      if (doc.startsWith(">", pos)) {
        pos += 1;
        break;
      }
      if (pos >= doc.length) throw malformed(`unterminated tag <${qname}>`, tagStart);
      if (!hadWs) throw malformed("expected whitespace before attribute", pos);
      const offset = pos;
      const name = readName("attribute name");
      skipWs();
      expect("=");
      skipWs();
      const quote = doc[pos];
      if (quote !== '"' && quote !== "'") throw malformed("attribute value without quotes", pos);
      pos += 1;
      const raw = skipUntil(quote, "attribute value");
      if (raw.includes("<")) throw malformed("'<' in attribute value", offset);
      if (attrs.some((a) => a.qname === name)) {
        throw malformed(`duplicate attribute '${name}'`, offset);
      }
      // XML 1.0 §3.3.3: literal whitespace characters in attribute values read as spaces.
      attrs.push({
        qname: name,
        value: decodeReferences(raw.replace(/[\t\n]/g, " "), offset),
        offset,
      });
    }

    // Namespace declarations first: they apply to the element's own name and attributes.
    const parentScope = stack.at(-1)?.scope ?? ROOT_SCOPE;
    const bindings = new Map<string, string | null>();
    for (const a of attrs) {
      if (a.qname === "xmlns") {
        bindings.set("", a.value === "" ? null : a.value);
      } else if (a.qname.startsWith("xmlns:")) {
        const [, prefix] = splitQName(a.qname, a.offset);
        if (prefix === "xmlns") throw malformed("the xmlns prefix cannot be declared", a.offset);
        if (a.value === "") throw malformed(`empty namespace for prefix '${prefix}'`, a.offset);
        if ((prefix === "xml") !== (a.value === XML_NAMESPACE) || a.value === XMLNS_NAMESPACE) {
          throw malformed(`reserved namespace misused by prefix '${prefix}'`, a.offset);
        }
        bindings.set(prefix, a.value);
      }
    }
    const scope: NsScope = bindings.size === 0 ? parentScope : { bindings, parent: parentScope };
    const expanded = new Set<string>();
    for (const a of attrs) {
      if (a.qname === "xmlns" || a.qname.startsWith("xmlns:")) continue;
      const [prefix, local] = splitQName(a.qname, a.offset);
      const ns = prefix === "" ? null : lookupNamespace(scope, prefix);
      if (ns === undefined) throw malformed(`unbound prefix '${prefix}'`, a.offset);
      const key = `${ns ?? ""} ${local}`;
      if (expanded.has(key)) throw malformed(`duplicate attribute '${a.qname}'`, a.offset);
      expanded.add(key);
    }
    const [prefix, localName] = splitQName(qname, tagStart);
    const namespace = lookupNamespace(scope, prefix);
    if (namespace === undefined) throw malformed(`unbound prefix '${prefix}'`, tagStart);

    const element: XmlElement = { namespace, localName, children: [], text: "" };
    const parent = stack.at(-1);
    if (parent === undefined) {
      if (found.root !== null) throw malformed("more than one root element", tagStart);
      found.root = element;
    } else {
      parent.element.children.push(element);
    }
    if (!selfClosing) {
      if (stack.length >= maxDepth) {
        throw malformed(`elements nested deeper than ${maxDepth}`, tagStart);
      }
      stack.push({ qname, element, scope });
    }
  };

  while (pos < doc.length) {
    const lt = doc.indexOf("<", pos);
    const textEnd = lt < 0 ? doc.length : lt;
    if (textEnd > pos) {
      const raw = doc.slice(pos, textEnd);
      const open = stack.at(-1);
      if (open === undefined) {
        if (!/^[ \t\n]*$/.test(raw)) throw malformed("text outside the root element", pos);
      } else {
        if (raw.includes("]]>")) throw malformed("']]>' in text", pos);
        open.element.text += decodeReferences(raw, pos);
      }
      pos = textEnd;
      continue;
    }
    // At '<'.
    if (doc.startsWith("<!--", pos)) {
      const at = pos;
      pos += 4;
      const body = skipUntil("-->", "comment");
      if (body.includes("--") || body.endsWith("-")) throw malformed("'--' inside a comment", at);
    } else if (doc.startsWith("<![CDATA[", pos)) {
      const open = stack.at(-1);
      if (open === undefined) throw malformed("CDATA outside the root element", pos);
      pos += 9;
      open.element.text += skipUntil("]]>", "CDATA section");
    } else if (doc.startsWith("<!", pos)) {
      throw malformed(
        doc.startsWith("<!DOCTYPE", pos) ? "DOCTYPE is not accepted" : "unknown markup '<!'",
        pos,
      );
    } else if (doc.startsWith("<?", pos)) {
      const at = pos;
      pos += 2;
      const target = readName("processing instruction target");
      if (target.toLowerCase() === "xml") throw malformed("XML declaration not at the start", at);
      if (!doc.startsWith("?>", pos) && !skipWs())
        throw malformed("bad processing instruction", pos);
      skipUntil("?>", "processing instruction");
    } else if (doc.startsWith("</", pos)) {
      const at = pos;
      pos += 2;
      const qname = readName("element name");
      skipWs();
      expect(">");
      const open = stack.pop();
      if (open === undefined) throw malformed(`end tag </${qname}> without start tag`, at);
      if (open.qname !== qname) {
        throw malformed(`end tag </${qname}> does not match <${open.qname}>`, at);
      }
    } else {
      if (found.root !== null && stack.length === 0) {
        throw malformed("element after the root element", pos);
      }
      startTag();
    }
  }
  const unclosed = stack.at(-1);
  if (unclosed !== undefined) throw malformed(`unclosed element <${unclosed.qname}>`, doc.length);
  if (found.root === null) throw malformed("no root element", doc.length);
  return found.root;
}

// ---------------------------------------------------------------------------------------------
// Device description

type Match = (e: XmlElement) => boolean;

/**
 * UPnP elements: in the UPnP device namespace, or in no namespace at all (hand-written
 * descriptions that forget `xmlns`). Never another namespace: `dlna:friendlyName` is not ours.
 */
const upnp =
  (localName: string): Match =>
  (e) =>
    e.localName === localName && (e.namespace === UPNP_DEVICE_NAMESPACE || e.namespace === null);

/** Sony elements: only in `urn:schemas-sony-com:av`, whatever prefix (or default) binds it. */
const sony =
  (localName: string): Match =>
  (e) =>
    e.localName === localName && e.namespace === SONY_AV_NAMESPACE;

const child = (e: XmlElement | undefined, match: Match): XmlElement | undefined =>
  e?.children.find(match);

function findDeep(e: XmlElement, match: Match): XmlElement | undefined {
  for (const c of e.children) {
    if (match(c)) return c;
    const found = findDeep(c, match);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Character data of an element with XML whitespace trimmed; null when absent or empty. */
function textOf(e: XmlElement | undefined): string | null {
  if (e === undefined) return null;
  const t = e.text.replace(/^[ \t\n]+|[ \t\n]+$/g, "");
  return t === "" ? null : t;
}

// Service names are URL path segments; anything else would change the endpoint's meaning.
const SERVICE_TYPE_RE = /^[A-Za-z][A-Za-z0-9_]*$/;

/** `ActionList_URL + "/" + service` (DG120 p.13), tolerating trailing slashes on the base. */
function endpointOf(actionListUrl: string, service: string): string {
  return `${actionListUrl.replace(/\/+$/, "")}/${service}`;
}

/**
 * Parses a UPnP device description (dd.xml) into a {@link CameraDescription}
 * (camera-api.md §1.3). Namespace-aware: the Sony part is found by namespace
 * `urn:schemas-sony-com:av` under any prefix, never by prefix.
 *
 * Endpoints are `X_ScalarWebAPI_ActionList_URL + "/" + X_ScalarWebAPI_ServiceType` per listed
 * service (the first entry wins when a service is listed twice). The liveview URL is kept
 * verbatim (only surrounding whitespace is trimmed).
 * @param xml - the document text
 * @param location - the URL it was fetched from (the SSDP LOCATION), or null
 * @throws BridgeError CAMERA_DESCRIPTION when the XML is malformed, oversize (more than
 *   {@link MAX_DESCRIPTION_CHARS}) or too deep, when it is not a UPnP device description, or when a
 *   listed ActionList URL is not an absolute http(s) URL
 * @throws BridgeError CAMERA_NOT_FOUND when it lists no ScalarWebAPI service ("not a Camera
 *   Remote API device")
 */
export function parseDeviceDescription(xml: string, location: string | null): CameraDescription {
  const root = parseXml(xml);
  if (!upnp("root")(root)) {
    throw new BridgeError("CAMERA_DESCRIPTION", "not a UPnP device description (root element)", {
      context: { location, root: root.localName },
    });
  }
  const device = child(root, upnp("device"));
  if (device === undefined) {
    throw new BridgeError("CAMERA_DESCRIPTION", "device description has no <device>", {
      context: { location },
    });
  }
  // Directly under <device> in every sample; searched deeper too for embedded devices.
  const info =
    child(device, sony("X_ScalarWebAPI_DeviceInfo")) ??
    findDeep(device, sony("X_ScalarWebAPI_DeviceInfo"));
  const serviceList = child(info, sony("X_ScalarWebAPI_ServiceList"));
  const serviceEntries = serviceList?.children.filter(sony("X_ScalarWebAPI_Service")) ?? [];

  const endpoints = new Map<string, string>();
  for (const entry of serviceEntries) {
    const type = textOf(child(entry, sony("X_ScalarWebAPI_ServiceType")));
    const url = textOf(child(entry, sony("X_ScalarWebAPI_ActionList_URL")));
    if (type === null || url === null) continue;
    if (!SERVICE_TYPE_RE.test(type)) continue;
    if (!/^https?:\/\/[^/?#]/i.test(url) || !URL.canParse(url)) {
      throw new BridgeError(
        "CAMERA_DESCRIPTION",
        `ActionList URL of service ${type} is not an http URL`,
        { context: { location, url } },
      );
    }
    if (!endpoints.has(type)) endpoints.set(type, endpointOf(url, type));
  }
  if (endpoints.size === 0) {
    throw new BridgeError(
      "CAMERA_NOT_FOUND",
      "not a Camera Remote API device (no ScalarWebAPI service in its description)",
      { context: { location, friendlyName: textOf(child(device, upnp("friendlyName"))) } },
    );
  }

  const imaging = child(info, sony("X_ScalarWebAPI_ImagingDevice"));
  return {
    location,
    deviceType: textOf(child(device, upnp("deviceType"))),
    friendlyName: textOf(child(device, upnp("friendlyName"))),
    manufacturer: textOf(child(device, upnp("manufacturer"))),
    modelName: textOf(child(device, upnp("modelName"))),
    udn: textOf(child(device, upnp("UDN"))),
    apiVersion: textOf(child(info, sony("X_ScalarWebAPI_Version"))),
    // fromEntries makes own data properties even for odd keys (no prototype games).
    endpoints: Object.fromEntries(endpoints),
    liveviewUrl: textOf(child(imaging, sony("X_ScalarWebAPI_LiveView_URL"))),
    // Under ImagingDevice on QX/AS (§1.3); newer bodies may carry it directly in DeviceInfo.
    defaultFunction: textOf(
      child(imaging, sony("X_ScalarWebAPI_DefaultFunction")) ??
        child(info, sony("X_ScalarWebAPI_DefaultFunction")),
    ),
  };
}

/**
 * Builds a description for a camera given by URL instead of SSDP: the ActionList base
 * (`http://10.0.0.1:10000/sony`) or one service endpoint (`http://10.0.0.1:10000/sony/camera`,
 * whose last segment is dropped). Endpoints for all five services are derived (camera-api.md
 * §1.4); whether the camera serves each one is learnt later. Everything else is unknown (null).
 * The base is used verbatim apart from trailing slashes.
 * @throws BridgeError USAGE when `url` is not an absolute http(s) URL without query or fragment
 *   (the same code as `endpointsFromBaseUrl` in client.ts)
 */
export function descriptionFromCameraUrl(url: string): CameraDescription {
  const m = /^(https?:\/\/[^/?#]+)([^?#]*)$/i.exec(url.trim());
  if (m === null || !URL.canParse(url.trim())) {
    throw new BridgeError(
      "USAGE",
      `camera URL ${JSON.stringify(url)} is not an http URL without query`,
    );
  }
  const origin = m[1] ?? "";
  const segments = (m[2] ?? "").split("/").filter((s) => s !== "");
  const last = segments.at(-1);
  if (last !== undefined && (CAMERA_SERVICES as readonly string[]).includes(last)) segments.pop();
  const base = [origin, ...segments].join("/");
  return {
    location: null,
    deviceType: null,
    friendlyName: null,
    manufacturer: null,
    modelName: null,
    udn: null,
    apiVersion: null,
    endpoints: Object.fromEntries(CAMERA_SERVICES.map((s) => [s, endpointOf(base, s)])),
    liveviewUrl: null,
    defaultFunction: null,
  };
}

// ---------------------------------------------------------------------------------------------
// SSDP response

/** The parts of an SSDP M-SEARCH answer that discovery uses (camera-api.md §1.2). */
export interface ParsedSsdpResponse {
  /** LOCATION: the device description URL, verbatim. */
  location: string;
  /** ST, or null when absent. */
  st: string | null;
  /** USN, or null when absent. */
  usn: string | null;
  /** SERVER, or null when absent. */
  server: string | null;
  /** Every header, names lower-cased, values trimmed; the first of repeated headers wins. */
  headers: Readonly<Record<string, string>>;
}

const MAX_SSDP_HEADERS = 64;
const TOKEN_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Parses the text of an SSDP answer to M-SEARCH. Accepts CRLF or bare LF line ends, header names
 * in any case, and a missing closing blank line (real captures are stored that way). Lines that
 * are not `Name: value` are skipped.
 * @returns the parsed answer, or null when the status line is not `HTTP/1.x 200` or LOCATION is
 *   missing or not an http(s) URL
 */
export function parseSsdpResponse(text: string): ParsedSsdpResponse | null {
  const lines = text.split(/\r?\n/);
  const status = lines[0] ?? "";
  if (!/^HTTP\/1\.[01] +200(?: .*)?$/.test(status.trimEnd())) return null;
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    if (line.trim() === "") break;
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).toLowerCase();
    if (!TOKEN_RE.test(name)) continue;
    if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
    if (headers.size >= MAX_SSDP_HEADERS) break;
  }
  const location = headers.get("location");
  if (location === undefined || !/^https?:\/\/[^/?#]/i.test(location)) return null;
  const opt = (name: string): string | null => {
    const v = headers.get(name);
    return v === undefined || v === "" ? null : v;
  };
  return {
    location,
    st: opt("st"),
    usn: opt("usn"),
    server: opt("server"),
    headers: Object.fromEntries(headers),
  };
}
