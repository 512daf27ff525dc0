/**
 * `qx10-mqtt sim`: --help names every option, bad options are usage errors, and a run prints its
 * URLs as JSON, serves them and stops cleanly when the signal fires.
 */
import { request } from "undici";
import { describe, expect, it } from "vitest";
import { runSim, SIM_HELP, simOptionsFromArgs } from "../../src/cli/sim.js";
import { type CliContext } from "../../src/cli/context.js";
import { haveFixtures, fixturePath } from "../helpers/fixtures.js";
import { waitFor } from "../helpers/sim.js";

function context(signal: AbortSignal): { ctx: CliContext; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    ctx: { signal, out: (l) => out.push(l), err: (l) => err.push(l), env: {} },
    out,
    err,
  };
}

describe("qx10-mqtt sim", () => {
  it("--help documents every option", async () => {
    const { ctx, out } = context(new AbortController().signal);
    expect(await runSim(["--help"], ctx)).toBe(0);
    expect(out).toEqual([SIM_HELP]);
    const options = [
      "model",
      "host",
      "advertise-host",
      "port",
      "dd-port",
      "image-port",
      "real-ports",
      "ssdp",
      "ssdp-host",
      "ssdp-multicast",
      "ssdp-port",
      "fps",
      "size",
      "focus-frames",
      "no-qx-padding",
      "jitter",
      "replay",
      "seed",
      "postview-size",
      "capture-ms",
      "save-ms",
      "setting-delay-ms",
      "take-picture-timeout-ms",
      "event-timeout-ms",
      "self-timer-unit-ms",
      "accept-any-signature",
      "event-timeout-error",
      "fault",
      "help",
    ];
    for (const o of options) expect(SIM_HELP).toContain(`--${o}`);
  });

  it.each([
    [["--model", "nex"]],
    [["--fps", "0"]],
    [["--size", "big"]],
    [["--port", "70000"]],
    [["--fault", "explode"]],
    [["--capture-ms", "-1"]],
    [["--what"]],
  ])("rejects %j as a usage error", (argv) => {
    expect(() => simOptionsFromArgs(argv)).toThrow(/USAGE/);
  });

  it("maps options onto the simulator", () => {
    const { options } = simOptionsFromArgs([
      "--model",
      "smart-remote",
      "--fps",
      "12",
      "--size",
      "320x240",
      "--capture-ms",
      "2500",
      "--ssdp",
      "--ssdp-port",
      "0",
      "--fault",
      "slow=100",
      "--fault",
      "liveview=cut",
      "--accept-any-signature",
      "--focus-frames",
    ]);
    expect(options.model).toBe("smart-remote");
    expect(options.liveview).toMatchObject({ fps: 12, width: 320, height: 240, focusFrames: true });
    expect(options.timings?.captureMs).toBe(2500);
    expect(options.ssdp).toEqual({ port: 0 });
    expect(options.faults).toEqual(["slow=100", "liveview=cut"]);
    expect(options.verifySignature).toBe(false);
  });

  it("prints its URLs, serves them and stops on the signal", async () => {
    const controller = new AbortController();
    const { ctx, out } = context(controller.signal);
    const run = runSim(["--ssdp", "--capture-ms", "10"], ctx);
    await waitFor(() => out.length > 0);
    const urls = JSON.parse(out[0] ?? "{}") as {
      model: string;
      ddXml: string;
      endpoints: Record<string, string>;
      liveview: string;
      ssdp: { host: string; port: number };
    };
    expect(urls.model).toBe("qx10");
    expect(urls.ssdp.host).toBe("127.0.0.1");
    const res = await request(urls.ddXml);
    expect(await res.body.text()).toContain("<friendlyName>DSC-QX10</friendlyName>");
    controller.abort();
    expect(await run).toBe(0);
    await expect(request(urls.ddXml)).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });

  it("fails with exit code 1 when the replay file is missing", async () => {
    const { ctx, err } = context(new AbortController().signal);
    expect(await runSim(["--replay", "/nonexistent/file.bin"], ctx)).toBe(1);
    expect(err[0]).toMatch(/--replay/);
  });

  it.skipIf(!haveFixtures)("accepts a recorded stream for --replay", async () => {
    const controller = new AbortController();
    const { ctx, out } = context(controller.signal);
    const run = runSim(["--replay", fixturePath("liveview/QX100-liveview-640x480.bin")], ctx);
    await waitFor(() => out.length > 0);
    controller.abort();
    expect(await run).toBe(0);
  });
});
