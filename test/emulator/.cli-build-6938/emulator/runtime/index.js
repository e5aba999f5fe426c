"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.WorkersRuntime = void 0;
/**
 * @module
 * Runs the deployed Workers on workerd through Miniflare (`workersPort`) and validates uploads (`validateUploads`,
 * on by default): Miniflare is imported at the first upload or at start with a port, never with neither.
 *
 * - One Miniflare instance holds every Worker; a change through the API marks the config stale, and it is rebuilt
 *   shortly after, or before the next request at the latest: a request always sees the Workers as currently
 *   deployed. A namespace's user Workers run in its host, which loads them with the Worker Loader: the runtime
 *   hands the host what changed. Only a change of what workerd's config holds (an account-level Worker, a
 *   namespace, the set of KV namespaces or services a namespace's Workers bind to) restarts workerd (setOptions).
 * - The workers port (front.ts) splices each connection to workerd's socket for the front Worker, which picks an
 *   account-level Worker from the Host (`pickWorker` in workers/front.mts).
 * - Uploads are validated on a second instance, with the Worker Loader: no restart per upload. The reload loads
 *   each account-level Worker there first: one that would not start is replaced by one answering its error.
 */
const node_crypto_1 = require("node:crypto");
const node_fs_1 = require("node:fs");
const node_os_1 = require("node:os");
const node_path_1 = require("node:path");
const node_readline_1 = require("node:readline");
const errors_1 = require("../errors");
const miniflare_options_1 = require("./miniflare-options");
const cron_1 = require("./cron");
const tail_1 = require("./tail");
const namespace_host_1 = require("./namespace-host");
const miniflare_internals_1 = require("./miniflare-internals");
const scripts_1 = require("./scripts");
const front_1 = require("./front");
const kv_service_1 = require("./kv-service");
const worker_sources_1 = require("./worker-sources");
const ASSETS_PREFIX = "wfp-runtime-";
/**
 * A fresh directory for the written-out assets, named by our pid; those of processes that are gone (killed before
 * they could clean up: a re-raised SIGTERM skips exit handlers) are removed first.
 */
