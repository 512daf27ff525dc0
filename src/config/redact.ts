/**
 * Secret redaction for everything that leaves the process: logs and `<base>/bridge/info`.
 * Secrets are: any key named like a password or token, and the password part of a URL's user
 * info (`mqtt://user:pass@host`). TLS file *paths* are kept: they are not secret and they help
 * diagnose a broken setup. Pure: no I/O.
 */

/** What a secret is replaced with. */
export const REDACTED = "***";

/** Key names whose (non-null) values are always secret, wherever they appear. */
export const SECRET_KEYS: readonly string[] = ["password", "passphrase", "secret", "token"];

const secretKeySet: ReadonlySet<string> = new Set(SECRET_KEYS);

// scheme://user:password@ — scheme per RFC 3986 §3.1; the user info ends at the last "@" before
// the host (a password may itself contain "@" when not percent-encoded).
const URL_CREDENTIALS = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)@/i;

/**
 * `url` with the password of its user info replaced by {@link REDACTED}: `mqtt://u:p@h` →
 * `mqtt://u:***@h`. A user info without a password (`mqtt://token@h`) is redacted whole, since
 * some brokers take the token as the user name. Strings that are no URLs come back unchanged.
 */
export function redactUrl(url: string): string {
  const m = URL_CREDENTIALS.exec(url);
  if (m === null) return url;
  const scheme = m[1] ?? "";
  const userInfo = m[2] ?? "";
  const colon = userInfo.indexOf(":");
  const redactedInfo = colon < 0 ? REDACTED : `${userInfo.slice(0, colon)}:${REDACTED}`;
  return `${scheme}${redactedInfo}@${url.slice(m[0].length)}`;
}

function redactValue(value: unknown, key: string | undefined): unknown {
  if (key !== undefined && secretKeySet.has(key.toLowerCase())) {
    return value === null || value === undefined ? value : REDACTED;
  }
  if (typeof value === "string") return redactUrl(value);
  if (Array.isArray(value)) return value.map((v) => redactValue(v, undefined));
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactValue(v, k);
    return out;
  }
  return value;
}

/**
 * A deep copy of `config` (or any JSON-like value) with secrets replaced by {@link REDACTED}: the
 * values of {@link SECRET_KEYS} (when not null) and URL credentials in every string. Use it for
 * logs and for `<base>/bridge/info`.
 */
export function redactConfig<T>(config: T): T {
  return redactValue(config, undefined) as T;
}

/**
 * pino `redact` paths that cover secret keys and URLs up to four levels deep (pino's wildcards
 * match exactly one level). Pair with {@link censorLogValue}.
 */
export const SECRET_LOG_PATHS: readonly string[] = ((): string[] => {
  const keys = [...SECRET_KEYS, "url"];
  const paths: string[] = [];
  for (let depth = 0; depth < 4; depth++) {
    const prefix = "*.".repeat(depth);
    for (const key of keys) paths.push(prefix + key);
  }
  return paths;
})();

/**
 * pino `redact.censor`: URLs lose their credentials, every other matched value (a secret key)
 * becomes {@link REDACTED}; null stays null so logs still show "no password configured".
 */
export function censorLogValue(value: unknown, path: string[]): unknown {
  const key = path[path.length - 1];
  if (key === "url") return typeof value === "string" ? redactUrl(value) : value;
  return value === null || value === undefined ? value : REDACTED;
}
