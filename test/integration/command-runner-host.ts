/**
 * A small CommandHost for the command-runner integration tests: the REAL client (CameraClient +
 * CameraApi) against the simulator over loopback, the real EventPoller keeping the state, and a
 * counting RpcCaller in between that records every call (per method, concurrent actTakePicture).
 */
import { CameraApi } from "../../src/camera/api.js";
import { CameraClient } from "../../src/camera/client.js";
import { EventPoller } from "../../src/camera/event-loop.js";
import { AVAILABLE_METHODS, type CameraState } from "../../src/camera/events.js";
import { type CallOptions, type CameraService, type RpcCaller } from "../../src/camera/types.js";
import {
  CommandRunner,
  type CommandHost,
  type CommandRunnerOptions,
} from "../../src/bridge/command-runner.js";
import { loadCommandValidators } from "../../src/bridge/commands-schema.js";
import { parseCommand, type CommandResult } from "../../src/bridge/commands.js";
import { type Simulator, type SimulatorOptions } from "../../src/sim/simulator.js";
import { startTestSim, waitFor } from "../helpers/sim.js";

/** Counts calls per method (attempts, successes) and the most actTakePicture calls at once. */
export class CountingCaller implements RpcCaller {
  readonly attempts = new Map<string, number>();
  readonly successes = new Map<string, number>();
  maxConcurrentShots = 0;
  readonly failures: { method: string; error: unknown }[] = [];
  #shotsInFlight = 0;

  constructor(private readonly inner: RpcCaller) {}

  async call(
    service: CameraService,
    method: string,
    params?: readonly unknown[],
    version?: string,
    options?: CallOptions,
  ): Promise<unknown[]> {
    this.attempts.set(method, (this.attempts.get(method) ?? 0) + 1);
    const shot = method === "actTakePicture" || method === "awaitTakePicture";
    if (shot) {
      this.#shotsInFlight++;
      this.maxConcurrentShots = Math.max(this.maxConcurrentShots, this.#shotsInFlight);
    }
    try {
      const result = await this.inner.call(service, method, params, version, options);
      this.successes.set(method, (this.successes.get(method) ?? 0) + 1);
      return result;
    } catch (e) {
      this.failures.push({ method, error: e });
      throw e;
    } finally {
      if (shot) this.#shotsInFlight--;
    }
  }

  count(method: string): number {
    return this.attempts.get(method) ?? 0;
  }

  /** Failed calls of `method` whose connection was refused (the camera never saw them). */
  refused(method: string): number {
    return this.failures.filter(
      (f) => f.method === method && causeCodes(f.error).includes("ECONNREFUSED"),
    ).length;
  }

  ok(method: string): number {
    return this.successes.get(method) ?? 0;
  }
}

function causeCodes(e: unknown): string[] {
  const out: string[] = [];
  let current: unknown = e;
  for (let i = 0; i < 6 && typeof current === "object" && current !== null; i++) {
    const code: unknown = (current as { code?: unknown }).code;
    if (typeof code === "string") out.push(code);
    current = (current as { cause?: unknown }).cause;
  }
  return out;
}

/** One recorded `<base>/event`. */
export type RecordedEvent = { type: string } & Record<string, unknown>;

/** The test host: every CommandHost hook records what it was told. */
export class TestHost implements CommandHost {
  online = true;
  rpcAllow: readonly string[] = ["*"];
  readonly events: RecordedEvent[] = [];
  readonly pictures: string[][] = [];
  readonly merged: string[] = [];
  liveview = false;
  fps = 2;
  refreshes = 0;
  readonly api: CameraApi;
  readonly poller: EventPoller;
  #controller = new AbortController();
  #supervisor: Promise<void> = Promise.resolve();

  constructor(
    readonly sim: Simulator,
    readonly client: CameraClient,
    readonly caller: CountingCaller,
  ) {
    this.api = new CameraApi(caller);
    // The poller talks to the client directly so its calls do not mix into the counts.
    this.poller = new EventPoller({ rpc: client, version: "1.1" });
  }

