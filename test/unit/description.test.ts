import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  descriptionFromCameraUrl,
  MAX_DESCRIPTION_CHARS,
  parseDeviceDescription,
  parseSsdpResponse,
  parseXml,
} from "../../src/camera/description.js";
import { type CameraDescription } from "../../src/camera/types.js";
import { isBridgeError, type ErrorCode } from "../../src/errors.js";
import { haveFixtures, readFixture } from "../helpers/fixtures.js";

function codeOf(fn: () => unknown): ErrorCode | "no error" | "not a BridgeError" {
  try {
    fn();
    return "no error";
  } catch (e) {
    return isBridgeError(e) ? e.code : "not a BridgeError";
  }
}

const QX_LIVEVIEW =
  "http://10.0.0.1:60152/liveview.JPG?%211234%21http%2dget%3a%2a%3aimage%2fjpeg%3a%2a%21%21%21%21%21";

describe.skipIf(!haveFixtures)("parseDeviceDescription on the real samples (§1.3)", () => {
  it("DSC-QX100: four services on :10000/sony, liveview on :60152 verbatim", () => {
    const xml = readFixture("ddxml/DSC-QX100.xml").toString("utf8");
    const d = parseDeviceDescription(xml, "http://10.0.0.1:64321/DmsRmtDesc.xml");
    expect(d).toStrictEqual<CameraDescription>({
      location: "http://10.0.0.1:64321/DmsRmtDesc.xml",
      deviceType: "urn:schemas-upnp-org:device:MediaServer:1",
      friendlyName: "DSC-QX100",
      manufacturer: "Sony Corporation",
      modelName: "SonyImagingDevice",
      udn: "uuid:00000000-0005-0010-8000-1c994c993998",
      apiVersion: "1.0",
      endpoints: {
        guide: "http://10.0.0.1:10000/sony/guide",
        system: "http://10.0.0.1:10000/sony/system",
        accessControl: "http://10.0.0.1:10000/sony/accessControl",
        camera: "http://10.0.0.1:10000/sony/camera",
      },
      liveviewUrl: QX_LIVEVIEW,
      defaultFunction: "RemoteShooting",
    });
    expect(Object.keys(d.endpoints)).toEqual(["guide", "system", "accessControl", "camera"]);
  });

  it("HDR-AS30V: no system service", () => {
    const xml = readFixture("ddxml/HDR-AS30V.xml").toString("utf8");
    expect(parseDeviceDescription(xml, null)).toStrictEqual<CameraDescription>({
      location: null,
      deviceType: "urn:schemas-upnp-org:device:MediaServer:1",
      friendlyName: "HDR-AS30V",
      manufacturer: "Sony Corporation",
      modelName: "SonyImagingDevice",
      udn: "uuid:00000000-0005-0010-8000-1c994c079994",
      apiVersion: "1.0",
      endpoints: {
        guide: "http://10.0.0.1:10000/sony/guide",
        accessControl: "http://10.0.0.1:10000/sony/accessControl",
        camera: "http://10.0.0.1:10000/sony/camera",
      },
      liveviewUrl: QX_LIVEVIEW,
      defaultFunction: "RemoteShooting",
    });
  });

  it("DSC-HX400V (Smart Remote): Basic:1, :8080/sony, no liveview URL, av declared locally", () => {
    const xml = readFixture("ddxml/DSC-HX400V.xml").toString("utf8");
    const loc = "http://192.168.122.1:61000/scalarwebapi_dd.xml";
    expect(parseDeviceDescription(xml, loc)).toStrictEqual<CameraDescription>({
      location: loc,
      deviceType: "urn:schemas-upnp-org:device:Basic:1",
      friendlyName: "DSC-HX400V",
      manufacturer: "Sony Corporation",
      modelName: "SonyImagingDevice",
      udn: "uuid:000000001000-1010-8000-B272BF3A6A3F",
      apiVersion: "1.0",
      endpoints: {
        guide: "http://192.168.122.1:8080/sony/guide",
        accessControl: "http://192.168.122.1:8080/sony/accessControl",
        camera: "http://192.168.122.1:8080/sony/camera",
      },
      liveviewUrl: null,
      defaultFunction: null,
    });
  });

  it("CRLF line ends and a BOM give the same result", () => {
    const xml = readFixture("ddxml/DSC-HX400V.xml").toString("utf8");
    const expected = parseDeviceDescription(xml, null);
    expect(parseDeviceDescription(`\uFEFF${xml.replace(/\n/g, "\r\n")}`, null)).toStrictEqual(
      expected,
    );
  });

  it("never throws anything but CAMERA_DESCRIPTION / CAMERA_NOT_FOUND on mutated samples", () => {
    const xml = readFixture("ddxml/DSC-QX100.xml").toString("utf8");
    fc.assert(
      fc.property(fc.nat(xml.length), fc.nat(40), fc.string({ maxLength: 8 }), (at, del, ins) => {
        const mutated = xml.slice(0, at) + ins + xml.slice(at + del);
        const code = codeOf(() => parseDeviceDescription(mutated, null));
        return ["no error", "CAMERA_DESCRIPTION", "CAMERA_NOT_FOUND"].includes(code);
      }),
      { seed: 20261124, numRuns: 2000 },
    );
  });
});

