/**
 * A strict MJPEG (`multipart/x-mixed-replace`) reader for the HTTP tests and bench/http-viewers.ts:
 * node:http GET, then every part must be exactly
 *
 *   `--<boundary>` CRLF, header lines (`Name: value` CRLF) with `Content-Type: image/jpeg` and a
 *   decimal `Content-Length`, an empty line, that many bytes (a JPEG: FF D8 … FF D9), CRLF
 *
 * with the boundary taken from the response's Content-Type. Anything else is an error (the stream
 * is then destroyed and `done` rejects). The buffer is capped.
 */
import { get, type IncomingMessage } from "node:http";

/** One part of the stream. */
export interface MjpegPart {
  jpeg: Buffer;
  /** performance.now() when the part was complete. */
  at: number;
  /** The part's headers, names in lower case. */
  headers: Record<string, string>;
}

/** Options of {@link openMjpeg}. */
export interface OpenMjpegOptions {
  headers?: Record<string, string>;
  /** Called for every part (after the checks). */
  onPart?: (part: MjpegPart) => void;
  /** Keep the parts in {@link MjpegReader.parts} (default true). */
  keep?: boolean;
  /** Largest accepted part, bytes (default 4 MiB). */
  maxPartBytes?: number;
}

/** A connected reader. */
export interface MjpegReader {
  readonly response: IncomingMessage;
  readonly boundary: string;
  /** Parts so far (when `keep`). */
  readonly parts: MjpegPart[];
  /** Parts counted (also when not kept). */
  count(): number;
  /** Resolves when the server ends the stream; rejects on a framing error. */
  readonly done: Promise<void>;
  /** Pauses / resumes reading from the socket. */
  pause(): void;
  resume(): void;
  /** Closes the connection (the stream then ends for the server). */
  close(): void;
}

/** True when `b` starts with SOI and ends with EOI. */
export function isJpeg(b: Uint8Array): boolean {
  const n = b.length;
  return n >= 4 && b[0] === 0xff && b[1] === 0xd8 && b[n - 2] === 0xff && b[n - 1] === 0xd9;
}

/**
 * The incremental strict parser (exported for its own unit checks): push body bytes; it returns
 * complete parts and throws on the first framing error.
 */
export class StrictMultipartParser {
  readonly #delimiter: Buffer;
  readonly #max: number;
  #buf: Buffer = Buffer.alloc(0);
  #state: "delimiter" | "headers" | "body" | "crlf" = "delimiter";
  #headers: Record<string, string> = {};
  #length = 0;

  constructor(boundary: string, maxPartBytes = 4 * 1024 * 1024) {
    this.#delimiter = Buffer.from(`--${boundary}\r\n`, "latin1");
    this.#max = maxPartBytes;
  }

  push(chunk: Buffer): Omit<MjpegPart, "at">[] {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    const out: Omit<MjpegPart, "at">[] = [];
    for (;;) {
      if (this.#state === "delimiter") {
        const d = this.#delimiter;
        const n = Math.min(d.length, this.#buf.length);
        if (!this.#buf.subarray(0, n).equals(d.subarray(0, n))) {
          throw new Error(`expected the boundary line, got ${JSON.stringify(this.#head())}`);
        }
        if (this.#buf.length < d.length) return out;
        this.#buf = this.#buf.subarray(d.length);
        this.#state = "headers";
        this.#headers = {};
      } else if (this.#state === "headers") {
        const eol = this.#buf.indexOf("\r\n");
        if (eol < 0) {
          if (this.#buf.length > 1024) throw new Error("header line too long");
          if (this.#buf.includes(0x0a)) throw new Error("bare LF in a header line");
          return out;
        }
        const line = this.#buf.subarray(0, eol).toString("latin1");
        this.#buf = this.#buf.subarray(eol + 2);
        if (line.includes("\n") || line.includes("\r")) throw new Error("bare CR/LF in headers");
        if (line === "") {
          if (this.#headers["content-type"] !== "image/jpeg") {
            throw new Error(`part Content-Type ${this.#headers["content-type"]}`);
          }
          const cl = this.#headers["content-length"] ?? "";
          if (!/^\d+$/.test(cl)) throw new Error(`part Content-Length ${JSON.stringify(cl)}`);
          this.#length = Number(cl);
          if (this.#length > this.#max) throw new Error(`part of ${this.#length} bytes`);
          this.#state = "body";
          continue;
        }
        const m = /^([A-Za-z0-9-]+): ?(.*)$/.exec(line);
        if (m === null) throw new Error(`bad header line ${JSON.stringify(line)}`);
        const name = (m[1] ?? "").toLowerCase();
        if (name in this.#headers) throw new Error(`header ${name} twice`);
        this.#headers[name] = (m[2] ?? "").trim();
        if (Object.keys(this.#headers).length > 16) throw new Error("too many part headers");
      } else if (this.#state === "body") {
        if (this.#buf.length < this.#length) return out;
        const jpeg = Buffer.from(this.#buf.subarray(0, this.#length));
        this.#buf = this.#buf.subarray(this.#length);
        if (!isJpeg(jpeg)) throw new Error("part is not a complete JPEG (FF D8 … FF D9)");
        out.push({ jpeg, headers: this.#headers });
        this.#state = "crlf";
      } else {
        if (this.#buf.length < 2) return out;
        if (this.#buf[0] !== 0x0d || this.#buf[1] !== 0x0a) {
          throw new Error(`expected CRLF after the JPEG, got ${JSON.stringify(this.#head())}`);
        }
        this.#buf = this.#buf.subarray(2);
        this.#state = "delimiter";
      }
    }
  }

  #head(): string {
    return this.#buf.subarray(0, 40).toString("latin1");
  }
}

/**
 * GETs `url` and parses the MJPEG body strictly.
 * @throws Error when the status is not 200 or the Content-Type is not multipart/x-mixed-replace
 */
export async function openMjpeg(url: string, options: OpenMjpegOptions = {}): Promise<MjpegReader> {
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = get(url, { headers: options.headers ?? {} }, resolve);
    req.on("error", reject);
  });
  const ct = response.headers["content-type"] ?? "";
  const m = /^multipart\/x-mixed-replace;\s*boundary=("?)([^";]+)\1$/i.exec(ct);
  if (response.statusCode !== 200 || m === null) {
    response.destroy();
    throw new Error(`status ${response.statusCode}, content-type ${ct}`);
  }
  const boundary = m[2] ?? "";
  const parser = new StrictMultipartParser(boundary, options.maxPartBytes);
  const parts: MjpegPart[] = [];
  const keep = options.keep ?? true;
  let count = 0;
  const done = new Promise<void>((resolve, reject) => {
    response.on("data", (chunk: Buffer) => {
      let got;
      try {
        got = parser.push(chunk);
      } catch (e) {
        response.destroy();
        reject(e instanceof Error ? e : new Error(String(e)));
        return;
      }
      const at = performance.now();
      for (const p of got) {
        const part = { ...p, at };
        count++;
        if (keep) parts.push(part);
        options.onPart?.(part);
      }
    });
    response.on("end", resolve);
    response.on("close", resolve);
    response.on("error", (e) => {
      // A connection we closed ourselves is not a framing error.
      if (response.destroyed) resolve();
      else reject(e);
    });
  });
  return {
    response,
    boundary,
    parts,
    count: () => count,
    done,
    pause: () => response.pause(),
    resume: () => response.resume(),
    close: () => response.destroy(),
  };
}
