/**
 * Readable paths for ajv errors: a JSON pointer such as `/mqtt/tls/ca` or `/rpc/allow/2` becomes
 * `mqtt.tls.ca` or `rpc.allow[2]`, the form users see in their YAML and in command payloads.
 */

/**
 * Converts a JSON pointer (RFC 6901) to a dotted path, appending `extra` (e.g. the name of an
 * unknown property) as a last segment.
 * @param rootName - what to call the root when the path is empty, e.g. `payload` or `(root)`
 */
export function pointerToPath(
  pointer: string,
  extra: string | undefined,
  rootName: string,
): string {
  const parts = pointer
    .split("/")
    .slice(1)
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  if (extra !== undefined) parts.push(extra);
  let out = "";
  for (const p of parts) {
    if (/^\d+$/.test(p)) out += `[${p}]`;
    else out += out === "" ? p : `.${p}`;
  }
  return out === "" ? rootName : out;
}
