/**
 * Fault injection for the simulator: what can go wrong on a camera's WiFi link and in its
 * firmware, as rules that the HTTP layer consults per request, plus one-shot actions (liveview
 * faults, power off). Parsing is pure; {@link FaultController} only keeps rules.
 */
import { BridgeError } from "../errors.js";

/** How the liveview stream misbehaves (carried out by the liveview handler). */
export type LiveviewFaultKind = "corrupt" | "cut" | "drop" | "hang";

const LIVEVIEW_FAULTS: readonly LiveviewFaultKind[] = ["corrupt", "cut", "drop", "hang"];

/** Which server a request rule applies to. */
export type FaultTarget = "api" | "dd" | "image";

/** A rule applied to matching HTTP requests. */
export type RequestFault =
  /** Answer this camera error (JSON-RPC on HTTP 200; HTTP status for 4xx/5xx codes). */
  | { kind: "error"; code: number }
  /** HTTP 500. */
  | { kind: "http500" }
  /** HTTP 200 with a body that is not valid JSON (the reply cut in half). */
  | { kind: "malformed-json" }
  /** Answer after `ms` milliseconds. */
  | { kind: "slow"; ms: number }
  /** Never answer (the connection stays open until the client gives up). */
  | { kind: "hang" }
  /** Send the headers and half the body, then reset the connection. */
  | { kind: "drop" };

/** Where a request rule applies and how often. */
export interface FaultScope {
  /** Default "api". */
  target?: FaultTarget;
  /** Only requests for this JSON-RPC method (api target). */
  method?: string;
  /** Only requests to this API service (api target). */
  service?: string;
  /** How many matching requests it affects; undefined = every one. */
  times?: number;
}

/** A request rule with its scope. */
export type FaultRule = RequestFault & FaultScope;

/** A one-shot action. */
export type FaultAction =
  | { kind: "liveview"; fault: LiveviewFaultKind }
  /** Power off after `afterMs` (default 0); come back after `forMs` (default: stay off). */
  | { kind: "power-off"; afterMs?: number; forMs?: number };

/** What a `--fault` spec describes. */
export type FaultSpec = FaultRule | FaultAction;

const usage = (spec: string, why: string): BridgeError =>
  new BridgeError("USAGE", `--fault ${JSON.stringify(spec)}: ${why}`);

function nonNegativeInt(spec: string, key: string, value: string | undefined): number {
  const n = Number(value);
  if (value === undefined || value === "" || !Number.isInteger(n) || n < 0) {
    throw usage(spec, `${key} needs a non-negative integer`);
  }
  return n;
}

/**
 * Parses a fault spec: colon-separated `key` or `key=value` parts, in any order. Exactly one part
 * names the fault:
 * `error=CODE`, `http500`, `malformed-json`, `slow=MS`, `hang`, `drop`,
 * `liveview=corrupt|cut|drop|hang`, `power-off[=AFTER_MS]` (with `for=MS` to come back).
 * Request faults take the modifiers `method=NAME`, `service=NAME`, `target=api|dd|image`,
 * `once` or `times=N`. Examples: `method=actTakePicture:error=40400:once`, `slow=2000`,
 * `drop:method=getEvent`, `power-off=5000:for=3000`.
 * @throws BridgeError USAGE naming the problem
 */
