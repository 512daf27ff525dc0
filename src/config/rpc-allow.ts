/**
 * The `rpc.allow` rule of `<base>/cmd/rpc` (mqtt-api.md command table): a method may be called when
 * it is named in the list, or when the list has `"*"` and the method does not destroy data. Pure.
 */

/**
 * Camera methods that destroy data (camera-api.md §3.3: actFormatStorage erases the card; §3.6:
 * deleteContent deletes pictures). `"*"` never allows them; only their exact name does.
 */
export const DESTRUCTIVE_METHODS: readonly string[] = ["actFormatStorage", "deleteContent"];

/** True when `method` may go through `cmd/rpc` under `allow` (exact, case-sensitive names). */
export function isRpcAllowed(allow: readonly string[], method: string): boolean {
  if (allow.includes(method)) return true;
  return allow.includes("*") && !DESTRUCTIVE_METHODS.includes(method);
}
