/** Postview URL shapes and the bounded picture store (camera-api.md §1.4, §6.4), pure. */
import { describe, expect, it } from "vitest";
import { DLNA_QUERY, PostviewStore, postviewPath } from "../../src/sim/postview.js";
import { buildSsdpReply, parseMSearch } from "../../src/sim/ssdp.js";

describe("postviewPath", () => {
  const t = new Date(Date.UTC(2014, 2, 18, 16, 24, 51));
  it("spells QX names like the QX100 capture", () => {
    expect(postviewPath("qx", t, 0)).toBe(`/pict140318_1624510000.JPG${DLNA_QUERY}`);
    expect(postviewPath("qx", t, 1)).toBe(`/pict140318_1624510001.JPG${DLNA_QUERY}`);
  });
  it("spells Smart-Remote names like KOTA's log", () => {
    expect(postviewPath("smart-remote", t, 0)).toBe("/postview/pict20140318_162451_0.JPG");
  });
});

describe("PostviewStore", () => {
  it("numbers shots within a second, renders lazily and forgets the oldest", () => {
    const rendered: number[] = [];
    const store = new PostviewStore(
      "qx",
      (i) => {
        rendered.push(i);
        return Buffer.from([i]);
      },
      2,
    );
    const t = new Date(Date.UTC(2020, 0, 1, 0, 0, 0, 100));
    const a = store.add(t);
    const b = store.add(new Date(t.getTime() + 500));
    const c = store.add(new Date(t.getTime() + 1000));
    expect([a, b, c].map((p) => p.slice(0, 23))).toEqual([
      "/pict200101_0000000000.",
      "/pict200101_0000000001.",
      "/pict200101_0000010000.",
    ]);
    expect(rendered).toEqual([]);
    expect(store.get(a)).toBeUndefined();
    expect(store.get(c.split("?")[0] ?? "")).toEqual(Buffer.from([2]));
    expect(store.get(c)).toEqual(Buffer.from([2]));
    expect(rendered).toEqual([2]);
    expect(store.taken).toBe(3);
  });
});

describe("SSDP texts", () => {
  it("parses an M-SEARCH and ignores other datagrams", () => {
    const m =
      'M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n';
    expect(parseMSearch(m)).toBe("ssdp:all");
    expect(parseMSearch(m.replace('"ssdp:discover"', "ssdp:update"))).toBeUndefined();
    expect(parseMSearch("HTTP/1.1 200 OK\r\n\r\n")).toBeUndefined();
  });
  it("builds the Smart-Remote reply with an empty EXT", () => {
    const reply = buildSsdpReply({
      location: () => "http://h:1/dd.xml",
      udn: "uuid:x",
      flavour: "smart-remote",
    });
    expect(reply.split("\r\n")).toEqual([
      "HTTP/1.1 200 OK",
      "CACHE-CONTROL: max-age=1800",
      "EXT: ",
      "LOCATION: http://h:1/dd.xml",
      "SERVER: FedoraCore/2 UPnP/1.0 MINT-X/1.8.1",
      "ST: urn:schemas-sony-com:service:ScalarWebAPI:1",
      "USN: uuid:x::urn:schemas-sony-com:service:ScalarWebAPI:1",
      "",
      "",
    ]);
  });
});
