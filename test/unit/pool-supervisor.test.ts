import { type ChildProcess, spawn } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { freePort, type Overrun, PoolSupervisor, ping, processCpuMs } from "../../emulator/runtime/pool";

/**
 * A stand-in for the tenant pool's workerd, found by the supervisor as workerd is (a child whose command line names
 * `workerd` and its entry socket): it answers every request, and after `GET /spin` runs `while (true) {}`.
 */
async function standInPool(): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      "-e",
      `require("node:http").createServer((req, res) => {
        res.end("ok");
        if (req.url === "/spin") setTimeout(() => { while (true) {} }, 0);
      }).listen(Number(process.argv[1].split(":").pop()), "127.0.0.1");`,
      `entry=127.0.0.1:${port}`,
      "workerd",
    ],
    { stdio: "ignore" },
  );
  while (!(await ping(port, 200))) await new Promise((r) => setTimeout(r, 20));
  return { port, child };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const invocation = (script: string): Overrun => ({ account: "a", namespace: "ns", script, url: `http://${script}/`, method: "GET" });

let running: { child: ChildProcess; supervisor: PoolSupervisor } | undefined;
afterEach(() => {
  running?.supervisor.stop();
  running?.child.kill("SIGKILL");
  running = undefined;
});

describe("the pool supervisor's blame for a spinning pool", () => {
  it("falls on the invocation begun first that is still past its budget, not on a neighbour asking alone", async () => {
    const { port, child } = await standInPool();
    const overruns: Overrun[] = [];
    const supervisor = new PoolSupervisor(port, (o) => overruns.push(o));
    running = { child, supervisor };
    supervisor.started(false);

    // The spinning tenant's invocation reaches its budget while its Worker still loads: little CPU used yet. It
    // asks again in a second.
    const spinStarted = Date.now();
    expect(await supervisor.check(spinStarted, 50, invocation("spin"), 1_000)).toBe("running");
    const cpu = () => processCpuMs(child.pid)!;
    await fetch(`http://127.0.0.1:${port}/spin`);
    // Measured in the pool's own CPU time, so that a loaded machine only makes it slower.
    const burnt = async (ms: number) => {
      const from = cpu();
      while (cpu() - from < ms) await sleep(10);
    };
    await burnt(30);
    // A neighbour sent once the pool spins reaches its own budget first, alone.
    const calmStarted = Date.now();
    await burnt(80);
    expect(await supervisor.check(calmStarted, 50, invocation("calm"), 250)).toBe("running");
    expect(overruns.map((o) => o.script)).toEqual(["spin"]);
    // The pool was stopped: the neighbour is sent again once it is back; the spinning one fails with the CPU error.
    expect(await supervisor.lost(spinStarted, 0, invocation("spin"))).toBe("exceededCpu");
    supervisor.started(true);
    expect(await supervisor.lost(calmStarted, 0, invocation("calm"))).toBe("retry");
  }, 20_000);
});
