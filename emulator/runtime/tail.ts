/**
 * @module
 * The Workers' invocations as Cloudflare's tail events (what `wrangler tail` prints): workerd hands every trace
 * (request, outcome, console output, exceptions) to a tail Worker, which posts it here. Each event is attributed to
 * its Worker (`scriptName`; a user Worker also `dispatchNamespace`), cleaned of the runtime's internal headers and of
 * credentials, and of its Worker's secret values wherever they appear; then printed as one line per invocation
 * (with its console output) and sent to every live tail whose filter it passes.
 */
import type { Store } from "../model/store";

/** Cloudflare's tail event, as `wrangler tail --format json` prints it. */
export interface TailEvent {
  scriptName: string;
  dispatchNamespace?: string;
  outcome: string;
  eventTimestamp: number | null;
  event: {
    request?: { url: string; method: string; headers: Record<string, string> };
    response?: { status: number };
    cron?: string;
    scheduledTime?: number;
  } | null;
  logs: Array<{ level: string; message: unknown[]; timestamp: number }>;
  exceptions: Array<{ name: string; message: string; timestamp: number }>;
  wallTime?: number;
}

/** Which Worker a batch of traces is from: an account-level Worker, or a namespace's user Worker. */
export interface TailSource {
  account: string;
  namespace?: string;
  script: string;
}

export interface TailFilter {
  /** The Worker's script name (account-level or user Worker). */
  script?: string;
  /** A user Worker (a tenant's script) by name. */
  tenant?: string;
  namespace?: string;
}

const HIDDEN_HEADERS = /^(x-wfp-internal-|authorization$|cookie$|proxy-authorization$|cf-access-|x-auth-)/;
const REDACTED = "[REDACTED]";

export function passes(e: TailEvent, f: TailFilter): boolean {
  if (f.namespace !== undefined && e.dispatchNamespace !== f.namespace) return false;
  if (f.tenant !== undefined && (e.dispatchNamespace === undefined || e.scriptName !== f.tenant)) return false;
  return f.script === undefined || e.scriptName === f.script;
}

/** One line per invocation, then its console output and exceptions, each naming the Worker. */
export function formatEvent(e: TailEvent): string[] {
  const who = e.dispatchNamespace === undefined ? e.scriptName : `${e.dispatchNamespace}/${e.scriptName}`;
  const at = new Date(e.eventTimestamp ?? Date.now()).toISOString().slice(11, 23);
  // workerd reports 0 locally (its timers are coarse on purpose): a duration only when there is one.
  const ms = e.wallTime ? ` ${e.wallTime} ms` : "";
  const ev = e.event;
  let head: string;
  if (ev?.request) {
    const url = new URL(ev.request.url);
    head = `${ev.request.method} ${url.pathname}${url.search} ${ev.response?.status ?? e.outcome}${ms}`;
  } else if (ev?.cron !== undefined) head = `cron "${ev.cron}" ${e.outcome}${ms}`;
  else head = `${e.outcome}${ms}`;
  const lines = [`${at} ${who} ${head}`];
  for (const l of e.logs)
    lines.push(`${at} ${who} ${l.level}: ${l.message.map((m) => (typeof m === "string" ? m : JSON.stringify(m))).join(" ")}`);
  for (const x of e.exceptions) lines.push(`${at} ${who} exception: ${x.name}: ${x.message}`);
  return lines;
}

type Listener = (e: TailEvent) => void;

/** Values under this length are masked only where they stand alone: inside a longer word they are not told apart. */
const SHORT_SECRET = 4;
const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** A function masking every form of these secret values: as is, JSON-escaped and URL-encoded. */
function redactor(values: string[]): (text: string) => string {
  const forms = new Set(values.filter((v) => v !== "").flatMap((v) => [v, JSON.stringify(v).slice(1, -1), encodeURIComponent(v)]));
  if (forms.size === 0) return (text) => text;
  // Longest first, so that a value is masked whole rather than a shorter one inside it.
  const patterns = [...forms]
    .sort((a, b) => b.length - a.length)
    .map((f) => (f.length < SHORT_SECRET ? `(?<![A-Za-z0-9])${escapeRegExp(f)}(?![A-Za-z0-9])` : escapeRegExp(f)));
  const pattern = new RegExp(patterns.join("|"), "g");
  return (text) => text.replace(pattern, REDACTED);
}

