import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { ephemeralPorts, freePort } from "../../emulator/runtime/pool";

describe("the ports of the runtime's sockets", () => {
  it("are outside the kernel's ephemeral range, so no outgoing connection takes one while workerd restarts", async () => {
    const { low, high } = ephemeralPorts();
    expect(low).toBeLessThan(high);
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(10_000);
      expect(port).toBeLessThan(low);
    }
  });

  it("are free: each one can be listened on", async () => {
    const port = await freePort();
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.on("error", reject);
      server.listen(port, "127.0.0.1", resolve);
    });
    expect((server.address() as { port: number }).port).toBe(port);
    await new Promise((resolve) => server.close(resolve));
  });
});
