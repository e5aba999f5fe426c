"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.TailHub = void 0;
exports.passes = passes;
exports.formatEvent = formatEvent;
const HIDDEN_HEADERS = /^(x-wfp-internal-|authorization$|cookie$|proxy-authorization$|cf-access-|x-auth-)/;
const REDACTED = "[REDACTED]";
function passes(e, f) {
    if (f.namespace !== undefined && e.dispatchNamespace !== f.namespace)
        return false;
    if (f.tenant !== undefined && (e.dispatchNamespace === undefined || e.scriptName !== f.tenant))
        return false;
    return f.script === undefined || e.scriptName === f.script;
}
/** One line per invocation, then its console output and exceptions, each naming the Worker. */
function formatEvent(e) {
    const who = e.dispatchNamespace === undefined ? e.scriptName : `${e.dispatchNamespace}/${e.scriptName}`;
    const at = new Date(e.eventTimestamp ?? Date.now()).toISOString().slice(11, 23);
    // workerd reports 0 locally (its timers are coarse on purpose): a duration only when there is one.
    const ms = e.wallTime ? ` ${e.wallTime} ms` : "";
    const ev = e.event;
    let head;
    if (ev?.request) {
        const url = new URL(ev.request.url);
        head = `${ev.request.method} ${url.pathname}${url.search} ${ev.response?.status ?? e.outcome}${ms}`;
    }
    else if (ev?.cron !== undefined)
        head = `cron "${ev.cron}" ${e.outcome}${ms}`;
    else
        head = `${e.outcome}${ms}`;
    const lines = [`${at} ${who} ${head}`];
    for (const l of e.logs)
        lines.push(`${at} ${who} ${l.level}: ${l.message.map((m) => (typeof m === "string" ? m : JSON.stringify(m))).join(" ")}`);
    for (const x of e.exceptions)
        lines.push(`${at} ${who} exception: ${x.name}: ${x.message}`);
    return lines;
}
class TailHub {
    store;
    print;
    listeners = new Set();
    constructor(store, 
    /** Where the lines go (stderr under the CLI); undefined: not printed. */
    print) {
        this.store = store;
        this.print = print;
    }
    /** Live tails: returns the unsubscribe function. */
    subscribe(filter, listener) {
        const entry = { filter, listener };
        this.listeners.add(entry);
        return () => this.listeners.delete(entry);
    }
    get listening() {
        return this.listeners.size > 0 || this.print !== undefined;
    }
    /** Traces of one Worker, as workerd's tail handler received them (serialized). */
    receive(source, traces) {
        const secrets = this.secretsOf(source);
        for (const t of traces) {
            const e = this.clean(source, t, secrets);
            if (this.print)
                for (const line of formatEvent(e))
                    this.print(line);
            for (const { filter, listener } of this.listeners)
                if (passes(e, filter))
                    listener(e);
        }
    }
    /** `text` without any deployed Worker's secret value (for workerd's own messages, which name no Worker). */
    redactAll(text) {
        let out = text;
        for (const a of Object.values(this.store.state.accounts))
            for (const c of [a.workers, ...Object.values(a.namespaces)])
                for (const s of Object.values(c?.scripts ?? {}))
                    for (const b of s.bindings)
                        if (b.type === "secret_text" && typeof b.text === "string" && b.text.length >= 4)
                            out = out.split(b.text).join(REDACTED);
        return out;
    }
    secretsOf(source) {
        const account = this.store.state.accounts[source.account];
        const container = source.namespace === undefined ? account?.workers : Object.values(account?.namespaces ?? {}).find((n) => n.name === source.namespace);
        const script = container?.scripts[source.script];
        return (script?.bindings ?? [])
            .filter((b) => b.type === "secret_text" && typeof b.text === "string" && b.text.length >= 4)
            .map((b) => b.text);
    }
    clean(source, t, secrets) {
        const redact = (s) => secrets.reduce((acc, v) => acc.split(v).join(REDACTED), s);
        const deep = (v) => typeof v === "string"
            ? redact(v)
            : Array.isArray(v)
                ? v.map(deep)
                : v && typeof v === "object"
                    ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, deep(x)]))
                    : v;
        const ev = (t.event ?? null);
        let event = null;
        if (ev?.request) {
            const r = ev.request;
            const headers = {};
            for (const [k, v] of Object.entries(r.headers ?? {}))
                if (!k.toLowerCase().startsWith("x-wfp-internal-"))
                    headers[k] = HIDDEN_HEADERS.test(k.toLowerCase()) ? REDACTED : redact(v);
            event = { request: { url: redact(r.url), method: r.method, headers } };
            const status = ev.response?.status;
            if (status !== undefined)
                event.response = { status };
        }
        else if (ev && typeof ev.cron === "string")
            event = { cron: ev.cron, scheduledTime: ev.scheduledTime };
        const e = {
            scriptName: source.script,
            outcome: String(t.outcome ?? "unknown"),
            eventTimestamp: t.eventTimestamp ?? null,
            event,
            logs: (t.logs ?? []).map((l) => ({
                level: l.level,
                message: deep(l.message),
                timestamp: l.timestamp,
            })),
            exceptions: (t.exceptions ?? []).map((x) => ({
                name: x.name,
                message: redact(String(x.message)),
                timestamp: x.timestamp,
            })),
        };
        if (source.namespace !== undefined)
            e.dispatchNamespace = source.namespace;
        if (typeof t.wallTime === "number")
            e.wallTime = t.wallTime;
        return e;
    }
}
exports.TailHub = TailHub;
