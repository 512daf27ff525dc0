/* Generated from schemas/config.schema.json by npm run gen:types. Do not edit by hand. */

/**
 * Who may use the HTTP server. Every path, /healthz included, requires it when mode is not none.
 */
export type HttpAuthConfig = {
  /**
   * "none": no authentication; "token": the token as ?token=TOKEN in the URL or an `Authorization: Bearer TOKEN` header; "basic": HTTP basic authentication with username and password.
   */
  mode: "none" | "token" | "basic";
  /**
   * The token of mode "token" (at least 16 characters), or null. Secret: never logged, never published.
   */
  token: string | null;
  /**
   * User name of mode "basic" (no colon), or null.
   */
  username: string | null;
  /**
   * Password of mode "basic", or null. Secret: never logged, never published.
   */
  password: string | null;
};

/**
 * qx10-mqtt configuration (YAML or JSON file, overridden by QX10_<SECTION>__<KEY> environment variables). Every key is optional in the file; the defaults below fill the rest.
 */
export interface Config {
  mqtt: MqttConfig;
  camera: CameraConfig;
  liveview: LiveviewConfig;
  snapshot: SnapshotConfig;
  rpc: RpcConfig;
  homeassistant: HomeAssistantConfig;
  http: HttpConfig;
  log: LogConfig;
}
/**
 * The MQTT broker connection.
 */
export interface MqttConfig {
  /**
   * Broker URL: mqtt://host:port, mqtts://host:port (TLS), ws:// or wss://. Credentials may be embedded (mqtt://user:pass@host); they are redacted in logs and bridge/info.
   */
  url: string;
  /**
   * Broker user name, or null for none.
   */
  username: string | null;
  /**
   * Broker password, or null for none. Secret: never logged, never published.
   */
  password: string | null;
  /**
   * MQTT client id, or null for qx10-mqtt_<base_topic with / replaced by _>. Must be unique per broker: two clients with the same id disconnect each other in a loop.
   */
  client_id: string | null;
  /**
   * Prefix of every topic of this bridge (<base> in the topic contract). One camera per base topic. No wildcards (+ #), no empty levels, no leading or trailing /.
   */
  base_topic: string;
  /**
   * MQTT keep-alive interval in seconds (0 disables it).
   */
  keepalive_s: number;
  /**
   * MQTT protocol: 5 (MQTT 5.0), 4 (MQTT 3.1.1, protocol level 4), or "auto" = MQTT 5, falling back to 3.1.1 for the rest of the run when the broker refuses 5 (CONNACK 'unsupported protocol version').
   */
  protocol_version: "auto" | 5 | 4;
  /**
   * Seconds to wait for the broker's CONNACK on one connection attempt.
   */
  connect_timeout_s: number;
  /**
   * Delay before the first reconnect attempt after the connection is lost, in seconds; doubles (with jitter) on each failed attempt up to reconnect_max_s.
   */
  reconnect_min_s: number;
  /**
   * Upper bound of the reconnect delay, in seconds.
   */
  reconnect_max_s: number;
  /**
   * While disconnected, at most this many QoS 1 messages are kept for sending after the reconnect (events, command results); further ones are dropped and counted. QoS 0 messages (liveview) are always dropped while disconnected. Retained topics are not queued: their latest value is republished on every connect.
   */
  offline_queue_max_messages: number;
  /**
   * Byte bound of the offline queue (sum of payload sizes); see offline_queue_max_messages.
   */
  offline_queue_max_bytes: number;
  tls: MqttTlsConfig;
}
/**
 * TLS settings, used when url is mqtts:// or wss://.
 */
export interface MqttTlsConfig {
  /**
   * Path of a PEM file with the CA certificate(s) to trust instead of the system store, or null.
   */
  ca: string | null;
  /**
   * Path of the PEM client certificate (mutual TLS), or null.
   */
  cert: string | null;
  /**
   * Path of the PEM private key of the client certificate, or null.
   */
  key: string | null;
  /**
   * Verify the broker's certificate chain and host name. Turn off only for testing.
   */
  reject_unauthorized: boolean;
  /**
   * Host name for SNI and certificate verification when it differs from the URL's host, or null.
   */
  servername: string | null;
}
/**
 * How to find and talk to the camera.
 */
