/**
 * The logger factory: pino, JSON lines, with secrets redacted by the same rules as
 * `redactConfig` (passwords/tokens anywhere up to four levels deep, credentials inside any `url`
 * field). One root logger per process, created from config by `app.ts`; each component takes
 * `logger.child({ component })` (style.md Part 3: no module-level logger singletons).
 */
import { pino, type DestinationStream, type Logger as PinoLogger } from "pino";
import { PinoPretty } from "pino-pretty";
import { censorLogValue, SECRET_LOG_PATHS } from "./config/redact.js";

/** The logger type every component receives. */
export type Logger = PinoLogger;

/** Levels accepted by {@link createLogger} (the schema's `log.level`). */
export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

/** Options of {@link createLogger}. */
export interface CreateLoggerOptions {
  /** Lowest level written. */
  level: LogLevel;
  /** Where lines go; default standard output (pino's `destination(1)`). Tests pass a stream. */
  destination?: DestinationStream | NodeJS.WritableStream;
  /** Extra fields on every line, e.g. `{ base: "qx10" }` when several bridges share a log. */
  bindings?: Record<string, unknown>;
  /**
   * Human-readable, coloured lines on standard output (for a terminal) instead of JSON lines.
   * Ignored when `destination` is given. Default false.
   */
  pretty?: boolean;
}

/**
 * Creates the root logger. Log errors as `log.warn({ err }, "...")` (pino serializes `err`);
 * never log payload bytes, only their size.
 */
export function createLogger(options: CreateLoggerOptions): Logger {
  const logger = pino(
    {
      level: options.level,
      redact: { paths: [...SECRET_LOG_PATHS], censor: censorLogValue },
      timestamp: pino.stdTimeFunctions.isoTime,
      serializers: { err: serializeError, error: serializeError },
      base: options.bindings ?? {},
    },
    options.destination ??
      (options.pretty === true
        ? // In-process stream, not a worker transport: nothing to flush or shut down.
          PinoPretty({
            colorize: true,
            singleLine: true,
            translateTime: "SYS:HH:MM:ss.l",
            ignore: "pid,hostname",
          })
        : pino.destination(1)),
  );
  return logger;
}

/** Error fields worth a log line; everything else (e.g. a TLS error's `cert`) is left out. */
const ERROR_FIELDS = ["code", "errno", "syscall", "address", "port", "reason", "cameraCode"];

/** A serialized error: name, message, stack, the {@link ERROR_FIELDS} present, and its cause. */
export interface SerializedError {
  type: string;
  message: string;
  stack?: string;
  cause?: SerializedError | string;
  [field: string]: unknown;
}

/**
 * pino serializer for `err`: a small, JSON-safe picture of an error and its `cause` chain (at most
 * 5 deep). pino's default copies every enumerable property, and TLS errors carry the peer
 * certificate, whose circular `issuerCertificate` made whole log lines unserializable.
 */
export function serializeError(err: unknown, depth = 0): SerializedError | string {
  if (!(err instanceof Error)) {
    if (typeof err === "string") return err;
    try {
      // JSON.stringify returns undefined for undefined and functions, despite its type.
      const json = JSON.stringify(err) as string | undefined;
      return json ?? String(err);
    } catch {
      return String(err);
    }
  }
  const out: SerializedError = { type: err.name, message: err.message };
  if (err.stack !== undefined) out.stack = err.stack;
  const fields = err as unknown as Record<string, unknown>;
  for (const f of ERROR_FIELDS) {
    const v = fields[f];
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") out[f] = v;
  }
  if (err.cause !== undefined && depth < 5) out.cause = serializeError(err.cause, depth + 1);
  return out;
}

/** `logger.child({ component })`: the per-component logger. */
export function componentLogger(logger: Logger, component: string): Logger {
  return logger.child({ component });
}
