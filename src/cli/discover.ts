/**
 * `qx10-mqtt discover [--timeout S] [--interface IF] [--target HOST:PORT]` (mqtt-api.md "Command
 * line"): SSDP search, one JSON line per camera on stdout.
 */
import { isIPv4 } from "node:net";
import { BridgeError } from "../errors.js";
import { discoverCameras } from "../camera/discover.js";
import { resolveBindAddress, SSDP_MULTICAST_TARGET, type SsdpTarget } from "../camera/ssdp.js";
import { numberOption, parseCliArgs, type CliCommand } from "./context.js";

const HELP = `Usage: qx10-mqtt discover [--timeout S] [--interface IF] [--target HOST:PORT]

Searches the network by SSDP for Sony Camera Remote API cameras and prints one JSON line per
camera: {"model","udn","location","endpoints","liveview_url"}. Exit 1 when none is found.

Options:
  --timeout S          seconds to listen for answers (default 5)
  --interface IF       IPv4 address or interface name to search from (the camera's WiFi)
  --target HOST:PORT   where to send the M-SEARCH (default ${SSDP_MULTICAST_TARGET.address}:${SSDP_MULTICAST_TARGET.port})`;

/** Parses `HOST:PORT` with an IPv4 host. */
function parseTarget(value: string): SsdpTarget {
  const m = /^([0-9.]+):([0-9]{1,5})$/.exec(value);
  const address = m?.[1];
  const port = Number(m?.[2]);
  if (address === undefined || !isIPv4(address) || !(port >= 1 && port <= 65535)) {
    throw new BridgeError("USAGE", `--target must be IPV4:PORT, got ${JSON.stringify(value)}`);
  }
  return { address, port };
}

/**
 * Runs `discover`. Prints `{"model","udn","location","endpoints":{…},"liveview_url"}` per camera
 * (model is the friendlyName, e.g. `DSC-QX10`); descriptions that fail are reported on stderr.
 * @returns 0 when at least one camera was found, 1 when none (message on stderr)
 * @throws BridgeError USAGE for bad options (exit 2 in main.ts); CAMERA_UNREACHABLE when the
 *   SSDP socket cannot bind or send; ABORTED on SIGINT/SIGTERM
 */
export const runDiscover: CliCommand = async (argv, ctx) => {
  const { values } = parseCliArgs(
    argv,
    {
      timeout: { type: "string" },
      interface: { type: "string" },
      target: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    false,
  );
  if (values["help"] === true) {
    ctx.out(HELP);
    return 0;
  }
  const seconds = numberOption(values["timeout"], "timeout", 5);
  if (!(seconds > 0) || seconds > 600) {
    throw new BridgeError("USAGE", "--timeout must be between 0 and 600 seconds");
  }
  const iface = values["interface"];
  const target = values["target"];
  const timeoutMs = Math.round(seconds * 1000);

  const cameras = await discoverCameras({
    signal: ctx.signal,
    timeoutMs,
    target: typeof target === "string" ? parseTarget(target) : undefined,
    bindAddress: typeof iface === "string" ? resolveBindAddress(iface) : undefined,
    onDescriptionError: (error, location) => {
      ctx.err(`skipped ${location}: ${error.message}`);
    },
  });
  for (const camera of cameras) {
    ctx.out(
      JSON.stringify({
        model: camera.friendlyName ?? camera.modelName,
        udn: camera.udn,
        location: camera.location,
        endpoints: camera.endpoints,
        liveview_url: camera.liveviewUrl,
      }),
    );
  }
  if (cameras.length === 0) {
    ctx.err(
      `no camera found within ${seconds} s (is this machine on the camera's WiFi? try --interface)`,
    );
    return 1;
  }
  return 0;
};
