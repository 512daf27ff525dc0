/**
 * Snapshots (mqtt-api.md "Published by the bridge"): after each picture the postview image is
 * downloaded (camera-api.md §6.4: the URL is used verbatim and is valid only for a while), published
 * retained as raw JPEG on `<base>/snapshot` with `<base>/snapshot/attributes`, optionally saved to
 * `snapshot.save_dir`, and announced with a `picture_taken` event.
 *
 * Pictures arrive two ways: the bridge's own shots (`cmd/shoot`, timelapse) and the getEvent loop,
 * which reports every shot — the bridge's own and those taken with the camera's button. Each URL is
 * handled once: the first caller starts the work and later ones get the same promise. The loop's
 * reports wait a moment ({@link SnapshotManagerOptions.claimDelayMs}) so a shot of the bridge, whose
 * URL the camera may report before actTakePicture returns, is attributed to the command.
 */
import { open } from "node:fs/promises";
import { join } from "node:path";
import { type Download } from "../camera/client.js";
import { type SnapshotConfig } from "../config/load.js";
import { BridgeError, isBridgeError } from "../errors.js";
import { jpegSize } from "../liveview/jpeg.js";
import { type Logger } from "../log.js";
import { estimatePublishPacketSize, type MqttConnection } from "../mqtt/connection.js";
import { snapshot as snapshotTopic, snapshotAttributes } from "../mqtt/topics.js";
import { sleepUnlessAborted } from "../util/abort.js";

/** Payload of `<base>/snapshot/attributes`, key order as in the contract (`taken_at` first). */
export interface SnapshotAttributes {
  /** ISO 8601 time the bridge learnt of the picture. */
  taken_at: string;
  url: string;
  bytes: number;
  width: number | null;
  height: number | null;
  filename: string;
  /** Absolute path of the saved copy, or null when `snapshot.save_dir` is not set. */
  saved_path: string | null;
}

/** Who took a picture. */
export type PictureSource = "command" | "camera";

/** What happened to one picture. */
export interface PictureOutcome {
  url: string;
  source: PictureSource;
  /** The published attributes, or null when no snapshot was published (see `error`). */
  snapshot: SnapshotAttributes | null;
  /** Why no snapshot was published; absent when one was, or when download was not wanted. */
  error?: { code: string; error: string };
}

/** Downloads a postview URL (the camera client's `download`), capped at `maxBytes`. */
export type PostviewDownloader = (
  url: string,
  options: { signal: AbortSignal; maxBytes: number },
) => Promise<Download>;

/** Options of {@link SnapshotManager}. */
export interface SnapshotManagerOptions {
  mqtt: Pick<MqttConnection, "retained" | "maximumPacketSize">;
  baseTopic: string;
  config: SnapshotConfig;
  logger: Logger;
  /** The current downloader, or null while the camera is offline. */
  downloader: () => PostviewDownloader | null;
  /** Publishes a `<base>/event` message. */
  emitEvent: (event: { type: string } & Record<string, unknown>) => void;
  /** Wait before handling a URL reported by the event loop, ms (default 1500). */
  claimDelayMs?: number;
  /** Clock (tests). Default `() => new Date()`. */
  now?: () => Date;
  /** Told of each snapshot once it is published (in-process readers such as `/picture.jpg`). */
  onPublished?: (bytes: Uint8Array, attributes: SnapshotAttributes) => void;
}

/** How many handled URLs are remembered for deduplication. */
const REMEMBERED_URLS = 256;

/**
 * The file name of a postview URL (its last path segment, e.g. `pict140318_1624510000.JPG`,
 * camera-api.md §1.4), or `postview.jpg` when that is not a plain file name.
 */
export function postviewFileName(url: string): string {
  let name: string;
  try {
    const path = new URL(url).pathname;
    name = decodeURIComponent(path.slice(path.lastIndexOf("/") + 1));
  } catch {
    return "postview.jpg";
  }
  return /^\w[\w.-]*$/.test(name) ? name : "postview.jpg";
}

/** Writes `bytes` to a new file in `dir` named like `name`, adding `-1`, `-2`… instead of overwriting. */
async function saveUnique(dir: string, name: string, bytes: Uint8Array): Promise<string> {
  const dot = name.lastIndexOf(".");
  const stem = dot > 0 ? name.slice(0, dot) : name;
  const ext = dot > 0 ? name.slice(dot) : "";
  for (let i = 0; i < 10_000; i++) {
    const path = join(dir, i === 0 ? name : `${stem}-${i}${ext}`);
    let handle;
    try {
      handle = await open(path, "wx"); // fails with EEXIST: never overwrite
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EEXIST") continue;
      throw e;
    }
    try {
      await handle.writeFile(bytes);
    } finally {
      await handle.close();
    }
    return path;
  }
  throw new Error(`no free file name for ${name} in ${dir}`);
}

/** Handles every picture once: download, publish retained, save, announce. */
export class SnapshotManager {
  readonly #o: SnapshotManagerOptions;
  readonly #log: Logger;
  readonly #handled = new Map<string, Promise<PictureOutcome>>();
  readonly #pending = new Set<Promise<unknown>>();
  readonly #controller = new AbortController();