/** A minimal description; `sony` is inserted inside <device>. */
function doc(sony: string, opts: { rootAttrs?: string; device?: string } = {}): string {
  return (
    `<?xml version="1.0" encoding="utf-8"?>` +
    `<root xmlns="urn:schemas-upnp-org:device-1-0"${opts.rootAttrs ?? ""}><device>` +
    (opts.device ??
      `<deviceType>urn:schemas-upnp-org:device:Basic:1</deviceType><friendlyName>DSC-QX10</friendlyName><UDN>uuid:x</UDN>`) +
    sony +
    `</device></root>`
  );
}

function service(p: string, type: string, url: string): string {
  return (
    `<${p}X_ScalarWebAPI_Service><${p}X_ScalarWebAPI_ServiceType>${type}</${p}X_ScalarWebAPI_ServiceType>` +
    `<${p}X_ScalarWebAPI_ActionList_URL>${url}</${p}X_ScalarWebAPI_ActionList_URL>` +
    `<${p}X_ScalarWebAPI_AccessType/></${p}X_ScalarWebAPI_Service>`
  );
}

function info(p: string, decl: string, body: string): string {
  return `<${p}X_ScalarWebAPI_DeviceInfo${decl}>${body}</${p}X_ScalarWebAPI_DeviceInfo>`;
}

const camOnly = (p: string, url = "http://10.0.0.1:10000/sony"): string =>
  `<${p}X_ScalarWebAPI_ServiceList>${service(p, "camera", url)}</${p}X_ScalarWebAPI_ServiceList>`;

