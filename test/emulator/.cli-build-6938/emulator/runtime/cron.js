"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.CronScheduler = void 0;
exports.triggers = triggers;
/**
 * @module
 * Runs the deployed cron triggers on time: at the start of every UTC minute, each trigger of each Worker (account
 * Workers, and user Workers, which Cloudflare runs directly, not through the dispatch Worker) whose expression
 * matches fires its Worker's scheduled() handler.
 */
const cron_1 = require("../cron");
/** Every trigger in the store with its target, parsed once per expression. */
function* triggers(store) {
    for (const [account, a] of Object.entries(store.state.accounts)) {
        for (const s of Object.values(a.workers?.scripts ?? {}))
            for (const { cron } of s.schedules ?? [])
                yield { target: { account, script: s.name }, cron };
        for (const ns of Object.values(a.namespaces))
            for (const s of Object.values(ns.scripts))
                for (const { cron } of s.schedules ?? [])
                    yield { target: { account, namespace: ns.name, script: s.name }, cron };
    }
}
class CronScheduler {
    store;
    fire;
    onError;
    timer;
    parsed = new Map();
    constructor(store, fire, onError) {
        this.store = store;
        this.fire = fire;
        this.onError = onError;
    }
    /** Fires the triggers due in the minute of `at` (the timer calls it; tests call it with their own clock). */
    async tick(at) {
        const minute = Math.floor(at.getTime() / 60_000) * 60_000;
        const due = [...triggers(this.store)].filter(({ cron }) => {
            let p = this.parsed.get(cron);
            if (!p) {
                p = (0, cron_1.parseCron)(cron);
                this.parsed.set(cron, p);
            }
            return !(p instanceof Error) && (0, cron_1.cronMatches)(p, new Date(minute));
        });
        return Promise.all(due.map(({ target, cron }) => this.fire(target, cron, minute).then(({ outcome }) => ({ target, cron, outcome }), (err) => {
            this.onError(target, cron, err);
            return { target, cron, error: err.message };
        })));
    }
    start() {
        const next = 60_000 - (Date.now() % 60_000);
        this.timer = setTimeout(() => {
            void this.tick(new Date());
            this.start();
        }, next);
        this.timer.unref();
    }
    stop() {
        if (this.timer)
            clearTimeout(this.timer);
        this.timer = undefined;
    }
}
exports.CronScheduler = CronScheduler;