  constructor(options: SnapshotManagerOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: "snapshot" });
  }

  /**
   * Pictures of the bridge's own shot: handled at once (download when `download`), each URL once.
   * @returns one outcome per URL, in order
   */
  async pictureTaken(
    urls: readonly string[],
    options: { download: boolean; signal: AbortSignal },
  ): Promise<PictureOutcome[]> {
    const out: PictureOutcome[] = [];
    for (const url of urls) {
      out.push(await this.#handle(url, "command", options.download, options.signal));
    }
    return out;
  }

  /**
   * Pictures reported by the getEvent loop (any shot, the camera's button included). After the
   * claim delay, URLs not handled yet are published as taken on the camera. Never throws.
   */
  cameraReported(urls: readonly string[]): void {
    const signal = this.#controller.signal;
    const task = (async () => {
      if (!(await sleepUnlessAborted(this.#o.claimDelayMs ?? 1500, signal))) return;
      for (const url of urls) {
        if (this.#handled.has(url)) continue;
        await this.#handle(url, "camera", true, signal);
      }
    })().catch((e: unknown) => {
      this.#log.warn({ err: e }, "handling a picture reported by the camera failed");
    });
    this.#track(task);
  }

  /** Cancels pending work (downloads, delayed reports) and waits for it. Idempotent. */
  async stop(): Promise<void> {
    this.#controller.abort(new BridgeError("ABORTED", "snapshot manager stopped"));
    await Promise.allSettled([...this.#pending]);
  }

  #track(p: Promise<unknown>): void {
    this.#pending.add(p);
    void p.finally(() => this.#pending.delete(p));
  }

  #handle(
    url: string,
    source: PictureSource,
    download: boolean,
    signal: AbortSignal,
  ): Promise<PictureOutcome> {
    const known = this.#handled.get(url);
    if (known !== undefined) return known;
    const work = this.#process(
      url,
      source,
      download,
      AbortSignal.any([signal, this.#controller.signal]),
    );
    this.#handled.set(url, work);
    if (this.#handled.size > REMEMBERED_URLS) {
      const oldest = this.#handled.keys().next();
      if (oldest.done !== true) this.#handled.delete(oldest.value);
    }
    this.#track(work);
    return work;
  }

  async #process(
    url: string,
    source: PictureSource,
    download: boolean,
    signal: AbortSignal,
  ): Promise<PictureOutcome> {
    const takenAt = (this.#o.now?.() ?? new Date()).toISOString();
    let outcome: PictureOutcome = { url, source, snapshot: null };
    if (download) {
      try {
        outcome = { ...outcome, snapshot: await this.#publishSnapshot(url, takenAt, signal) };
      } catch (e) {
        const code = isBridgeError(e) ? e.code : "SNAPSHOT_FAILED";
        const message = e instanceof Error ? e.message : String(e);
        outcome = { ...outcome, error: { code, error: message } };
        this.#log.warn({ err: e, url }, "snapshot not published");
        this.#o.emitEvent({ type: "error", source: "snapshot", code, error: message, url });
      }
    }
    const event: { type: string } & Record<string, unknown> = {
      type: "picture_taken",
      taken_at: takenAt,
      url,
      source,
      snapshot: outcome.snapshot !== null,
    };
    if (outcome.snapshot !== null) {
      event["bytes"] = outcome.snapshot.bytes;
      event["width"] = outcome.snapshot.width;
      event["height"] = outcome.snapshot.height;
      event["filename"] = outcome.snapshot.filename;
      event["saved_path"] = outcome.snapshot.saved_path;
    }
    this.#o.emitEvent(event);
    return outcome;
  }

  async #publishSnapshot(
    url: string,
    takenAt: string,
    signal: AbortSignal,
  ): Promise<SnapshotAttributes> {
    const downloader = this.#o.downloader();
    if (downloader === null) {
      throw new BridgeError("CAMERA_UNREACHABLE", "camera is offline; postview not downloaded");
    }
    const cap = this.#o.config.max_bytes;
    let bytes: Buffer;
    try {
      ({ bytes } = await downloader(url, { signal, maxBytes: cap }));
    } catch (e) {
      // The client reports an over-cap body as CAMERA_PROTOCOL with `maxBytes` in its context.
      if (isBridgeError(e, "CAMERA_PROTOCOL") && e.context?.["maxBytes"] !== undefined) {
        throw new BridgeError(
          "CAMERA_PROTOCOL",
          `postview larger than snapshot.max_bytes (${cap} bytes); snapshot not published`,
          { cause: e, context: { maxBytes: cap, url } },
        );
      }
      throw e;
    }
    const topic = snapshotTopic(this.#o.baseTopic);
    const limit = this.#o.mqtt.maximumPacketSize;
    if (limit !== undefined && estimatePublishPacketSize(topic, bytes.length) > limit) {
      throw new BridgeError(
        "MQTT_UNAVAILABLE",
        `postview of ${bytes.length} bytes exceeds the broker's maximum packet size (${limit} bytes); snapshot not published`,
        { context: { bytes: bytes.length, maximumPacketSize: limit, url } },
      );
    }
    const size = jpegSize(bytes);
    const filename = postviewFileName(url);
    let savedPath: string | null = null;
    const dir = this.#o.config.save_dir;
    if (dir !== null) {
      try {
        savedPath = await saveUnique(dir, filename, bytes);
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        this.#log.warn({ err: e, dir }, "could not save the snapshot");
        this.#o.emitEvent({
          type: "error",
          source: "snapshot",
          code: "SAVE_FAILED",
          error: message,
          url,
        });
      }
    }
    const attributes: SnapshotAttributes = {
      taken_at: takenAt,
      url,
      bytes: bytes.length,
      width: size?.width ?? null,
      height: size?.height ?? null,
      filename,
      saved_path: savedPath,
    };
    // Image first, attributes after: a client that reacts to the attributes finds the new image.
    await this.#o.mqtt.retained(topic, bytes);
    await this.#o.mqtt.retained(snapshotAttributes(this.#o.baseTopic), JSON.stringify(attributes));
    this.#o.onPublished?.(bytes, attributes);
    this.#log.info({ url, bytes: bytes.length, savedPath }, "snapshot published");
    return attributes;
  }
}
