/**
 * @module
 * The workers port: each client connection is spliced to workerd's socket for the front Worker, which picks the
 * Worker by Host. Requests are not parsed, and of the responses only their framing is followed (the head, then
 * `content-length` or chunked encoding), so the port adds little more than a copy of the bytes. What the port keeps
 * of the runtime's semantics, it keeps at request boundaries: a request is in flight from its first bytes to the
 * end of its response. Pipelined requests are not told apart.
 *
 * - The next request on a connection waits while the runtime is due to reload, so it sees the Workers as
 *   currently deployed.
 * - A restart of workerd waits for requests in flight ({@link WorkersFront.whenIdle}, up to 5 s), and an idle
 *   keep-alive connection cut by it is carried over to the new workerd: the client never notices. A response still
 *   streaming after the 5 s is cut, and the client's connection with it.
 * - A connection upgraded to a WebSocket passes bytes both ways and closes when its workerd goes.
 */
import { connect, createServer, type Server, type Socket } from "node:net";

export interface FrontUpstream {
  host: string;
  port: number;
  /** The runtime's generation (restart count) this socket belongs to. */
  generation: number;
}

/** What the front needs of the runtime. */
export interface FrontRuntime {
  /** A reload is due or running: a new request waits for it. */
  readonly pending: boolean;
  /** workerd is being restarted: upstream connections it cuts are not the client's business. */
  readonly restarting: boolean;
  readonly generation: number;
  settle(): Promise<void>;
  /** workerd's socket for the front Worker, or why there is none. */
  upstream(): FrontUpstream | { error: string };
}

const END = Symbol("end");

const CRLF2 = Buffer.from("\r\n\r\n");
const TRANSFER_ENCODING = /\r\ntransfer-encoding:[ \t]*([^\r]*)/i;
const CONTENT_LENGTH = /\r\ncontent-length:[ \t]*([^\r]*)/i;

/**
 * Follows workerd's responses on one connection just far enough to tell where each ends: the head, then a
 * `content-length` body, a chunked body, or none; anything else ends when the connection closes.
 */
export class ResponseFraming {
  private state: "head" | "length" | "size" | "data" | "trailer" | "close" = "head";
  private head: Buffer[] = [];
  private line = "";
  private remaining = 0;
  private noBody = false;

  /** A request went up: its response comes next. A HEAD request's response has no body. */
  begin(head: boolean): void {
    this.state = "head";
    this.head = [];
    this.noBody = head;
  }

  /** Bytes from workerd: "done" once the response is complete, "upgrade" at a 101, else "more". */
  feed(chunk: Buffer): "done" | "upgrade" | "more" {
    let i = 0;
    while (i < chunk.length) {
      switch (this.state) {
        case "head": {
          const before = this.head.reduce((n, b) => n + b.length, 0);
          this.head.push(i === 0 ? chunk : chunk.subarray(i));
          const all = this.head.length === 1 ? this.head[0]! : Buffer.concat(this.head);
          const end = all.indexOf(CRLF2, Math.max(0, before - 3));
          if (end < 0) return "more";
          i += end + 4 - before;
          const text = all.toString("latin1", 0, end);
          this.head = [];
          const status = Number(text.slice(9, 12));
          if (status === 101) return "upgrade";
          // An interim response (100 Continue, 103 Early Hints): the final one follows.
          if (status >= 100 && status < 200) continue;
          if (this.noBody || status === 204 || status === 304) return "done";
          if (/chunked/i.test(TRANSFER_ENCODING.exec(text)?.[1] ?? "")) {
            this.state = "size";
            this.line = "";
          } else {
            const length = CONTENT_LENGTH.exec(text)?.[1];
            if (length === undefined) {
              this.state = "close";
              break;
            }
            this.remaining = Number(length);
            if (this.remaining === 0) return "done";
            this.state = "length";
          }
          break;
        }
        case "length":
        case "data": {
          const take = Math.min(this.remaining, chunk.length - i);
          this.remaining -= take;
          i += take;
          if (this.remaining > 0) break;
          if (this.state === "length") return "done";
          this.state = "size";
          break;
        }
        case "size":
        case "trailer": {
          const nl = chunk.indexOf(10, i);
          this.line += chunk.toString("latin1", i, nl < 0 ? chunk.length : nl);
          if (nl < 0) return "more";
          i = nl + 1;
          const line = this.line.replace(/\r$/, "");
          this.line = "";
          if (this.state === "trailer") {
            if (line === "") return "done";
            break;
          }
          // A chunk's size: its data follows, then a CRLF; size 0 is the last, before the trailer.
          this.remaining = Number.parseInt(line, 16);
          if (this.remaining === 0) this.state = "trailer";
          else {
            this.remaining += 2;
            this.state = "data";
          }
          break;
        }
        case "close":
          return "more";
      }
    }
    return "more";
  }
}

export class WorkersFront {
  private readonly server: Server;
  private readonly links = new Set<Link>();
  private idle: Array<() => void> = [];
  /** Connections with a request in flight. */
  busy = 0;

