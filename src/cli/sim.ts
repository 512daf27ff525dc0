/**
 * `qx10-mqtt sim` (also `qx10-sim`): the camera simulator on its own, for manual use and demos.
 * Prints one JSON line with the URLs it serves, then runs until the signal fires.
 */
import { readFile } from "node:fs/promises";
import { BridgeError } from "../errors.js";
import { DEFAULT_TIMINGS, type SimTimings } from "../sim/camera.js";
import { parseFaultSpec } from "../sim/faults.js";
import { SIM_MODELS, type SimModel } from "../sim/profile.js";
import { startSimulator, type SimulatorOptions } from "../sim/simulator.js";
import { numberOption, parseCliArgs, type CliCommand } from "./context.js";

/** `--help` text: every option. */
export const SIM_HELP = `Usage: qx10-mqtt sim [options]

A simulated Sony camera (QX10 by default) speaking the Camera Remote API on this machine.
Prints {"ddXml":..,"endpoints":..,"liveview":..,...} as one JSON line, runs until SIGINT/SIGTERM.

Servers and discovery:
  --model M               qx10 (default: dd.xml, API and image servers like a DSC-QX10) or
                          smart-remote (port-8080 layout, startRecMode needed first)
  --host H                address to bind (default 127.0.0.1)
  --advertise-host H      host written into the URLs it announces (default: --host)
  --port P                API server port (default 0 = ephemeral)
  --dd-port P             dd.xml server port (default 0)
  --image-port P          liveview/postview server port (qx10 only; default 0)
  --real-ports            the camera's own ports (qx10: 64321/10000/60152; smart-remote: 61000/8080)
  --ssdp                  answer SSDP M-SEARCH (unicast replies only, never multicast)
  --ssdp-host H           SSDP bind address (default 127.0.0.1)
  --ssdp-port P           SSDP UDP port (default 0 = ephemeral; the real one is 1900)
  --ssdp-multicast        join 239.255.255.250 to hear real searches on a LAN (use with
                          --ssdp-host 0.0.0.0 --ssdp-port 1900 --advertise-host <LAN IP>)

Liveview and pictures:
  --fps F                 liveview frames per second (default 30)
  --size WxH              liveview frame size (default 640x480)
  --focus-frames          also send focus-frame (0x02) packets
  --no-qx-padding         do not pad JPEG regions to 128-byte multiples with junk
  --jitter                occasional stalls like the real camera
  --replay FILE           replay a recorded (de-chunked) liveview stream instead of the pattern
  --seed N                seed for junk bytes, cut points and stalls (default 1)
  --postview-size WxH     postview JPEG size (default 1632x1224)

Camera timing (milliseconds):
  --capture-ms N          StillCapturing duration (default ${DEFAULT_TIMINGS.captureMs})
  --save-ms N             StillSaving duration (default ${DEFAULT_TIMINGS.saveMs})
  --setting-delay-ms N    delay before a set value shows in getEvent (default ${DEFAULT_TIMINGS.settingDelayMs})
  --take-picture-timeout-ms N
                          actTakePicture/awaitTakePicture block this long, then 40403 (default ${DEFAULT_TIMINGS.takePictureTimeoutMs})
  --event-timeout-ms N    long-poll getEvent server timeout (default ${DEFAULT_TIMINGS.eventTimeoutMs})
  --self-timer-unit-ms N  length of one self-timer second (default ${DEFAULT_TIMINGS.selfTimerUnitMs})

Behaviour:
  --accept-any-signature  actEnableMethods accepts any sg (default: checks the documented key)
  --event-timeout-error   a long poll that times out answers error 2 (default: empty success)
  --fault SPEC            inject a fault; repeatable. SPEC is colon-separated parts, one naming
                          the fault: error=CODE, http500, malformed-json, slow=MS, hang, drop,
                          liveview=corrupt|cut|drop|hang, power-off[=AFTER_MS] (for=MS to come
                          back); request faults take method=NAME, service=NAME,
                          target=api|dd|image, once, times=N. Examples:
                            --fault method=actTakePicture:error=40400:once
                            --fault slow=2000:method=getEvent   --fault power-off=5000:for=3000
  -h, --help              this text`;

const OPTIONS = {
  model: { type: "string" },
  host: { type: "string" },
  "advertise-host": { type: "string" },
  port: { type: "string" },
  "dd-port": { type: "string" },
  "image-port": { type: "string" },
  "real-ports": { type: "boolean" },
  ssdp: { type: "boolean" },
  "ssdp-host": { type: "string" },
  "ssdp-port": { type: "string" },
  "ssdp-multicast": { type: "boolean" },
  fps: { type: "string" },
  size: { type: "string" },
  "focus-frames": { type: "boolean" },
  "no-qx-padding": { type: "boolean" },
  jitter: { type: "boolean" },
  replay: { type: "string" },
  seed: { type: "string" },
  "postview-size": { type: "string" },
  "capture-ms": { type: "string" },
  "save-ms": { type: "string" },
  "setting-delay-ms": { type: "string" },
  "take-picture-timeout-ms": { type: "string" },
  "event-timeout-ms": { type: "string" },
  "self-timer-unit-ms": { type: "string" },
  "accept-any-signature": { type: "boolean" },
  "event-timeout-error": { type: "boolean" },
  fault: { type: "string", multiple: true },
  help: { type: "boolean", short: "h" },
} as const;

