/**
 * The container health check end to end: the real daemon (`qx10-mqtt run`, test/helpers/daemon.ts)
 * against the simulator and a real broker, and `doctor --quick` with the daemon's own config.
 * Healthy while the daemon is connected; unhealthy after a clean stop (retained "offline") and
 * after a kill (the broker publishes the Last Will).
 */
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliContext } from "../../src/cli/context.js";
import { runDoctor } from "../../src/cli/doctor.js";
import { type Simulator } from "../../src/sim/simulator.js";
import { brokerKind, startBroker, type Broker } from "../helpers/broker.js";
import { startDaemon, testConfig, type Daemon } from "../helpers/daemon.js";
import { startTestSim } from "../helpers/sim.js";

async function quick(configFile: string): Promise<{ code: number; out: string[] }> {
  const out: string[] = [];
  const ctx: CliContext = {
    signal: new AbortController().signal,
    out: (l) => out.push(l),
    err: (l) => out.push(l),
    env: {},
  };
  const code = await runDoctor(["--quick", "--config", configFile, "--timeout", "2"], ctx);
  return { code, out };
}

describe.skipIf(brokerKind === null)(
  "doctor --quick as the health check of a running bridge",
  () => {
    let sim: Simulator;
    let broker: Broker;
    let dir: string;

    beforeAll(async () => {
      sim = await startTestSim();
      broker = await startBroker();
      dir = mkdtempSync(join(tmpdir(), "qx10-health-"));
    });
    afterAll(async () => {
      await sim.close();
      await broker.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    /** Starts a daemon; returns it with a copy of its config (the daemon's own goes with it). */
    async function daemonWithConfig(name: string): Promise<{ daemon: Daemon; config: string }> {
      const daemon = await startDaemon({ config: testConfig(broker.url, sim.urls.actionListUrl) });
      const config = join(dir, name);
      copyFileSync(daemon.configFile, config);
      return { daemon, config };
    }

    const healthCode = (config: string) => async () => (await quick(config)).code;

    it("is healthy while the bridge runs and unhealthy after SIGTERM", async () => {
      const { daemon, config } = await daemonWithConfig("term.json");
      try {
        await expect.poll(healthCode(config), { timeout: 15_000, interval: 100 }).toBe(0);
        const healthy = await quick(config);
        expect(healthy.out[1]).toBe(
          "OK   bridge  a bridge is connected (qx10/bridge/state is online)",
        );
      } finally {
        expect((await daemon.stop("SIGTERM")).code).toBe(0);
      }
      const after = await quick(config);
      expect(after.code).toBe(1);
      expect(after.out[1]).toContain(
        "FAIL bridge  no bridge is connected (qx10/bridge/state is offline",
      );
    });

    it("notices a killed bridge through its Last Will", async () => {
      const { daemon, config } = await daemonWithConfig("kill.json");
      try {
        await expect.poll(healthCode(config), { timeout: 15_000, interval: 100 }).toBe(0);
      } finally {
        await daemon.stop("SIGKILL");
      }
      await expect.poll(healthCode(config), { timeout: 10_000, interval: 100 }).toBe(1);
    });
  },
);