export function parseFaultSpec(spec: string): FaultSpec {
  const parts = new Map<string, string | undefined>();
  for (const part of spec.split(":")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const key = eq === -1 ? part : part.slice(0, eq);
    if (parts.has(key)) throw usage(spec, `"${key}" given twice`);
    parts.set(key, eq === -1 ? undefined : part.slice(eq + 1));
  }
  const kinds = [
    "error",
    "http500",
    "malformed-json",
    "slow",
    "hang",
    "drop",
    "liveview",
    "power-off",
  ].filter((k) => parts.has(k));
  if (kinds.length !== 1) throw usage(spec, "name exactly one fault");
  const kind = kinds[0] ?? "";
  const known = new Set([...kinds, "method", "service", "target", "once", "times", "for"]);
  for (const key of parts.keys()) if (!known.has(key)) throw usage(spec, `unknown part "${key}"`);

  if (kind === "liveview") {
    const fault = parts.get("liveview") as LiveviewFaultKind;
    if (!LIVEVIEW_FAULTS.includes(fault)) {
      throw usage(spec, `liveview= takes ${LIVEVIEW_FAULTS.join("|")}`);
    }
    return { kind: "liveview", fault };
  }
  if (kind === "power-off") {
    const action: FaultAction = { kind: "power-off" };
    const after = parts.get("power-off");
    if (after !== undefined) action.afterMs = nonNegativeInt(spec, "power-off", after);
    if (parts.has("for")) action.forMs = nonNegativeInt(spec, "for", parts.get("for"));
    return action;
  }

  let fault: RequestFault;
  switch (kind) {
    case "error":
      fault = { kind: "error", code: nonNegativeInt(spec, "error", parts.get("error")) };
      break;
    case "slow":
      fault = { kind: "slow", ms: nonNegativeInt(spec, "slow", parts.get("slow")) };
      break;
    case "http500":
    case "malformed-json":
    case "hang":
    case "drop":
      fault = { kind };
      break;
    default:
      throw usage(spec, "name exactly one fault");
  }
  const rule: FaultRule = { ...fault };
  const target = parts.get("target");
  if (target !== undefined) {
    if (target !== "api" && target !== "dd" && target !== "image") {
      throw usage(spec, "target= takes api|dd|image");
    }
    rule.target = target;
  }
  const method = parts.get("method");
  if (method !== undefined) rule.method = method;
  const service = parts.get("service");
  if (service !== undefined) rule.service = service;
  if (parts.has("once")) rule.times = 1;
  if (parts.has("times")) rule.times = nonNegativeInt(spec, "times", parts.get("times"));
  return rule;
}

/** What a request looks like to the rule matcher. */
export interface FaultRequest {
  target: FaultTarget;
  service?: string;
  method?: string;
}

/**
 * The active fault rules. Request rules are consulted by the servers through {@link take};
 * actions (liveview faults, power off) are handed to `onAction` at once.
 */
export class FaultController {
  private rules: FaultRule[] = [];

  /** @param onAction - carries out liveview and power faults */
  constructor(private readonly onAction: (action: FaultAction) => void) {}

  /** Replaces all rules with `specs` (rule objects or spec strings); actions run at once. */
  set(...specs: (FaultSpec | string)[]): void {
    this.rules = [];
    for (const spec of specs) this.add(spec);
  }

  /** Adds one rule (or runs one action). @throws BridgeError USAGE for a bad spec string */
  add(spec: FaultSpec | string): void {
    const parsed = typeof spec === "string" ? parseFaultSpec(spec) : spec;
    if (parsed.kind === "liveview" || parsed.kind === "power-off") {
      this.onAction(parsed);
      return;
    }
    if (parsed.times === 0) return;
    this.rules.push({ ...parsed });
  }

  /** Removes every rule. */
  clear(): void {
    this.rules = [];
  }

  /** The rules still active. */
  list(): readonly FaultRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  /** The first rule matching `req` (counting one use of it), or undefined. */
  take(req: FaultRequest): FaultRule | undefined {
    const index = this.rules.findIndex(
      (r) =>
        (r.target ?? "api") === req.target &&
        (r.method === undefined || r.method === req.method) &&
        (r.service === undefined || r.service === req.service),
    );
    const rule = this.rules[index];
    if (rule === undefined) return undefined;
    if (rule.times !== undefined) {
      rule.times -= 1;
      if (rule.times <= 0) this.rules.splice(index, 1);
    }
    return { ...rule };
  }
}