describe("parseDeviceDescription: namespaces", () => {
  it("another prefix bound to urn:schemas-sony-com:av parses the same", () => {
    const a = parseDeviceDescription(
      doc(info("av:", ' xmlns:av="urn:schemas-sony-com:av"', camOnly("av:"))),
      null,
    );
    const b = parseDeviceDescription(
      doc(info("sony:", "", camOnly("sony:")), {
        rootAttrs: ' xmlns:sony="urn:schemas-sony-com:av"',
      }),
      null,
    );
    expect(a.endpoints).toStrictEqual({ camera: "http://10.0.0.1:10000/sony/camera" });
    expect(b).toStrictEqual(a);
  });

  it("Sony elements in the default namespace are found", () => {
    const d = parseDeviceDescription(
      doc(
        info(
          "",
          ' xmlns="urn:schemas-sony-com:av"',
          `<X_ScalarWebAPI_Version>1.1</X_ScalarWebAPI_Version>${camOnly("")}`,
        ),
      ),
      null,
    );
    expect(d.endpoints).toStrictEqual({ camera: "http://10.0.0.1:10000/sony/camera" });
    expect(d.apiVersion).toBe("1.1");
    expect(d.friendlyName).toBe("DSC-QX10");
  });

  it("the av prefix bound to another namespace is not taken", () => {
    const xml = doc(info("av:", ' xmlns:av="urn:example:not-sony"', camOnly("av:")));
    expect(codeOf(() => parseDeviceDescription(xml, null))).toBe("CAMERA_NOT_FOUND");
  });

  it("unprefixed Sony names in the UPnP namespace are not taken", () => {
    expect(codeOf(() => parseDeviceDescription(doc(info("", "", camOnly(""))), null))).toBe(
      "CAMERA_NOT_FOUND",
    );
  });

  it("only the right-namespace entries count when both are present", () => {
    const wrong = `<x:X_ScalarWebAPI_ServiceList xmlns:x="urn:example:other">${service("x:", "system", "http://evil/")}</x:X_ScalarWebAPI_ServiceList>`;
    const right = `<av:X_ScalarWebAPI_ServiceList>${service("av:", "camera", "http://10.0.0.1:10000/sony")}<w:X_ScalarWebAPI_Service xmlns:w="urn:example:other"><w:X_ScalarWebAPI_ServiceType>guide</w:X_ScalarWebAPI_ServiceType><w:X_ScalarWebAPI_ActionList_URL>http://evil</w:X_ScalarWebAPI_ActionList_URL></w:X_ScalarWebAPI_Service></av:X_ScalarWebAPI_ServiceList>`;
    const d = parseDeviceDescription(
      doc(info("av:", ' xmlns:av="urn:schemas-sony-com:av"', wrong + right)),
      null,
    );
    expect(d.endpoints).toStrictEqual({ camera: "http://10.0.0.1:10000/sony/camera" });
  });

  it("a friendlyName in another namespace is not taken", () => {
    const d = parseDeviceDescription(
      doc(info("av:", ' xmlns:av="urn:schemas-sony-com:av"', camOnly("av:")), {
        device: `<d:friendlyName xmlns:d="urn:schemas-dlna-org:device-1-0">Evil</d:friendlyName><friendlyName>DSC-QX10</friendlyName>`,
      }),
      null,
    );
    expect(d.friendlyName).toBe("DSC-QX10");
  });

  it("a prefix redeclared on an inner element applies only inside it", () => {
    const body =
      `<av:X_ScalarWebAPI_ServiceList>${service("av:", "camera", "http://a/sony")}` +
      `<av:X_ScalarWebAPI_Service xmlns:av="urn:example:other"><av:X_ScalarWebAPI_ServiceType>guide</av:X_ScalarWebAPI_ServiceType><av:X_ScalarWebAPI_ActionList_URL>http://b/</av:X_ScalarWebAPI_ActionList_URL></av:X_ScalarWebAPI_Service>` +
      `${service("av:", "system", "http://c/sony")}</av:X_ScalarWebAPI_ServiceList>`;
    const d = parseDeviceDescription(
      doc(info("av:", ' xmlns:av="urn:schemas-sony-com:av"', body)),
      null,
    );
    expect(d.endpoints).toStrictEqual({
      camera: "http://a/sony/camera",
      system: "http://c/sony/system",
    });
  });

  it("a description without the UPnP default namespace is still read", () => {
    const xml = `<root><device><friendlyName>X</friendlyName>${info("av:", ' xmlns:av="urn:schemas-sony-com:av"', camOnly("av:"))}</device></root>`;
    expect(parseDeviceDescription(xml, null).friendlyName).toBe("X");
  });
});

