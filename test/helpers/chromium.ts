/**
 * Headless Chromium for the browser test: Debian's `chromium`, installed on demand with apt-get (as the wrangler
 * test installs wrangler), driven over the DevTools protocol with Node's own WebSocket. No npm package.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

async function which(name: string): Promise<string | undefined> {
  try {
    return (await run("sh", ["-c", `command -v ${name}`])).stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The Chromium binary, installed when missing; or why there is none. */
export async function ensureChromium(): Promise<{ path: string } | { why: string }> {
  const found = (await which("chromium")) ?? (await which("chromium-browser"));
  if (found) return { path: found };
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = () => run("apt-get", ["install", "-y", "--no-install-recommends", "chromium"], { env, maxBuffer: 64 * 1024 * 1024 });
  try {
    await install().catch(async () => {
      await run("apt-get", ["update"], { env, maxBuffer: 64 * 1024 * 1024 });
      await install();
    });
  } catch (error) {
    return { why: `chromium is not installed and apt-get could not install it: ${(error as Error).message.split("\n")[0]}` };
  }
  const installed = await which("chromium");
  return installed ? { path: installed } : { why: "apt-get installed chromium but no chromium binary is on PATH" };
}

/** What a person sees of a page: where the browser ended up, the title, the heading and its colour. */
export interface PageView {
  href: string;
  title: string;
  h1: string;
  h1Color: string;
  status: number;
}

export class Browser {
  private nextId = 1;
  private readonly pending = new Map<number, (msg: any) => void>();
  private readonly listeners: Array<(msg: any) => void> = [];

  private constructor(
    private readonly proc: ChildProcess,
    private readonly ws: WebSocket,
    private readonly profile: string,
  ) {
    ws.addEventListener("message", (event) => {
      const msg = JSON.parse(String(event.data));
      if (msg.id !== undefined) this.pending.get(msg.id)?.(msg);
      else for (const l of this.listeners) l(msg);
    });
  }

  /** Starts headless Chromium with `--host-resolver-rules` and attaches to its first page. */
  static async launch(binary: string, hostResolverRules: string): Promise<Browser> {
    const profile = mkdtempSync(path.join(tmpdir(), "wfp-chromium-"));
    const proc = spawn(
      binary,
      [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--remote-debugging-port=0",
        `--user-data-dir=${profile}`,
        `--host-resolver-rules=${hostResolverRules}`,
        "about:blank",
      ],
      // A process group of its own, so that close() stops its helper processes with it.
      { stdio: ["ignore", "ignore", "pipe"], detached: true },
    );
    const endpoint = await new Promise<string>((resolve, reject) => {
      let err = "";
      const timer = setTimeout(() => reject(new Error(`chromium did not start: ${err}`)), 30_000);
      proc.stderr!.on("data", (d: Buffer) => {
        err += d;
        const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      proc.on("exit", (code) => reject(new Error(`chromium exited ${code}: ${err}`)));
    });
    const port = new URL(endpoint).port;
    const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as Array<{
      type: string;
      webSocketDebuggerUrl: string;
    }>;
    const page = targets.find((t) => t.type === "page")!;
    const ws = new WebSocket(page.webSocketDebuggerUrl);
    await new Promise((resolve, reject) => {
      ws.addEventListener("open", resolve, { once: true });
      ws.addEventListener("error", reject, { once: true });
    });
    const browser = new Browser(proc, ws, profile);
    await browser.send("Page.enable");
    await browser.send("Network.enable");
    return browser;
  }

  send(method: string, params: Record<string, unknown> = {}): Promise<any> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, (msg) => {
        this.pending.delete(id);
        if (msg.error) reject(new Error(`${method}: ${msg.error.message}`));
        else resolve(msg.result);
      });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Opens `url`, waits for the page to load (redirects followed), and reads what it shows. */
  async open(url: string): Promise<PageView> {
    let status = 0;
    const loaded = new Promise<void>((resolve) => {
      const listener = (msg: any) => {
        if (msg.method === "Network.responseReceived" && msg.params.type === "Document") status = msg.params.response.status;
        if (msg.method === "Page.loadEventFired") {
          this.listeners.splice(this.listeners.indexOf(listener), 1);
          resolve();
        }
      };
      this.listeners.push(listener);
    });
    await this.send("Page.navigate", { url });
    await loaded;
    const expression = `JSON.stringify({ href: location.href, title: document.title, h1: document.querySelector("h1")?.textContent ?? "",
      h1Color: document.querySelector("h1") ? getComputedStyle(document.querySelector("h1")).color : "" })`;
    const result = await this.send("Runtime.evaluate", { expression, returnByValue: true });
    return { ...JSON.parse(result.result.value), status };
  }

  async close(): Promise<void> {
    this.ws.close();
    const exited = new Promise((r) => (this.proc.exitCode !== null ? r(undefined) : this.proc.once("exit", r)));
    // The whole group: Chromium's helper processes would otherwise go on writing its cache into the profile.
    try {
      process.kill(-this.proc.pid!, "SIGKILL");
    } catch {
      // Already gone.
    }
    await exited;
    rmSync(this.profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }
}