  constructor(readonly runtime: FrontRuntime) {
    this.server = createServer({ allowHalfOpen: true, noDelay: true }, (client) => {
      const link = new Link(client, this);
      this.links.add(link);
      client.once("close", () => {
        link.destroy();
        this.links.delete(link);
      });
    });
  }

  listen(port: number, host: string): Promise<{ address: string; family: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => {
        this.server.off("error", reject);
        resolve(this.server.address() as { address: string; family: string; port: number });
      });
    });
  }

  setBusy(delta: number): void {
    this.busy += delta;
    if (this.busy === 0) for (const wake of this.idle.splice(0)) wake();
  }

  /** Resolves when no request is in flight, or after `timeoutMs` (a streaming response must not block restarts). */
  whenIdle(timeoutMs: number): Promise<void> {
    if (this.busy === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.idle.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      for (const link of this.links) link.destroy();
    });
  }
}

/** One client connection and its connection to workerd. */
class Link {
  private up: Socket | undefined;
  private upGeneration = -1;
  /** What the client sent while its request waits for the runtime. */
  private held: Array<Buffer | typeof END> | undefined;
  /** From a request's first bytes to the end of its response. */
  private inFlight = false;
  private readonly framing = new ResponseFraming();
  /** Upgraded to a WebSocket: bytes pass as they come, and it ends with its workerd. */
  private tunnel = false;

  constructor(
    private readonly client: Socket,
    private readonly front: WorkersFront,
  ) {
    client.on("data", (chunk: Buffer) => this.fromClient(chunk));
    client.on("end", () => this.fromClient(END));
    client.on("error", () => this.destroy());
  }

  private fromClient(chunk: Buffer | typeof END): void {
    if (this.held) {
      this.held.push(chunk);
      return;
    }
    const runtime = this.front.runtime;
    // A new request (nothing in flight) waits for a due reload, and for a connection to the current workerd.
    if (!this.inFlight && !this.tunnel && (runtime.pending || !this.up || this.upGeneration !== runtime.generation)) {
      this.held = [chunk];
      this.client.pause();
      this.open().catch(() => this.destroy());
      return;
    }
    this.send(chunk);
  }

  private send(chunk: Buffer | typeof END): void {
    const up = this.up;
    if (!up) return;
    if (chunk === END) {
      up.end();
      return;
    }
    if (!this.inFlight && !this.tunnel) {
      this.framing.begin(chunk.toString("latin1", 0, 5) === "HEAD ");
      this.setInFlight(true);
    }
    if (!up.write(chunk)) {
      this.client.pause();
      up.once("drain", () => {
        if (this.up === up && !this.held) this.client.resume();
      });
    }
  }

  private async open(): Promise<void> {
    const runtime = this.front.runtime;
    await runtime.settle();
    if (this.client.destroyed) return;
    const target = runtime.upstream();
    if ("error" in target) {
      this.refuse(target.error);
      return;
    }
    if (!this.up || this.upGeneration !== target.generation) {
      this.up?.destroy();
      this.connect(target);
    }
    const held = this.held!;
    this.held = undefined;
    for (const chunk of held) this.send(chunk);
    if (!this.up?.writableNeedDrain) this.client.resume();
  }

  private connect(target: FrontUpstream): void {
    const up = connect({ host: target.host, port: target.port, allowHalfOpen: true, noDelay: true });
    this.up = up;
    this.upGeneration = target.generation;
    up.on("data", (chunk: Buffer) => {
      if (this.inFlight) {
        const framing = this.framing.feed(chunk);
        if (framing === "upgrade") this.tunnel = true;
        if (framing !== "more") this.setInFlight(false);
      }
      if (!this.client.write(chunk)) {
        up.pause();
        this.client.once("drain", () => up.resume());
      }
    });
    up.on("end", () => this.upstreamGone(up, false));
    up.on("error", () => this.upstreamGone(up, true));
    up.on("close", () => this.upstreamGone(up, true));
  }

  /**
   * workerd closed its side: a restart's cut of an idle connection, or a failed reload's (its workerd disposed), is
   * carried over, so the next request on it gets what a new connection would; anything else reaches the client.
   */
  private upstreamGone(up: Socket, failed: boolean): void {
    if (this.up !== up) return;
    this.up = undefined;
    up.destroy();
    const runtime = this.front.runtime;
    const restart = runtime.restarting || runtime.pending || this.upGeneration !== runtime.generation || "error" in runtime.upstream();
    if (restart && !this.inFlight && !this.tunnel) {
      // Carried over: a write that waited for the old socket's drain waits no more.
      if (!this.held) this.client.resume();
      return;
    }
    this.setInFlight(false);
    if (failed) this.client.destroy();
    else this.client.end();
  }

  /** No Workers to serve: a plain HTTP answer, and the connection closes. */
  private refuse(message: string): void {
    const body = Buffer.from(`wfp-emulator: the Workers failed to load: ${message}\n`);
    this.client.end(
      `HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
    );
  }

  private setInFlight(value: boolean): void {
    if (this.inFlight === value) return;
    this.inFlight = value;
    this.front.setBusy(value ? 1 : -1);
  }

  destroy(): void {
    this.setInFlight(false);
    const up = this.up;
    this.up = undefined;
    up?.destroy();
    this.client.destroy();
  }
}