describe("parseDeviceDescription: XML details", () => {
  const sonyDecl = ' xmlns:av="urn:schemas-sony-com:av"';

  it("decodes entities and numeric references; keeps the liveview URL verbatim", () => {
    const lv =
      "http://10.0.0.1:60152/liveview.JPG?%211234%21a&amp;b=&#x41;&#66;&quot;&apos;&lt;&gt;";
    const d = parseDeviceDescription(
      doc(
        info(
          "av:",
          sonyDecl,
          `${camOnly("av:")}<av:X_ScalarWebAPI_ImagingDevice><av:X_ScalarWebAPI_LiveView_URL>\n  ${lv}\n</av:X_ScalarWebAPI_LiveView_URL></av:X_ScalarWebAPI_ImagingDevice>`,
        ),
        { device: "<friendlyName>A &amp; B &#x263A;</friendlyName>" },
      ),
      null,
    );
    expect(d.liveviewUrl).toBe("http://10.0.0.1:60152/liveview.JPG?%211234%21a&b=AB\"'<>");
    expect(d.friendlyName).toBe("A & B \u263A");
  });

  it("reads CDATA, skips comments and processing instructions", () => {
    const d = parseDeviceDescription(
      `<!-- head --><?pi data?>\n` +
        doc(
          info(
            "av:",
            sonyDecl,
            `<!-- c --><av:X_ScalarWebAPI_ServiceList><?x y?>${service("av:", "<![CDATA[camera]]>", "<![CDATA[http://10.0.0.1:10000/sony]]>")}</av:X_ScalarWebAPI_ServiceList>`,
          ),
          { device: "<friendlyName>DSC<!-- not me -->-QX10<![CDATA[<&>]]></friendlyName>" },
        ).replace('<?xml version="1.0" encoding="utf-8"?>', "") +
        "<!-- tail -->\n",
      null,
    );
    expect(d.endpoints).toStrictEqual({ camera: "http://10.0.0.1:10000/sony/camera" });
    expect(d.friendlyName).toBe("DSC-QX10<&>");
  });

  it("handles a trailing slash on the ActionList URL", () => {
    const d = parseDeviceDescription(
      doc(info("av:", sonyDecl, camOnly("av:", "http://10.0.0.1:10000/sony/"))),
      null,
    );
    expect(d.endpoints).toStrictEqual({ camera: "http://10.0.0.1:10000/sony/camera" });
  });

  it("keeps the first of a service listed twice; skips entries without type or URL", () => {
    const body =
      `<av:X_ScalarWebAPI_ServiceList>${service("av:", "camera", "http://a/sony")}${service("av:", "camera", "http://b/sony")}` +
      `<av:X_ScalarWebAPI_Service><av:X_ScalarWebAPI_ServiceType>guide</av:X_ScalarWebAPI_ServiceType></av:X_ScalarWebAPI_Service>` +
      `${service("av:", "", "http://c/sony")}</av:X_ScalarWebAPI_ServiceList>`;
    expect(parseDeviceDescription(doc(info("av:", sonyDecl, body)), null).endpoints).toStrictEqual({
      camera: "http://a/sony/camera",
    });
  });

  it("a description without any ScalarWebAPI service is CAMERA_NOT_FOUND", () => {
    expect(codeOf(() => parseDeviceDescription(doc(""), null))).toBe("CAMERA_NOT_FOUND");
    expect(
      codeOf(() =>
        parseDeviceDescription(
          doc(info("av:", sonyDecl, "<av:X_ScalarWebAPI_ServiceList/>")),
          null,
        ),
      ),
    ).toBe("CAMERA_NOT_FOUND");
  });

  it("a non-http ActionList URL is CAMERA_DESCRIPTION", () => {
    expect(
      codeOf(() =>
        parseDeviceDescription(doc(info("av:", sonyDecl, camOnly("av:", "file:///etc"))), null),
      ),
    ).toBe("CAMERA_DESCRIPTION");
  });

  it("a well-formed document that is not a UPnP description is CAMERA_DESCRIPTION", () => {
    expect(codeOf(() => parseDeviceDescription("<html><body/></html>", null))).toBe(
      "CAMERA_DESCRIPTION",
    );
    expect(codeOf(() => parseDeviceDescription('<root xmlns="urn:x"/>', null))).toBe(
      "CAMERA_DESCRIPTION",
    );
    expect(codeOf(() => parseDeviceDescription("<root><specVersion/></root>", null))).toBe(
      "CAMERA_DESCRIPTION",
    );
  });

  const malformed: [string, string][] = [
    ["empty", ""],
    ["only whitespace", "  \n"],
    ["unclosed root", "<root><device>"],
    ["mismatched end tag", "<root><device></root></device>"],
    ["stray end tag", "<root/></root>"],
    ["two roots", "<root/><root/>"],
    ["text after root", "<root/>x"],
    ["text before root", "x<root/>"],
    ["unbound element prefix", "<root><p:a/></root>"],
    ["unbound attribute prefix", '<root p:a="1"/>'],
    ["empty prefixed namespace", '<root xmlns:p=""/>'],
    ["xmlns prefix declared", '<root xmlns:xmlns="urn:x"/>'],
    ["two colons", '<root xmlns:a="urn:a"><a:b:c/></root>'],
    ["unknown entity", "<root>&nbsp;</root>"],
    ["bare ampersand", "<root>a & b</root>"],
    ["reference to NUL", "<root>&#0;</root>"],
    ["reference out of range", "<root>&#x110000;</root>"],
    ["unquoted attribute", "<root a=1/>"],
    ["duplicate attribute", '<root a="1" a="2"/>'],
    ["duplicate expanded attribute", '<root xmlns:p="urn:x" xmlns:q="urn:x" p:a="1" q:a="2"/>'],
    ["'<' in attribute", '<root a="<"/>'],
    ["attributes without space", '<root a="1"b="2"/>'],
    ["control character", "<root>\u0001</root>"],
    ["lone surrogate", "<root>\uD800</root>"],
    ["'--' in comment", "<root><!-- a -- b --></root>"],
    ["unterminated comment", "<root><!-- a </root>"],
    ["unterminated CDATA", "<root><![CDATA[ a </root>"],
    ["CDATA outside root", "<![CDATA[x]]><root/>"],
    ["']]>' in text", "<root>a]]>b</root>"],
    ["unterminated PI", "<root><?pi </root>"],
    ["XML declaration not first", ' <?xml version="1.0"?><root/>'],
    ["bad XML declaration", '<?xml version="2"?><root/>'],
    ["DOCTYPE", '<!DOCTYPE root [<!ENTITY a "b">]><root>&a;</root>'],
    ["unterminated tag", "<root"],
    ["bad name", "<1root/>"],
    ["lone '<'", "<root>a < b</root>"],
  ];
  it.each(malformed)("%s → CAMERA_DESCRIPTION", (_name, xml) => {
    expect(codeOf(() => parseDeviceDescription(xml, null))).toBe("CAMERA_DESCRIPTION");
  });

  it("oversize documents are refused before parsing", () => {
    const padded = doc(info("av:", sonyDecl, camOnly("av:"))) + " ".repeat(MAX_DESCRIPTION_CHARS);
    expect(codeOf(() => parseDeviceDescription(padded, null))).toBe("CAMERA_DESCRIPTION");
    // Just below the limit it parses.
    const ok = doc(info("av:", sonyDecl, camOnly("av:")));
    const fits = ok + " ".repeat(MAX_DESCRIPTION_CHARS - ok.length);
    expect(parseDeviceDescription(fits, null).endpoints).toStrictEqual({
      camera: "http://10.0.0.1:10000/sony/camera",
    });
  });

  it("nesting deeper than 64 is refused; 64 is accepted", () => {
    const nest = (n: number): string => "<a>".repeat(n) + "</a>".repeat(n);
    expect(parseXml(nest(64)).localName).toBe("a");
    expect(codeOf(() => parseXml(nest(65)))).toBe("CAMERA_DESCRIPTION");
    expect(codeOf(() => parseXml(nest(30_000)))).toBe("CAMERA_DESCRIPTION");
  });
});

