/**
 * `qx10-mqtt doctor [--config FILE] [--quick] [--json] [--timeout S] [--route-table FILE]`: checks
 * what usually goes wrong on a first setup — the camera's Wi-Fi taking the default route
 * (docs/network.md), the camera not answering, the broker refusing or not answering — and prints
 * one line per check with OK/WARN/FAIL/SKIP and what to fix.
 *
 * `--quick` is the container health check (Dockerfile HEALTHCHECK): only the broker, plus whether
 * the retained `<base>/bridge/state` says `online`, which the running bridge publishes on every
 * connect and the broker replaces with the Last Will `offline` when the bridge's connection drops.
 * So "healthy" means "the bridge process is connected to the broker"; the camera being off is not
 * a container fault (it shows on `<base>/availability`).
 */
import { loadConfig } from "../config/load.js";
import { BridgeError } from "../errors.js";
import {
  checkBroker,
  checkCamera,
  readRouteTable,
  resolveIPv4,
  urlHost,
} from "../doctor/checks.js";
import {
  analyzeRoutes,
  bridgeStateResult,
  check,
  type CheckResult,
  exitCodeOf,
  formatReport,
  QX_CAMERA_ADDRESS,
  reportJson,
} from "../doctor/verdict.js";
import { numberOption, parseCliArgs, type CliCommand, configFilePath } from "./context.js";

const HELP = `Usage: qx10-mqtt doctor [--config FILE] [--quick] [--json] [--timeout S]

Checks the setup and prints one line per check (OK, WARN, FAIL, SKIP) with what to fix:
  config         the configuration loads (an invalid one lists every problem, exit 2)
  default-route  the default route does not go through the camera's Wi-Fi (Linux)
  camera-route   this machine has a route to the camera's network (10.0.0.1 for the QX10)
  broker-route   the broker's address is routed through an interface that can reach it
  camera         the camera answers getVersions (camera.url, else a short SSDP search)
  broker         MQTT CONNECT with the configured URL, credentials and TLS succeeds
  bridge         whether a bridge is connected (retained <base>/bridge/state is online)
Exit code 0 when every check is OK or SKIP, 1 otherwise. See docs/network.md.

Options:
  --config FILE        configuration file (YAML or JSON); default: $QX10_CONFIG, else defaults.
                       QX10_<SECTION>__<KEY> variables override it, as for "run".
  --quick              only the broker and the bridge state (the container health check):
                       healthy = this broker has a connected bridge for mqtt.base_topic
  --json               one JSON line {"ok":bool,"checks":[{id,status,summary,fix,doc,details}]}
  --timeout S          timeout of each network check in seconds (default 3)
  --route-table FILE   read the routing table from FILE (a copy of another machine's
                       /proc/net/route) instead of /proc/net/route`;

/**
 * Runs `doctor`.
 * @returns 0 when every check is OK or SKIP, 1 otherwise
 * @throws BridgeError USAGE for bad arguments, CONFIG_INVALID for an invalid configuration (both
 *   exit 2 in main.ts), ABORTED on SIGINT/SIGTERM
 */
export const runDoctor: CliCommand = async (argv, ctx) => {
  const { values } = parseCliArgs(
    argv,
    {
      config: { type: "string", short: "c" },
      quick: { type: "boolean" },
      json: { type: "boolean" },
      timeout: { type: "string" },
      "route-table": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    false,
  );
  if (values["help"] === true) {
    ctx.out(HELP);
    return 0;
  }
  const seconds = numberOption(values["timeout"], "timeout", 3);
  if (!(seconds > 0) || seconds > 120) {
    throw new BridgeError("USAGE", "--timeout must be between 0 and 120 seconds");
  }
  const timeoutMs = Math.round(seconds * 1000);
  const file = configFilePath(values["config"], ctx.env);
  // CONFIG_INVALID propagates: main.ts lists every problem and exits 2, as for `run`.
  const config = loadConfig({ file, env: ctx.env });
  const options = { signal: ctx.signal, timeoutMs };
  const results: CheckResult[] = [];

  if (values["quick"] === true) {
    const broker = await checkBroker(config, options);
    results.push(broker.result);
    if (broker.bridge !== null) {
      results.push(bridgeStateResult(config.mqtt.base_topic, broker.bridge, true));
    }
  } else {
    results.push(
      check("config", "ok", `configuration loaded (${file ?? "defaults + environment"})`),
    );
    const routeFile = values["route-table"];
    const brokerHost = urlHost(config.mqtt.url) ?? config.mqtt.url;
    const cameraHost = config.camera.url === null ? null : urlHost(config.camera.url);
    const [routes, brokerAddress, cameraAddress, camera, broker] = await Promise.all([
      readRouteTable(typeof routeFile === "string" ? routeFile : undefined),
      resolveIPv4(brokerHost, timeoutMs),
      cameraHost === null ? Promise.resolve(QX_CAMERA_ADDRESS) : resolveIPv4(cameraHost, timeoutMs),
      checkCamera(config, options),
      checkBroker(config, options),
    ]);
    if (routes === null) {
      results.push(
        check(
          "default-route",
          "skip",
          "no routing table to read (/proc/net/route exists on Linux only)",
        ),
      );
    } else {
      results.push(
        ...analyzeRoutes({
          routes,
          cameraAddress,
          cameraAddressSource: cameraHost === null ? "QX default" : "camera.url",
          brokerAddress,
          brokerHost,
        }),
      );
    }
    results.push(camera, broker.result);
    if (broker.bridge !== null) {
      results.push(bridgeStateResult(config.mqtt.base_topic, broker.bridge, false));
    }
  }

  if (values["json"] === true) ctx.out(reportJson(results));
  else for (const line of formatReport(results)) ctx.out(line);
  return exitCodeOf(results);
};
