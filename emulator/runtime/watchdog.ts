/**
 * @module
 * workerd dies with the emulator. Miniflare spawns workerd as a plain child, which outlives a killed (SIGKILL)
 * parent and keeps its ports. A watchdog process, spawned once, notes this process's workerd children every 250 ms
 * and kills them when its stdin (a pipe from this process) closes, which the kernel does however this process ends.
 * Linux only (it reads /proc); a workerd started in the last 250 ms before a kill is missed.
 */
import { spawn } from "node:child_process";

const WATCHDOG = `
const fs = require("node:fs");
const parent = process.argv[1];
const isWorkerd = (pid) => { try { return fs.readFileSync("/proc/" + pid + "/comm", "utf8").trim() === "workerd"; } catch { return false; } };
let children = [];
const scan = () => {
  try {
    children = fs.readdirSync("/proc/" + parent + "/task").flatMap((task) =>
      fs.readFileSync("/proc/" + parent + "/task/" + task + "/children", "utf8").split(" ").filter((pid) => pid && isWorkerd(pid)));
  } catch {}
};
const reap = () => {
  for (const pid of children) if (isWorkerd(pid)) try { process.kill(Number(pid), "SIGKILL"); } catch {}
  process.exit(0);
};
setInterval(scan, 250);
process.stdin.on("end", reap).on("close", reap).on("error", reap).resume();
`;

let started = false;

export function watchWorkerd(): void {
  if (started || process.platform !== "linux") return;
  started = true;
  const watchdog = spawn(process.execPath, ["-e", WATCHDOG, String(process.pid)], { stdio: ["pipe", "ignore", "ignore"] });
  // Neither keeps this process alive; its end closes the pipe.
  watchdog.unref();
  (watchdog.stdin as unknown as { unref(): void }).unref();
  watchdog.on("error", () => undefined);
}