describe("parseXml", () => {
  it("resolves namespaces, normalises attribute whitespace, keeps text", () => {
    const root = parseXml(
      "<?xml version='1.0' standalone='yes'?>\r\n<r xmlns='urn:d' xmlns:p=\"urn:p\" a='x\ty'><p:c>t&#x20;1</p:c><d xmlns=''>\r\n</d><e/></r>",
    );
    expect(root).toStrictEqual({
      namespace: "urn:d",
      localName: "r",
      text: "",
      children: [
        { namespace: "urn:p", localName: "c", text: "t 1", children: [] },
        { namespace: null, localName: "d", text: "\n", children: [] },
        { namespace: "urn:d", localName: "e", text: "", children: [] },
      ],
    });
  });
});

describe("descriptionFromCameraUrl", () => {
  const all = (base: string): Record<string, string> => ({
    camera: `${base}/camera`,
    system: `${base}/system`,
    guide: `${base}/guide`,
    accessControl: `${base}/accessControl`,
    avContent: `${base}/avContent`,
  });
  it.each([
    ["http://10.0.0.1:10000/sony", "http://10.0.0.1:10000/sony"],
    ["http://10.0.0.1:10000/sony/", "http://10.0.0.1:10000/sony"],
    ["http://10.0.0.1:10000/sony/camera", "http://10.0.0.1:10000/sony"],
    ["http://192.168.122.1:8080/sony/avContent/", "http://192.168.122.1:8080/sony"],
    ["http://10.0.0.1:10000/camera", "http://10.0.0.1:10000"],
    ["http://10.0.0.1:10000", "http://10.0.0.1:10000"],
  ])("%s → base %s", (url, base) => {
    expect(descriptionFromCameraUrl(url)).toStrictEqual<CameraDescription>({
      location: null,
      deviceType: null,
      friendlyName: null,
      manufacturer: null,
      modelName: null,
      udn: null,
      apiVersion: null,
      endpoints: all(base),
      liveviewUrl: null,
      defaultFunction: null,
    });
  });
  it.each(["10.0.0.1:10000/sony", "ftp://10.0.0.1/sony", "http://10.0.0.1/sony?x=1", "http://"])(
    "%s → USAGE",
    (url) => {
      expect(codeOf(() => descriptionFromCameraUrl(url))).toBe("USAGE");
    },
  );
});