function sizeOption(
  value: string | boolean | undefined,
  name: string,
): { width: number; height: number } | undefined {
  if (value === undefined) return undefined;
  const m = typeof value === "string" ? /^(\d+)x(\d+)$/.exec(value) : null;
  const width = Number(m?.[1]);
  const height = Number(m?.[2]);
  if (m === null || width < 16 || height < 16 || width > 8192 || height > 8192) {
    throw new BridgeError("USAGE", `--${name} must be WIDTHxHEIGHT, e.g. 640x480`);
  }
  return { width, height };
}

function portOption(value: string | boolean | undefined, name: string): number {
  const port = numberOption(value, name, 0);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new BridgeError("USAGE", `--${name} must be a port number 0-65535`);
  }
  return port;
}

function msOption(
  values: Record<string, string | boolean | undefined>,
  name: string,
  fallback: number,
): number {
  const ms = numberOption(values[name], name, fallback);
  if (ms < 0) throw new BridgeError("USAGE", `--${name} must not be negative`);
  return ms;
}

/**
 * Builds simulator options from argv (without the command name).
 * @throws BridgeError USAGE for a bad option; the replay file is read by {@link runSim}
 */
export function simOptionsFromArgs(argv: string[]): {
  help: boolean;
  options: SimulatorOptions;
  replayPath: string | undefined;
} {
  const { values } = parseCliArgs(argv, OPTIONS, false);
  const get = (k: string): string | boolean | undefined => values[k];
  const model = (get("model") ?? "qx10") as SimModel;
  if (!SIM_MODELS.includes(model)) {
    throw new BridgeError("USAGE", `--model must be one of ${SIM_MODELS.join(", ")}`);
  }
  const timings: Partial<SimTimings> = {
    captureMs: msOption(values, "capture-ms", DEFAULT_TIMINGS.captureMs),
    saveMs: msOption(values, "save-ms", DEFAULT_TIMINGS.saveMs),
    settingDelayMs: msOption(values, "setting-delay-ms", DEFAULT_TIMINGS.settingDelayMs),
    takePictureTimeoutMs: msOption(
      values,
      "take-picture-timeout-ms",
      DEFAULT_TIMINGS.takePictureTimeoutMs,
    ),
    eventTimeoutMs: msOption(values, "event-timeout-ms", DEFAULT_TIMINGS.eventTimeoutMs),
    selfTimerUnitMs: msOption(values, "self-timer-unit-ms", DEFAULT_TIMINGS.selfTimerUnitMs),
  };
  const fps = numberOption(get("fps"), "fps", 30);
  if (!(fps > 0 && fps <= 1000)) throw new BridgeError("USAGE", "--fps must be in (0, 1000]");
  const size = sizeOption(get("size"), "size");
  const faults = (values["fault"] as unknown as string[] | undefined) ?? [];
  faults.forEach((f) => parseFaultSpec(f)); // report a bad spec as a usage error before binding
  const options: SimulatorOptions = {
    model,
    timings,
    ports:
      get("real-ports") === true
        ? "real"
        : {
            api: portOption(get("port"), "port"),
            dd: portOption(get("dd-port"), "dd-port"),
            image: portOption(get("image-port"), "image-port"),
          },
    liveview: {
      fps,
      ...(size ?? {}),
      focusFrames: get("focus-frames") === true,
      qxPadding: get("no-qx-padding") !== true,
      jitter: get("jitter") === true,
      seed: numberOption(get("seed"), "seed", 1),
    },
    faults,
    verifySignature: get("accept-any-signature") !== true,
    eventTimeoutReply: get("event-timeout-error") === true ? "timeout-error" : "empty",
  };
  const host = get("host");
  if (typeof host === "string") options.host = host;
  const advertise = get("advertise-host");
  if (typeof advertise === "string") options.advertiseHost = advertise;
  const postviewSize = sizeOption(get("postview-size"), "postview-size");
  if (postviewSize !== undefined) options.postviewSize = postviewSize;
  if (get("ssdp") === true) {
    const ssdpHost = get("ssdp-host");
    options.ssdp = {
      port: portOption(get("ssdp-port"), "ssdp-port"),
      ...(typeof ssdpHost === "string" ? { host: ssdpHost } : {}),
      ...(get("ssdp-multicast") === true ? { joinMulticast: true } : {}),
    };
  }
  const replay = get("replay");
  return {
    help: get("help") === true,
    options,
    replayPath: typeof replay === "string" ? replay : undefined,
  };
}

/**
 * Runs the simulator until `ctx.signal` fires. Exit 0 after a clean stop, 1 when a server or
 * the replay file cannot be opened.
 * @throws BridgeError USAGE for bad options (exit code 2 in main)
 */
export const runSim: CliCommand = async (argv, ctx) => {
  const { help, options, replayPath } = simOptionsFromArgs(argv);
  if (help) {
    ctx.out(SIM_HELP);
    return 0;
  }
  if (replayPath !== undefined) {
    try {
      options.liveview = { ...options.liveview, replay: await readFile(replayPath) };
    } catch (e) {
      ctx.err(`cannot read --replay ${replayPath}: ${e instanceof Error ? e.message : String(e)}`);
      return 1;
    }
  }
  if (ctx.signal.aborted) return 0;
  let sim;
  try {
    sim = await startSimulator(options);
  } catch (e) {
    ctx.err(`cannot start the simulator: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
  try {
    ctx.out(JSON.stringify({ model: sim.model, ...sim.urls }));
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) {
        resolve();
        return;
      }
      ctx.signal.addEventListener(
        "abort",
        () => {
          resolve();
        },
        { once: true },
      );
    });
  } finally {
    await sim.close();
  }
  return 0;
};