export interface CameraConfig {
  /**
   * Fixed camera URL that skips SSDP discovery: the device description (e.g. http://10.0.0.1:64321/DmsRmtDesc.xml) or the ActionList base (e.g. http://10.0.0.1:10000/sony). null = discover with SSDP.
   */
  url: string | null;
  discovery: CameraDiscoveryConfig;
  /**
   * Timeout of one ordinary JSON-RPC call or download, in seconds (camera-api.md: use at least 20-30 s for actTakePicture).
   */
  request_timeout_s: number;
  /**
   * HTTP timeout of a getEvent long poll, in seconds; must exceed the camera's own poll timeout (about 15 s, camera-api.md §4.1).
   */
  long_poll_timeout_s: number;
}
/**
 * SSDP discovery, used when camera.url is null.
 */
export interface CameraDiscoveryConfig {
  /**
   * How long one SSDP search waits for answers, in seconds.
   */
  timeout_s: number;
  /**
   * Where M-SEARCH requests are sent: the SSDP multicast group, or a unicast IPv4 address.
   */
  address: string;
  /**
   * UDP port M-SEARCH requests are sent to.
   */
  port: number;
  /**
   * IPv4 address of the network interface that faces the camera (its Wi-Fi), or null for the system's choice.
   */
  interface: string | null;
}
/**
 * Publishing liveview frames to <base>/liveview.
 */
export interface LiveviewConfig {
  /**
   * Publish liveview frames from the start (otherwise only after cmd/liveview ON).
   */
  enabled: boolean;
  /**
   * Maximum frames per second published to <base>/liveview (the newest frame wins).
   */
  fps: number;
  /**
   * Largest liveview frame accepted from the camera, in bytes; larger frames are discarded.
   */
  max_bytes: number;
  /**
   * MQTT 5 message expiry of liveview frames, in seconds, so a slow subscriber never receives stale frames.
   */
  expiry_s: number;
}
/**
 * The last picture taken (postview), published retained to <base>/snapshot.
 */
export interface SnapshotConfig {
  /**
   * Largest picture published, in bytes; a larger one is not published and an error event says why. The broker's maximum packet size (MQTT 5 CONNACK) also applies.
   */
  max_bytes: number;
  /**
   * Directory where each downloaded picture is also saved, or null to save nothing.
   */
  save_dir: string | null;
}
/**
 * The raw JSON-RPC passthrough <base>/cmd/rpc.
 */
export interface RpcConfig {
  /**
   * Camera methods cmd/rpc may call. "*" allows every method except the ones that destroy data (actFormatStorage, deleteContent), which are allowed only when named here. The default is a read-only set; getEvent is left out because a second long poll cancels the bridge's own (camera error 40402).
   */
  allow: string[];
}
/**
 * Home Assistant MQTT discovery.
 */
export interface HomeAssistantConfig {
  /**
   * Publish Home Assistant discovery messages.
   */
  enabled: boolean;
  /**
   * Home Assistant's discovery prefix.
   */
  discovery_prefix: string;
  /**
   * Home Assistant's birth/will topic; `online` there makes the bridge republish discovery, availability and state.
   */
  status_topic: string;
  /**
   * "device": one device discovery message (HA 2024.11+); "component": one message per entity (older HA, openHAB).
   */
  discovery_mode: "device" | "component";
}
/**
 * The HTTP server for people and video clients: MJPEG live view (/liveview.mjpeg), the newest frame (/liveview.jpg), the last picture (/picture.jpg), /healthz and a small web page at /. Off by default.
 */
export interface HttpConfig {
  /**
   * Serve HTTP.
   */
  enabled: boolean;
  /**
   * Address to listen on. The default serves this machine only; use 0.0.0.0 (all IPv4 interfaces) or a LAN address to reach it from other devices, preferably with auth.
   */
  host: string;
  /**
   * TCP port to listen on (0 = any free port, for tests).
   */
  port: number;
  auth: HttpAuthConfig;
}
/**
 * Logging (pino, JSON lines on standard output).
 */
export interface LogConfig {
  /**
   * Lowest level logged.
   */
  level: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
}
