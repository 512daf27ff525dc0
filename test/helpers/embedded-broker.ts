/**
 * An embedded MQTT broker for tests on machines with only Node and npm: aedes (MQTT 3.1.1, the same
 * package `qx10-mqtt demo` embeds) on 127.0.0.1 and a free port, in this process.
 *
 * What it does like the spawned mosquitto: stop() then restart() on the same port (a fresh broker,
 * so retained messages are gone, like mosquitto with `persistence false`), users (through aedes'
 * `authenticate`; a mismatch gets CONNACK 5 "not authorized", as Mosquitto answers) and a TLS listener.
 * What it cannot do: MQTT 5 (aedes answers a level-5 CONNECT with CONNACK return code 1,
 * "unacceptable protocol version", which is what the bridge's `protocol_version: auto` falls back
 * on), so no `max_packet_size` in CONNACK, no response topic/correlation data/content type, no
 * retain-as-published (3.1.1 subscribers see live retained messages with retain 0, MQTT-3.3.1-9);
 * no persistence and no mosquitto.conf lines. Those options are refused with an error; tests skip
 * them through the capability flags in test/helpers/broker.ts.
 */
import { readFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import { Aedes } from "aedes";

/** Options of {@link startEmbeddedBroker} (a subset of the mosquitto helper's). */
export interface EmbeddedBrokerOptions {
  /** user → password; anonymous clients are refused when set. */
  users?: Record<string, string>;
  /** PEM files for a TLS listener. */
  tls?: { certFile: string; keyFile: string; caFile?: string; requireCertificate?: boolean };
}

/** A running embedded broker. */
export interface EmbeddedBroker {
  host: string;
  port: number;
  /** aedes' version, e.g. `1.2.0`. */
  version: string | undefined;
  /** Closes every client connection and the listener (idempotent). */
  stop(): Promise<void>;
  /** A fresh broker on the same port after {@link EmbeddedBroker.stop}. */
  restart(): Promise<void>;
}

const HOST = "127.0.0.1";

/** aedes' version from its package.json (read once; undefined when unreadable). */
export const aedesVersion: string | undefined = (() => {
  try {
    const pkg = JSON.parse(
      readFileSync(new URL("../../node_modules/aedes/package.json", import.meta.url), "utf8"),
    ) as { version?: unknown };
    return typeof pkg.version === "string" ? pkg.version : undefined;
  } catch {
    return undefined;
  }
})();

/**
 * An error aedes turns into a CONNACK return code: 5 "not authorized", which is what Mosquitto
 * sends for a wrong password or a missing user (not 4), so doctor and the bridge see the same.
 */
class AuthError extends Error {
  readonly returnCode = 5;
}

/**
 * Starts aedes on 127.0.0.1 (port 0 = the OS picks one).
 * @throws when the listener cannot bind (e.g. the port of a restart was taken meanwhile)
 */
export async function startEmbeddedBroker(
  options: EmbeddedBrokerOptions = {},
): Promise<EmbeddedBroker> {
  const tlsOptions =
    options.tls === undefined
      ? undefined
      : {
          cert: readFileSync(options.tls.certFile),
          key: readFileSync(options.tls.keyFile),
          ...(options.tls.caFile === undefined ? {} : { ca: readFileSync(options.tls.caFile) }),
          requestCert: options.tls.requireCertificate === true,
          rejectUnauthorized: options.tls.requireCertificate === true,
        };
  const users = options.users;

  let current: { aedes: Aedes; server: Server; sockets: Set<Socket> } | undefined;
  let stopping: Promise<void> | undefined;
  let port = 0;

  const listen = async (): Promise<void> => {
    const aedes = await Aedes.createBroker(
      users === undefined
        ? {}
        : {
            authenticate: (_client, username, password, done) => {
              const ok =
                username !== undefined &&
                Object.hasOwn(users, username) &&
                password?.toString("utf8") === users[username];
              if (ok) done(null, true);
              else done(new AuthError("not authorized"), false);
            },
          },
    );
    const sockets = new Set<Socket>();
    const onSocket = (socket: Socket): void => {
      sockets.add(socket);
      socket.once("close", () => sockets.delete(socket));
      aedes.handle(socket);
    };
    const server: Server =
      tlsOptions === undefined ? createServer(onSocket) : createTlsServer(tlsOptions, onSocket);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, HOST, () => {
          server.off("error", reject);
          resolve();
        });
      });
    } catch (e) {
      await new Promise<void>((resolve) => {
        aedes.close(() => {
          resolve();
        });
      });
      throw e;
    }
    const address = server.address();
    port = typeof address === "object" && address !== null ? address.port : 0;
    current = { aedes, server, sockets };
    stopping = undefined;
  };

  const stop = (): Promise<void> => {
    const c = current;
    if (c === undefined) return stopping ?? Promise.resolve();
    current = undefined;
    stopping = (async () => {
      const closed = new Promise<void>((resolve) => {
        c.server.close(() => {
          resolve();
        });
      });
      await new Promise<void>((resolve) => {
        c.aedes.close(() => {
          resolve();
        });
      });
      // Abrupt, like a killed broker: no DISCONNECT, and server.close() does not wait on them.
      for (const s of c.sockets) s.destroy();
      await closed;
    })();
    return stopping;
  };

  await listen();
  return {
    host: HOST,
    port,
    version: aedesVersion,
    stop,
    restart: async () => {
      await stop();
      await listen();
    },
  };
}
