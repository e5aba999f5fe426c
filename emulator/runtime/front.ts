/**
 * @module
 * The workers port: each client connection is spliced to workerd's socket for the front Worker, which picks the
 * Worker by Host. Nothing is parsed on the way, so the port adds a copy of the bytes and no more. What the port
 * keeps of the runtime's semantics, it keeps at request boundaries, which it tells apart by direction: bytes went
 * up since the last came down means a request is in flight.
 *
 * - The next request on a connection waits while the runtime is due to reload, so it sees the Workers as
 *   currently deployed.
 * - A restart of workerd waits for requests in flight ({@link WorkersFront.whenIdle}), and an idle keep-alive
 *   connection cut by it is carried over to the new workerd: the client never notices.
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

/** What a chunk from workerd that starts a response says about the connection. */
function responseKind(chunk: Buffer): "interim" | "upgrade" | "other" {
  const status = chunk.toString("latin1", 0, 13);
  // `101 Switching Protocols`: from here on the connection carries a WebSocket, not requests.
  if (status === "HTTP/1.1 101 ") return "upgrade";
  // Just an interim response (`100 Continue`, `103 Early Hints`): the request is still in flight.
  if (status.startsWith("HTTP/1.1 1") && chunk.length < 4096 && chunk.indexOf("\r\n\r\n") === chunk.length - 4) return "interim";
  return "other";
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
  private inFlight = false;
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
      void this.open();
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
    this.setInFlight(true);
    if (!up.write(chunk)) {
      this.client.pause();
      up.once("drain", () => this.client.resume());
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
    this.client.resume();
  }

  private connect(target: FrontUpstream): void {
    const up = connect({ host: target.host, port: target.port, allowHalfOpen: true, noDelay: true });
    this.up = up;
    this.upGeneration = target.generation;
    up.on("data", (chunk: Buffer) => {
      if (this.inFlight) {
        const kind = responseKind(chunk);
        if (kind === "upgrade") this.tunnel = true;
        if (kind !== "interim") this.setInFlight(false);
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

  /** workerd closed its side: a restart's cut of an idle connection is carried over; anything else reaches the client. */
  private upstreamGone(up: Socket, failed: boolean): void {
    if (this.up !== up) return;
    this.up = undefined;
    up.destroy();
    const runtime = this.front.runtime;
    const restart = runtime.restarting || this.upGeneration !== runtime.generation;
    if (restart && !this.inFlight && !this.tunnel) return;
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