function assetsRoot() {
    for (const name of (0, node_fs_1.readdirSync)((0, node_os_1.tmpdir)())) {
        const pid = Number(/^wfp-runtime-(\d+)-/.exec(name)?.[1]);
        if (!pid || pid === process.pid)
            continue;
        try {
            process.kill(pid, 0);
        }
        catch (err) {
            if (err.code === "ESRCH")
                (0, node_fs_1.rmSync)((0, node_path_1.join)((0, node_os_1.tmpdir)(), name), { recursive: true, force: true });
        }
    }
    return (0, node_fs_1.mkdtempSync)((0, node_path_1.join)((0, node_os_1.tmpdir)(), `${ASSETS_PREFIX}${process.pid}-`));
}
const ERROR_PREFIX = /^(Error: )?Failed to start Worker:\s*/;
class WorkersRuntime {
    store;
    options;
    mf;
    validator;
    mfModule;
    config;
    loadError;
    dirty = true;
    reloading;
    timer;
    front;
    /** workerd's socket for the front Worker, which the workers port splices connections to. */
    frontSocket;
    assetsRoot = assetsRoot();
    closed = false;
    /** workerd is being restarted (setOptions). */
    restarting = false;
    /** `http://HOST:PORT` of the workers port, once listening. */
    url;
    /** How many times workerd was (re)started with the Workers: tests and benches read it. */
    generation = 0;
    token = (0, node_crypto_1.randomBytes)(16).toString("hex");
    /** Asset sets as Miniflare's assets plugin described them (miniflare-options.ts prunes them). */
    assetSets = new Map();
    /** What each build of the config takes from this runtime. */
    state = {
        assetsRoot: this.assetsRoot,
        token: this.token,
        startupError: (script) => this.startupError(script),
        assetSets: this.assetSets,
    };
    /** Per Worker content digest: what loading it on the validator found. */
    probes = new Map();
    // Miniflare exits the process itself on SIGINT/SIGTERM, before close() can run: the written-out assets go then.
    removeAssets = () => (0, node_fs_1.rmSync)(this.assetsRoot, { recursive: true, force: true });
    /** Fires the cron triggers on time, while serving. */
    cron;
    /** The Workers' invocations as tail events: printed with `logs`, and to live tails. */
    tail;
    constructor(store, options) {
        this.store = store;
        this.options = options;
        process.once("exit", this.removeAssets);
        this.tail = new tail_1.TailHub(store, options.logs ? (line) => process.stderr.write(`${line}\n`) : undefined);
        // Tails cost a round trip to this process per invocation (the runtime bench: dispatch about 2× direct with
        // them, under 1.25× without): only with the logs on.
        if (options.port !== undefined && options.logs)
            this.state.tailSink = (request) => this.receiveTraces(request);
        this.cron = new cron_1.CronScheduler(store, (t, cron, time) => this.scheduled(t, cron, time), (t, cron, err) => {
            const who = t.namespace === undefined ? t.script : `${t.namespace}/${t.script}`;
            console.error(`[wfp-emulator] cron "${cron}" of ${who} failed: ${err.message}`);
        });
    }
    async miniflare() {
        if (!this.mfModule) {
            this.mfModule = await import("miniflare");
            (0, miniflare_internals_1.separateAssetStorage)(this.mfModule);
        }
        return this.mfModule;
    }
    shared() {
        const logs = this.options.logs;
        const shared = {
            // No fetch of Request.cf from the network: the placeholder.
            cf: false,
            handleRuntimeStdio: (stdout, stderr) => {
                for (const s of [stdout, stderr]) {
                    if (!logs) {
                        s.resume();
                        continue;
                    }
                    // With tails (serving), the Workers' console output comes with each invocation (tail.ts, redacted): of
                    // workerd's own output only its diagnostics are left, without secret values.
                    const tails = this.state.tailSink !== undefined;
                    if (tails && s === stdout) {
                        s.resume();
                        continue;
                    }
                    // workerd warns about every wrapped binding's module (a function as default export): not the user's news.
                    (0, node_readline_1.createInterface)({ input: s }).on("line", (line) => {
                        if (line.includes("Exported actor class as default entrypoint"))
                            return;
                        if (tails && (!line.startsWith("workerd/") || line.includes("Uncaught exception")))
                            return;
                        process.stderr.write(`${tails ? this.tail.redactAll(line) : line}\n`);
                    });
                }
            },
        };
        // Miniflare's own log (the asset and router Workers' errors), with the Workers' output.
        if (logs && this.mfModule)
            shared.log = new this.mfModule.Log(this.mfModule.LogLevel.WARN);
        return shared;
    }
    /** Loads the Workers and, with a port, starts serving them. */
    async start() {
        if (this.options.port === undefined)
            return;
        // The reload probes account-level Workers on it: it starts beside workerd.
        void this.validatorInstance().catch(() => undefined);
        await this.settle();
        if (this.loadError)
            throw this.loadError;
        const front = new front_1.WorkersFront(this);
        const a = await front.listen(this.options.port, this.options.host ?? "127.0.0.1");
        this.front = front;
        this.url = `http://${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}`;
        this.cron.start();
    }
    /** A tail's post: `{source, traces}`, the traces of the Worker `source` names. */
    async receiveTraces(request) {
        try {
            const { source, traces } = (await request.json());
            this.tail.receive(source, traces);
        }
        catch (err) {
            process.stderr.write(`[wfp-emulator] a trace could not be read: ${err.message}\n`);
        }
        return new Response(null, { status: 204 });
    }
    /**
     * Runs a Worker's scheduled() handler now, with this cron and time. A user Worker runs directly, as Cloudflare
     * runs its crons: not through the dispatch Worker, and with no outbound Worker.
     */
    async scheduled(target, cron, scheduledTime = Date.now()) {
        if (this.options.port === undefined)
            throw new Error("the Workers runtime is not running (start the emulator with a workers port)");
        await this.settle();
        const mf = this.mf;
        if (!mf || this.loadError)
            throw new Error(`the Workers could not be loaded: ${this.loadError?.message ?? "not started"}`);
        if (target.namespace === undefined) {
            // Miniflare's typings leave out the Fetcher's scheduled(), which workerd has (service_binding_extra_handlers).
            const worker = (await mf.getWorker((0, scripts_1.accountWorkerName)(target.account, target.script)));
            const result = await worker.scheduled({ cron, scheduledTime: new Date(scheduledTime) });
            return { outcome: result.outcome, noRetry: result.noRetry };
        }
        const ns = Object.values(this.store.state.accounts[target.account]?.namespaces ?? {}).find((n) => n.name === target.namespace);
        if (!ns)
            throw new Error(`no dispatch namespace ${target.namespace}`);
        const r = await mf.dispatchFetch("http://wfp.internal/", {
            method: "POST",
            headers: { [worker_sources_1.CONTROL_HEADER]: this.token, "MF-Route-Override": (0, namespace_host_1.namespaceHostName)(ns.id) },
            body: JSON.stringify({ scheduled: { name: target.script, cron, scheduledTime } }),
        });
        if (r.status !== 200)
            throw new Error(`the namespace's host refused: HTTP ${r.status} ${await r.text()}`);
        return (await r.json());
    }
    /** A reload is due or running. */
    get pending() {
        return this.dirty || this.reloading !== undefined;
    }
    upstream() {
        if (this.loadError || !this.frontSocket)
            return { error: this.loadError?.message ?? "not started" };
        return this.frontSocket;
    }
    /** An API write to a KV namespace: the KV Worker drops its cached reads of it (a workerd restarting has none). */
    async invalidateKv(key) {
        if (!this.mf || this.options.port === undefined || this.closed)
            return;
        try {
            const worker = (await this.mf.getWorker(kv_service_1.KV_WORKER));
            await worker.fetch(`http://kv/invalidate?ns=${encodeURIComponent(key)}`, { method: "POST" });
        }
        catch {
            // workerd is restarting or stopped: it starts with an empty cache.
        }
    }
    /** The API changed something: reload soon, and before the next request in any case. */
    notify() {
        if (this.options.port === undefined || this.closed)
            return;
        this.dirty = true;
        this.timer ??= setTimeout(() => {
            this.timer = undefined;
            void this.settle();
        }, 10);
    }
    /** Resolves once the running Workers match the store. */
    async settle() {
        while ((this.dirty || this.reloading) && !this.closed) {
            if (this.reloading) {
                await this.reloading;
                continue;
            }
            this.dirty = false;
            this.reloading = this.reload().finally(() => {
                this.reloading = undefined;
            });
        }
    }
    async reload() {
        try {
            const mfModule = await this.miniflare();
            const log = this.options.logs ? new mfModule.Log(mfModule.LogLevel.WARN) : new mfModule.NoOpLog();
            const config = await (0, miniflare_options_1.buildRuntimeConfig)(this.store, mfModule, log, this.state);
            if (this.mf && this.config?.fingerprint === config.fingerprint) {
                await this.handOver(this.mf, this.config.namespaces, config);
                this.config = config;
                return;
            }
            const { Miniflare } = mfModule;
            this.restarting = true;
            // A restart would cut requests in flight: they finish first (a streaming response gets 5 s).
            await this.front?.whenIdle(5_000);
            const options = { ...this.shared(), host: "127.0.0.1", port: 0, workers: config.workers };
            if (this.mf)
                await this.mf.setOptions(options);
            else
                this.mf = new Miniflare(options);
            const socket = await this.mf.unsafeGetDirectURL(scripts_1.FRONT_WORKER);
            this.config = config;
            this.loadError = undefined;
            this.generation++;
            this.frontSocket = { host: socket.hostname, port: Number(socket.port), generation: this.generation };
        }
        catch (err) {
            this.loadError = err;
            // The next change tries again; until then requests report the failure.
            this.config = undefined;
            this.frontSocket = undefined;
        }
        finally {
            this.restarting = false;
        }
    }
    /** Hands each namespace's host its user Workers that changed since `previous`. */
    async handOver(mf, previous, config) {
        await Promise.all([...config.namespaces].map(async ([host, scripts]) => {
            const before = previous.get(host) ?? {};
            const upserts = Object.fromEntries(Object.entries(scripts).filter(([name, s]) => before[name]?.version !== s.version));
            const deletes = Object.keys(before).filter((name) => !(name in scripts));
            if (Object.keys(upserts).length === 0 && deletes.length === 0)
                return;
            const r = await mf.dispatchFetch("http://wfp.internal/", {
                method: "POST",
                headers: { [worker_sources_1.CONTROL_HEADER]: this.token, "MF-Route-Override": host },
                body: JSON.stringify({ upserts, deletes }),
            });
            if (r.status !== 204)
                throw new Error(`the host ${host} refused its Workers: HTTP ${r.status} ${await r.text()}`);
        }));
    }
    validatorInstance() {
        this.validator ??= (async () => {
            const { Miniflare } = await this.miniflare();
            const mf = new Miniflare({
                ...this.shared(),
                ...(0, worker_sources_1.runtimeWorker)("validator.mjs"),
                compatibilityDate: "2025-06-01",
                workerLoaders: { LOADER: {} },
            });
            await mf.ready;
            return mf;
        })();
        return this.validator;
    }
    /** Loads a modules-format Worker on the validator: its handlers, or its startup error. Once per content. */
    async probe(script) {
        const modules = {};
        for (const m of script.modules)
            modules[m.name] = (0, scripts_1.loaderModule)(m);
        const payload = {
            modules,
            mainModule: script.main_module,
            compatibilityDate: script.compatibility_date || "2025-06-01",
            compatibilityFlags: script.compatibility_flags,
        };
        // Same code, same loaded isolate: the id is the content's digest.
        const id = (0, node_crypto_1.createHash)("sha256").update(JSON.stringify(payload)).digest("hex");
        let result = this.probes.get(id);
        if (!result) {
            if (this.probes.size >= 1000)
                this.probes.clear();
            result = (async () => {
                const mf = await this.validatorInstance();
                const r = await mf.dispatchFetch("http://validate/", { method: "POST", body: JSON.stringify({ ...payload, id }) });
                const answer = (await r.json());
                if (answer.error === undefined)
                    return answer;
                const message = answer.error.replace(ERROR_PREFIX, "");
                return { error: message.startsWith("Uncaught") ? message : `Uncaught ${message}` };
            })();
            this.probes.set(id, result);
            result.catch(() => this.probes.delete(id));
        }
        return result;
    }
    /** Why an account-level Worker would not start (workerd would refuse every Worker with it), or undefined. */
    async startupError(script) {
        if (script.main_module === undefined)
            return undefined;
        return (await this.probe(script)).error;
    }
    /** Refuses a Worker that would not start: 10021 "Uncaught ..." for a startup error, 10068 for no handler. */
    async validate(script) {
        const reserved = script.modules.find((m) => m.name.startsWith(worker_sources_1.RESERVED_MODULE_PREFIX));
        if (reserved)
            throw new errors_1.ApiError(400, errors_1.Codes.SCRIPT_INVALID, `Module name "${reserved.name}" is reserved by the local runtime (names starting with "${worker_sources_1.RESERVED_MODULE_PREFIX}")`);
        if (!this.options.validate || script.main_module === undefined)
            return;
        const result = await this.probe(script);
        if (result.error !== undefined)
            throw new errors_1.ApiError(400, errors_1.Codes.SCRIPT_INVALID, result.error);
        if (!result.handlers?.length)
            throw new errors_1.ApiError(400, errors_1.Codes.NO_EVENT_HANDLERS, "No event handlers were registered. This script does nothing.");
    }
    async close() {
        this.closed = true;
        this.cron.stop();
        if (this.timer)
            clearTimeout(this.timer);
        await this.front?.close();
        await this.reloading?.catch(() => undefined);
        await this.mf?.dispose().catch(() => undefined);
        const validator = await this.validator?.catch(() => undefined);
        await validator?.dispose().catch(() => undefined);
        process.off("exit", this.removeAssets);
        this.removeAssets();
    }
}
exports.WorkersRuntime = WorkersRuntime;