describe("parseSsdpResponse (§1.2)", () => {
  it.skipIf(!haveFixtures)("reads the stored reply (LF, no closing blank line)", () => {
    const text = readFixture("ssdp/unknown-response.txt").toString("utf8");
    expect(text.endsWith("\r\n\r\n")).toBe(false);
    expect(parseSsdpResponse(text)).toStrictEqual({
      location: "http://192.168.122.1:64321/dd.xml",
      st: "urn:schemas-sony-com:service:ScalarWebAPI:1",
      usn: "uuid:000000001000-1010-8000-9AF1701181A3::urn:schemas-sony-com:service:ScalarWebAPI:1",
      server: "UPnP/1.0 MINT-X/1.8.1",
      headers: {
        "cache-control": "max-age=1800",
        ext: "",
        location: "http://192.168.122.1:64321/dd.xml",
        server: "UPnP/1.0 MINT-X/1.8.1",
        st: "urn:schemas-sony-com:service:ScalarWebAPI:1",
        usn: "uuid:000000001000-1010-8000-9AF1701181A3::urn:schemas-sony-com:service:ScalarWebAPI:1",
      },
    });
  });

  it("reads the real HDR-AS30V reply (CRLF)", () => {
    const text = [
      "HTTP/1.1 200 OK",
      "CACHE-CONTROL: max-age=1800",
      "EXT:",
      "LOCATION: http://10.0.0.1:64321/DmsRmtDesc.xml",
      "SERVER: UPnP/1.0 SonyImagingDevice/1.0",
      "ST: urn:schemas-sony-com:service:ScalarWebAPI:1",
      "USN: uuid:00000000-0005-0010-8000-1c994c079994::urn:schemas-sony-com:service:ScalarWebAPI:1",
      'X-AV-Physical-Unit-Info: pa=""; pl=;',
      'X-AV-Server-Info: av=5.0; hn=""; cn="Sony Corporation"; mn="SonyImagingDevice"; mv="1.0";',
      "",
      "",
    ].join("\r\n");
    const r = parseSsdpResponse(text);
    expect(r).toStrictEqual({
      location: "http://10.0.0.1:64321/DmsRmtDesc.xml",
      st: "urn:schemas-sony-com:service:ScalarWebAPI:1",
      usn: "uuid:00000000-0005-0010-8000-1c994c079994::urn:schemas-sony-com:service:ScalarWebAPI:1",
      server: "UPnP/1.0 SonyImagingDevice/1.0",
      headers: {
        "cache-control": "max-age=1800",
        ext: "",
        location: "http://10.0.0.1:64321/DmsRmtDesc.xml",
        server: "UPnP/1.0 SonyImagingDevice/1.0",
        st: "urn:schemas-sony-com:service:ScalarWebAPI:1",
        usn: "uuid:00000000-0005-0010-8000-1c994c079994::urn:schemas-sony-com:service:ScalarWebAPI:1",
        "x-av-physical-unit-info": 'pa=""; pl=;',
        "x-av-server-info":
          'av=5.0; hn=""; cn="Sony Corporation"; mn="SonyImagingDevice"; mv="1.0";',
      },
    });
  });

  it("reads the A6000 reply (EXT with a trailing space), header names in any case", () => {
    const text =
      "HTTP/1.1 200 OK\r\nCache-Control: max-age=1800\r\nExt: \r\nLocation: http://192.168.122.1:61000/scalarwebapi_dd.xml\r\n" +
      "Server: FedoraCore/2 UPnP/1.0 MINT-X/1.8.1\r\nst: urn:schemas-sony-com:service:ScalarWebAPI:1\r\n" +
      "usn: uuid:000000001000-1010-8000-8E45007C0641::urn:schemas-sony-com:service:ScalarWebAPI:1\r\n\r\n";
    const r = parseSsdpResponse(text);
    expect(r?.location).toBe("http://192.168.122.1:61000/scalarwebapi_dd.xml");
    expect(r?.server).toBe("FedoraCore/2 UPnP/1.0 MINT-X/1.8.1");
    expect(r?.st).toBe("urn:schemas-sony-com:service:ScalarWebAPI:1");
    expect(r?.usn).toBe(
      "uuid:000000001000-1010-8000-8E45007C0641::urn:schemas-sony-com:service:ScalarWebAPI:1",
    );
    expect(r?.headers).toHaveProperty("ext", "");
  });

  it("first of repeated headers wins; junk lines are skipped; stops at the blank line", () => {
    const r = parseSsdpResponse(
      "HTTP/1.1 200 OK\nLOCATION: http://a/dd.xml\nlocation: http://b/dd.xml\nnot a header\n: x\n\nST: after-body\n",
    );
    expect(r).toStrictEqual({
      location: "http://a/dd.xml",
      st: null,
      usn: null,
      server: null,
      headers: { location: "http://a/dd.xml" },
    });
  });

  it("never throws; whatever it returns has an http LOCATION", () => {
    const line = fc.oneof(
      fc.constantFrom("HTTP/1.1 200 OK", "LOCATION: http://10.0.0.1:64321/dd.xml", "ST: x", ""),
      fc.string({ maxLength: 30 }),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 8 }), fc.constantFrom("\r\n", "\n"), (lines, eol) => {
        const r = parseSsdpResponse(lines.join(eol));
        return r === null || /^https?:\/\//i.test(r.location);
      }),
      { seed: 1124, numRuns: 1000 },
    );
  });

  it.each([
    ["no LOCATION", "HTTP/1.1 200 OK\r\nST: x\r\n\r\n"],
    ["empty LOCATION", "HTTP/1.1 200 OK\r\nLOCATION:\r\n\r\n"],
    ["non-http LOCATION", "HTTP/1.1 200 OK\r\nLOCATION: file:///etc/passwd\r\n\r\n"],
    ["not 200", "HTTP/1.1 404 Not Found\r\nLOCATION: http://a/\r\n\r\n"],
    [
      "an M-SEARCH",
      'M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\n\r\n',
    ],
    ["a NOTIFY", "NOTIFY * HTTP/1.1\r\nLOCATION: http://a/\r\n\r\n"],
    ["empty", ""],
  ])("%s → null", (_name, text) => {
    expect(parseSsdpResponse(text)).toBeNull();
  });
});
