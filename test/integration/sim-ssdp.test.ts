/**
 * The simulator's SSDP responder (camera-api.md §1.1–1.2): unicast replies to M-SEARCH for the
 * ScalarWebAPI target or ssdp:all on a loopback port, nothing for other targets.
 */
import { createSocket, type Socket } from "node:dgram";
import { afterEach, describe, expect, it } from "vitest";
import { type Simulator } from "../../src/sim/simulator.js";
import { startTestSim } from "../helpers/sim.js";

let sim: Simulator | undefined;
let client: Socket | undefined;
afterEach(async () => {
  client?.close();
  client = undefined;
  await sim?.close();
  sim = undefined;
});

const mSearch = (st: string, man = '"ssdp:discover"'): string =>
  `M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: ${man}\r\nMX: 1\r\nST: ${st}\r\n\r\n`;

/** Sends one datagram to the responder and collects replies for `waitMs`. */
async function search(s: Simulator, text: string, waitMs = 300): Promise<string[]> {
  const ssdp = s.urls.ssdp;
  if (ssdp === undefined) throw new Error("no SSDP responder");
  const socket = createSocket("udp4");
  client = socket;
  const replies: string[] = [];
  socket.on("message", (msg) => replies.push(msg.toString("latin1")));
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  socket.send(text, ssdp.port, ssdp.host);
  await new Promise((r) => setTimeout(r, waitMs));
  return replies;
}

describe("SSDP responder", () => {
  it("answers the ScalarWebAPI search target with the AS30V header set", async () => {
    sim = await startTestSim({ ssdp: true });
    expect(sim.urls.ssdp?.host).toBe("127.0.0.1");
    const [reply, ...more] = await search(
      sim,
      mSearch("urn:schemas-sony-com:service:ScalarWebAPI:1"),
    );
    expect(more).toEqual([]);
    expect(reply).toBe(
      [
        "HTTP/1.1 200 OK",
        "CACHE-CONTROL: max-age=1800",
        "EXT:",
        `LOCATION: ${sim.urls.ddXml}`,
        "SERVER: UPnP/1.0 SonyImagingDevice/1.0",
        "ST: urn:schemas-sony-com:service:ScalarWebAPI:1",
        "USN: uuid:00000000-0005-0010-8000-1c994c0a1010::urn:schemas-sony-com:service:ScalarWebAPI:1",
        'X-AV-Physical-Unit-Info: pa=""; pl=;',
        'X-AV-Server-Info: av=5.0; hn=""; cn="Sony Corporation"; mn="SonyImagingDevice"; mv="1.0";',
        "",
        "",
      ].join("\r\n"),
    );
  });

  it("answers ssdp:all and an unquoted MAN (NERAB's request)", async () => {
    sim = await startTestSim({ ssdp: true });
    expect(await search(sim, mSearch("ssdp:all", "ssdp:discover"))).toHaveLength(1);
  });

  it("ignores other search targets and non-search datagrams", async () => {
    sim = await startTestSim({ ssdp: true });
    expect(await search(sim, mSearch("urn:schemas-upnp-org:device:MediaRenderer:1"), 150)).toEqual(
      [],
    );
    expect(await search(sim, "NOTIFY * HTTP/1.1\r\nNT: upnp:rootdevice\r\n\r\n", 150)).toEqual([]);
  });

  it("answers in the Smart-Remote flavour for that model", async () => {
    sim = await startTestSim({ ssdp: true, model: "smart-remote" });
    const [reply] = await search(sim, mSearch("urn:schemas-sony-com:service:ScalarWebAPI:1"));
    expect(reply).toContain("SERVER: FedoraCore/2 UPnP/1.0 MINT-X/1.8.1\r\n");
    expect(reply).toContain(`LOCATION: ${sim.urls.ddXml}\r\n`);
    expect(sim.urls.ddXml).toMatch(/\/scalarwebapi_dd\.xml$/);
  });
});