/** The secret values of every Worker of these containers (account-level Workers, namespaces). */
function secretValues(containers: Array<{ scripts: Record<string, { bindings: Array<Record<string, unknown>> }> } | undefined>): string[] {
  return containers.flatMap((c) =>
    Object.values(c?.scripts ?? {}).flatMap((s) =>
      s.bindings.filter((b) => b.type === "secret_text" && typeof b.text === "string").map((b) => b.text as string),
    ),
  );
}

export class TailHub {
  private readonly listeners = new Set<{ filter: TailFilter; listener: Listener }>();

  constructor(
    private readonly store: Store,
    /** Where the lines go (stderr under the CLI); undefined: not printed. */
    private readonly print?: (line: string) => void,
  ) {}

  /** Live tails: returns the unsubscribe function. */
  subscribe(filter: TailFilter, listener: Listener): () => void {
    const entry = { filter, listener };
    this.listeners.add(entry);
    return () => this.listeners.delete(entry);
  }

  get listening(): boolean {
    return this.listeners.size > 0 || this.print !== undefined;
  }

  /** Traces of one Worker, as workerd's tail handler received them (serialized). */
  receive(source: TailSource, traces: unknown[]): void {
    const redact = this.redactorOf(source);
    for (const t of traces) {
      const e = this.clean(source, t as Record<string, unknown>, redact);
      if (this.print) for (const line of formatEvent(e)) this.print(line);
      for (const { filter, listener } of this.listeners) if (passes(e, filter)) listener(e);
    }
  }

  /** `text` without any deployed Worker's secret value (for workerd's own messages, which name no Worker). */
  redactAll(text: string): string {
    const accounts = Object.values(this.store.state.accounts);
    return redactor(secretValues(accounts.flatMap((a) => [a.workers, ...Object.values(a.namespaces)])))(text);
  }

  /**
   * Masks the secrets of the invocation chain an event of `source` may show: a request passes the account's
   * dispatch Worker, outbound Worker and user Worker, each of which may see (and log, or throw) another's values,
   * so every secret of the source's account.
   */
  private redactorOf(source: TailSource): (text: string) => string {
    const account = this.store.state.accounts[source.account];
    return redactor(secretValues([account?.workers, ...Object.values(account?.namespaces ?? {})]));
  }

  private clean(source: TailSource, t: Record<string, unknown>, redact: (text: string) => string): TailEvent {
    const deep = (v: unknown): unknown =>
      typeof v === "string"
        ? redact(v)
        : Array.isArray(v)
          ? v.map(deep)
          : v && typeof v === "object"
            ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, deep(x)]))
            : v;
    const ev = (t.event ?? null) as Record<string, unknown> | null;
    let event: TailEvent["event"] = null;
    if (ev?.request) {
      const r = ev.request as { url: string; method: string; headers?: Record<string, string> };
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(r.headers ?? {}))
        if (!k.toLowerCase().startsWith("x-wfp-internal-")) headers[k] = HIDDEN_HEADERS.test(k.toLowerCase()) ? REDACTED : redact(v);
      event = { request: { url: redact(r.url), method: r.method, headers } };
      const status = (ev.response as { status?: number } | undefined)?.status;
      if (status !== undefined) event.response = { status };
    } else if (ev && typeof ev.cron === "string") event = { cron: ev.cron, scheduledTime: ev.scheduledTime as number };
    const e: TailEvent = {
      scriptName: source.script,
      outcome: String(t.outcome ?? "unknown"),
      eventTimestamp: (t.eventTimestamp as number | null) ?? null,
      event,
      logs: ((t.logs ?? []) as TailEvent["logs"]).map((l) => ({
        level: l.level,
        message: deep(l.message) as unknown[],
        timestamp: l.timestamp,
      })),
      exceptions: ((t.exceptions ?? []) as TailEvent["exceptions"]).map((x) => ({
        name: x.name,
        message: redact(String(x.message)),
        timestamp: x.timestamp,
      })),
    };
    if (source.namespace !== undefined) e.dispatchNamespace = source.namespace;
    if (typeof t.wallTime === "number") e.wallTime = t.wallTime;
    return e;
  }
}
