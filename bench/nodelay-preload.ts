/**
 * Diagnostic preload for the daemon (`node --import dist-bench/bench/nodelay-preload.js …`, via
 * `--bridge-nodelay` of the e2e benchmarks): turns Nagle's algorithm off (TCP_NODELAY) on every
 * TCP socket the process connects, to show how much of a round trip is Nagle + delayed ACK on
 * small MQTT writes. Not product code: the fix belongs in the daemon's MQTT connection.
 */
import net from "node:net";

const original: (this: net.Socket, ...args: unknown[]) => net.Socket = Reflect.get(
  net.Socket.prototype,
  "connect",
) as (this: net.Socket, ...args: unknown[]) => net.Socket;

Reflect.set(net.Socket.prototype, "connect", function (this: net.Socket, ...args: unknown[]) {
  this.setNoDelay(true);
  return original.apply(this, args);
});
