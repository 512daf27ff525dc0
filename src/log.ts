/**
 * The logger factory: pino, JSON lines, with secrets redacted by the same rules as
 * `redactConfig` (passwords/tokens anywhere up to four levels deep, credentials inside any `url`
 * field). One root logger per process, created from config by `app.ts`; each component takes
 * `logger.child({ component })` (style.md Part 3: no module-level logger singletons).
 */
import { pino, type DestinationStream, type Logger as PinoLogger } from "pino";
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
      base: options.bindings ?? {},
    },
    options.destination ?? pino.destination(1),
  );
  return logger;
}

/** `logger.child({ component })`: the per-component logger. */
export function componentLogger(logger: Logger, component: string): Logger {
  return logger.child({ component });
}