  camera(): CameraApi | null {
    return this.online ? this.api : null;
  }
  rpc(): RpcCaller | null {
    return this.online ? this.caller : null;
  }
  state(): CameraState {
    return this.poller.state;
  }
  setLiveviewPublishing(on: boolean): void {
    this.liveview = on;
  }
  setLiveviewFps(fps: number): void {
    this.fps = fps;
  }
  async refresh(signal: AbortSignal): Promise<void> {
    this.refreshes++;
    await this.poller.refresh(signal);
  }
  pictureTaken(
    urls: string[],
    _options: { download: boolean; signal: AbortSignal },
  ): Promise<unknown> {
    this.pictures.push(urls);
    return Promise.resolve({ recorded: this.pictures.length });
  }
  emitEvent(event: RecordedEvent): void {
    this.events.push(event);
    this.onEvent?.(event);
  }
  /** Told every event as it is emitted (tests hook power cycles onto progress). */
  onEvent: ((event: RecordedEvent) => void) | undefined;
  mergeAvailable(method: string, result: readonly unknown[]): void {
    this.merged.push(method);
    this.poller.mergeAvailable(method, result);
  }

  /** Starts the poller (restarted after failures, like the bridge's session) and loads candidates. */
  async start(): Promise<void> {
    const signal = this.#controller.signal;
    this.#supervisor = (async () => {
      while (!signal.aborted) {
        try {
          await this.poller.run(signal);
        } catch {
          // camera gone: try again shortly
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await waitFor(() => this.poller.state.camera_status !== null, 3000);
    await this.loadAvailable();
  }

  /** getAvailable* of everything the camera offers now, merged (what the bridge does on connect). */
  async loadAvailable(): Promise<void> {
    for (const method of AVAILABLE_METHODS) {
      try {
        const result = await this.client.call("camera", method, [], "1.0");
        this.poller.mergeAvailable(method, result);
      } catch {
        // not offered in this mode
      }
    }
  }

  async stop(): Promise<void> {
    this.#controller.abort();
    await this.#supervisor;
  }

  timelapseEvents(): RecordedEvent[] {
    return this.events.filter((e) => e.type === "timelapse");
  }
}

/** A simulator, the real client, a TestHost and a CommandRunner, with one `close()`. */
export interface Rig {
  sim: Simulator;
  host: TestHost;
  caller: CountingCaller;
  runner: CommandRunner;
  /** Parses a payload with the real parser and runs it; fails the test on a parse error. */
  send(name: string, payload?: string, signal?: AbortSignal): Promise<CommandResult>;
  close(): Promise<void>;
}

const validators = loadCommandValidators();

/** Starts a rig; `runnerOptions.timings` are merged over short test timings. */
export async function startRig(
  simOptions: SimulatorOptions = {},
  runnerOptions: CommandRunnerOptions = {},
): Promise<Rig> {
  const sim = await startTestSim(simOptions);
  const client = new CameraClient({ endpoints: sim.urls.endpoints });
  const caller = new CountingCaller(client);
  const host = new TestHost(sim, client, caller);
  await host.start();
  const runner = new CommandRunner(host, {
    ...runnerOptions,
    timings: {
      idleWaitMs: 2000,
      settingConfirmMs: 2000,
      settingPollMs: 20,
      zoomSettleMs: 60,
      zoomStepTimeoutMs: 1000,
      zoomTimeoutMs: 8000,
      timelapseOfflineWaitMs: 4000,
      timelapseRetryDelayMs: 100,
      ...runnerOptions.timings,
    },
  });
  const root = new AbortController();
  return {
    sim,
    host,
    caller,
    runner,
    send: async (name, payload = "", signal = root.signal) => {
      const parsed = parseCommand(name, new TextEncoder().encode(payload), validators);
      if (!parsed.ok) throw new Error(`${name}: ${JSON.stringify(parsed.result)}`);
      return runner.run(parsed.command, parsed.transaction, signal);
    },
    close: async () => {
      root.abort();
      await runner.stop();
      await host.stop();
      await client.close();
      await sim.close();
    },
  };
}
