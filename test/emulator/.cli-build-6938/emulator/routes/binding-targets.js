"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.checkBindingTargets = checkBindingTargets;
exports.dependents = dependents;
/**
 * @module
 * What a script's bindings point at, for the checks Cloudflare makes: an upload naming a dispatch namespace or a
 * Worker that does not exist is refused, and a Worker others depend on is deleted only with `force`.
 *
 * [I] `service` bindings and tail consumers without `namespace` name account-level Workers (the only Workers with
 * a service name; user Workers are reached through dispatch); a tail consumer with `namespace` names a script in
 * that namespace. A Durable Object binding's `script_name` names a script of the binding's own container.
 */
const errors_1 = require("../errors");
function tailConsumers(s) {
    return Array.isArray(s.tail_consumers) ? s.tail_consumers.filter((t) => typeof t === "object" && t !== null) : [];
}
/** The Workers a script's service bindings and tail consumers name. */
function references(s) {
    const out = [];
    for (const b of s.bindings) {
        if (b.type !== "service")
            continue;
        if (typeof b.service !== "string")
            throw (0, errors_1.invalidScript)(`service binding ${b.name} needs a service`);
        out.push({ via: `binding '${b.name}'`, service: b.service });
    }
    for (const t of tailConsumers(s)) {
        if (typeof t.service !== "string")
            throw (0, errors_1.invalidScript)("each tail consumer needs a service");
        const ref = { via: `tail consumer '${t.service}'`, service: t.service };
        if (typeof t.namespace === "string")
            ref.namespace = t.namespace;
        out.push(ref);
    }
    return out;
}
/**
 * Refuses, one error per binding, references to what the emulator models and that does not exist:
 * a `dispatch_namespace` binding to a missing namespace (no code is documented: 100119, the namespace-not-found
 * code, with 400 where a missing namespace in the path is 404), and a service binding or tail consumer naming a
 * missing Worker (10144). A Worker may name itself.
 */
function checkBindingTargets(ctx, account, container, s) {
    const errors = [];
    for (const b of s.bindings) {
        if (b.type !== "dispatch_namespace")
            continue;
        if (typeof b.namespace !== "string")
            throw (0, errors_1.invalidScript)(`dispatch_namespace binding ${b.name} needs a namespace`);
        if (!ctx.store.findNamespace(account, b.namespace)) {
            errors.push({
                code: errors_1.Codes.NAMESPACE_NOT_FOUND,
                message: `binding '${b.name}' references dispatch namespace '${b.namespace}', which does not exist`,
            });
        }
    }
    for (const ref of references(s)) {
        const target = ref.namespace === undefined ? ctx.store.state.accounts[account]?.workers : ctx.store.findNamespace(account, ref.namespace);
        const self = target === container && ref.service === s.name;
        if (!self && !target?.scripts[ref.service]) {
            const where = ref.namespace === undefined ? "" : ` in dispatch namespace '${ref.namespace}'`;
            errors.push({
                code: errors_1.Codes.SERVICE_NOT_FOUND,
                message: `${ref.via} references Worker '${ref.service}'${where}, which does not exist`,
            });
        }
    }
    const [first, ...more] = errors;
    if (first)
        throw new errors_1.ApiError(400, first.code, first.message, { more });
}
/** Scripts of the account, other than itself, that reference `name` in `target`: `container/script` labels. */
function dependents(acc, target, name) {
    const containers = [...(acc.workers ? [acc.workers] : []), ...Object.values(acc.namespaces)];
    const isAccount = target === acc.workers;
    const out = [];
    for (const container of containers) {
        for (const s of Object.values(container.scripts)) {
            if (container === target && s.name === name)
                continue;
            const named = (b) => b.type === "durable_object_namespace" && b.script_name === name && container === target;
            const byRef = references(s).some((r) => r.service === name && (r.namespace === undefined ? isAccount : r.namespace === target.name && !isAccount));
            if (byRef || s.bindings.some(named))
                out.push(`${container.name || "(account)"}/${s.name}`);
        }
    }
    return out;
}
