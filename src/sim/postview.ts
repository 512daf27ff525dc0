/**
 * Postview pictures: names in the camera's URL shape and a bounded store of recent shots
 * (camera-api.md §1.4 "URL shapes", §6.4). Pure apart from the injected renderer.
 */

/** The DLNA query string QX/AS cameras append to image URLs (QX100 TSAR, AS30V NERAB). */
export const DLNA_QUERY = "?%211234%21http%2dget%3a%2a%3aimage%2fjpeg%3a%2a%21%21%21%21%21";

/** How postview paths are spelled. */
export type PostviewNaming = "qx" | "smart-remote";

const pad = (n: number, width: number): string => String(n).padStart(width, "0");

/**
 * The path (with query) of a postview picture taken at `time` (UTC fields), `counter` telling
 * shots within one second apart:
 * - `qx`: `/pictYYMMDD_HHMMSSNNNN.JPG?<DLNA query>` (e.g. `/pict140318_1624510000.JPG?…`)
 * - `smart-remote`: `/postview/pictYYYYMMDD_HHMMSS_N.JPG` (KOTA #5)
 */
export function postviewPath(naming: PostviewNaming, time: Date, counter: number): string {
  const y = time.getUTCFullYear();
  const date = `${pad(time.getUTCMonth() + 1, 2)}${pad(time.getUTCDate(), 2)}`;
  const clock = `${pad(time.getUTCHours(), 2)}${pad(time.getUTCMinutes(), 2)}${pad(time.getUTCSeconds(), 2)}`;
  if (naming === "qx") {
    return `/pict${pad(y % 100, 2)}${date}_${clock}${pad(counter % 10000, 4)}.JPG${DLNA_QUERY}`;
  }
  return `/postview/pict${pad(y, 4)}${date}_${clock}_${counter}.JPG`;
}

/** One stored picture. */
interface Stored {
  index: number;
  jpeg: Buffer | undefined;
}

/**
 * The last `capacity` pictures, looked up by path (without query). Older pictures are forgotten,
 * so their URLs answer 404 (real cameras keep a URL only for a while, §6.4). JPEGs are rendered
 * on first download and cached.
 */
export class PostviewStore {
  private readonly pictures = new Map<string, Stored>();
  private lastSecond = -1;
  private sameSecond = 0;
  private count = 0;

  /**
   * @param naming - URL shape
   * @param capacity - how many recent pictures stay downloadable (default 20)
   * @param render - produces the JPEG of the n-th picture (0-based)
   */
  constructor(
    private readonly naming: PostviewNaming,
    private readonly render: (index: number) => Buffer,
    private readonly capacity = 20,
  ) {}

  /** Registers a new picture taken at `time`; returns its path with query. */
  add(time: Date): string {
    const second = Math.floor(time.getTime() / 1000);
    this.sameSecond = second === this.lastSecond ? this.sameSecond + 1 : 0;
    this.lastSecond = second;
    const path = postviewPath(this.naming, time, this.sameSecond);
    this.pictures.set(stripQuery(path), { index: this.count, jpeg: undefined });
    this.count += 1;
    while (this.pictures.size > this.capacity) {
      const oldest = this.pictures.keys().next();
      if (oldest.done === true) break;
      this.pictures.delete(oldest.value);
    }
    return path;
  }

  /** The JPEG at `path` (query ignored), or undefined when unknown or forgotten. */
  get(path: string): Buffer | undefined {
    const stored = this.pictures.get(stripQuery(path));
    if (stored === undefined) return undefined;
    stored.jpeg ??= this.render(stored.index);
    return stored.jpeg;
  }

  /** Number of pictures taken since the store was created. */
  get taken(): number {
    return this.count;
  }

  /** Forgets every picture (actFormatStorage). */
  clear(): void {
    this.pictures.clear();
  }
}

function stripQuery(path: string): string {
  const q = path.indexOf("?");
  return q === -1 ? path : path.slice(0, q);
}
