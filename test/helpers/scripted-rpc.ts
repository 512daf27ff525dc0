/**
 * A scripted {@link RpcCaller} double for unit tests of code that talks JSON-RPC: each call takes
 * the next scripted step for its method (getEvent is keyed by its polling flag: `getEvent(true)` /
 * `getEvent(false)`); with the script empty it hangs until the call's signal aborts, like a camera
 * holding a long poll. Records every call and the most long polls ever in flight at once.
 */
import { BridgeError } from "../../src/errors.js";
import { type CallOptions, type CameraService, type RpcCaller } from "../../src/camera/types.js";
import { abortError } from "../../src/util/abort.js";

/** One recorded call. */
export interface RecordedCall {
  service: CameraService;
  method: string;
  params: readonly unknown[];
  version: string | undefined;
  options: CallOptions | undefined;
}

/**
 * What a call does: reply with a result array, throw a {@link BridgeError}, hang until aborted, or
 * run a function (e.g. returning a promise the test settles).
 */
export type Step =
  unknown[] | BridgeError | "hang" | ((call: RecordedCall) => unknown[] | Promise<unknown[]>);

/** A camera JSON-RPC error as the client reports it. */
export function rpcError(code: number): BridgeError {
  return new BridgeError("CAMERA_RPC", `camera error ${code}`, { cameraCode: code });
}

/** A promise with its settle functions exposed. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (reason: unknown) => void;
}

/** Creates a {@link Deferred} (Node 20 has no Promise.withResolvers). */
export function deferred<T>(): Deferred<T> {
  let resolve: (value: T) => void = () => undefined;
  let reject: (reason: unknown) => void = () => undefined;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function keyOf(method: string, params: readonly unknown[]): string {
  return method === "getEvent" ? `getEvent(${String(params[0])})` : method;
}

function hang(signal: AbortSignal | undefined): Promise<never> {
  return new Promise<never>((_resolve, reject) => {
    if (signal === undefined) return; // a test bug: it will time out visibly
    if (signal.aborted) {
      reject(abortError(signal));
      return;
    }
    signal.addEventListener(
      "abort",
      () => {
        reject(abortError(signal));
      },
      { once: true },
    );
  });
}

/** The scripted double; see the module comment. */
export class ScriptedRpc implements RpcCaller {
  /** Every call, in order. */
  readonly calls: RecordedCall[] = [];
  /** getEvent(true) calls not yet settled. */
  longPollsInFlight = 0;
  /** The most getEvent(true) calls ever in flight at once. */
  maxLongPollsInFlight = 0;
  readonly #script = new Map<string, Step[]>();
  readonly #waiters: { count: number; resolve: () => void }[] = [];

  /** Appends steps for `key` (a method name, or `getEvent(true)` / `getEvent(false)`). */
  on(key: string, ...steps: Step[]): this {
    const queue = this.#script.get(key) ?? [];
    queue.push(...steps);
    this.#script.set(key, queue);
    return this;
  }

  /** Steps of `key` not used yet. */
  remaining(key: string): number {
    return this.#script.get(key)?.length ?? 0;
  }

  /** Calls of a key so far, e.g. `count("getEvent(true)")`. */
  count(key: string): number {
    return this.calls.filter((c) => keyOf(c.method, c.params) === key).length;
  }

  /** Resolves once at least `n` calls were made. */
  async waitForCalls(n: number): Promise<void> {
    if (this.calls.length >= n) return;
    await new Promise<void>((resolve) => this.#waiters.push({ count: n, resolve }));
  }

  async call(
    service: CameraService,
    method: string,
    params: readonly unknown[] = [],
    version?: string,
    options?: CallOptions,
  ): Promise<unknown[]> {
    const call: RecordedCall = { service, method, params, version, options };
    this.calls.push(call);
    for (const w of this.#waiters.filter((x) => this.calls.length >= x.count)) {
      this.#waiters.splice(this.#waiters.indexOf(w), 1);
      w.resolve();
    }
    const longPoll = method === "getEvent" && params[0] === true;
    if (longPoll) {
      this.longPollsInFlight += 1;
      this.maxLongPollsInFlight = Math.max(this.maxLongPollsInFlight, this.longPollsInFlight);
    }
    try {
      const step = this.#script.get(keyOf(method, params))?.shift() ?? "hang";
      // A reply always comes asynchronously, as over HTTP.
      await Promise.resolve();
      if (step === "hang") return await hang(options?.signal);
      if (step instanceof BridgeError) throw step;
      if (typeof step === "function") return await step(call);
      return step;
    } finally {
      if (longPoll) this.longPollsInFlight -= 1;
    }
  }
}
