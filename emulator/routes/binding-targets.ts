/**
 * @module
 * What a script's bindings point at, for the checks Cloudflare makes: an upload naming a dispatch namespace, a KV
 * namespace or a Worker that does not exist is refused, and a Worker others depend on is deleted only with `force`.
 *
 * [I] `service` bindings and tail consumers without `namespace` name account-level Workers (the only Workers with
 * a service name; user Workers are reached through dispatch); a tail consumer with `namespace` names a script in
 * that namespace. A Durable Object binding's `script_name` names a script of the binding's own container.
 */
import { ApiError, Codes, invalidScript } from "../model/errors";
import type { EmulatorContext } from "../context";
import type { Account, Binding, Script, ScriptContainer } from "../model/store";
import { d1BindingId, r2BindingJurisdiction, r2BucketId } from "../model/storage";

interface Reference {
  /** For messages: `binding 'SVC'` or `tail consumer 'logs'`. */
  via: string;
  service: string;
  /** Set for a script in a dispatch namespace; otherwise an account-level Worker. */
  namespace?: string;
}

function tailConsumers(s: Pick<Script, "tail_consumers">): Array<{ service?: unknown; namespace?: unknown }> {
  return Array.isArray(s.tail_consumers) ? s.tail_consumers.filter((t) => typeof t === "object" && t !== null) : [];
}

/** The Workers a script's service bindings and tail consumers name. */
function references(s: Pick<Script, "bindings" | "tail_consumers">): Reference[] {
  const out: Reference[] = [];
  for (const b of s.bindings) {
    if (b.type !== "service") continue;
    if (typeof b.service !== "string") throw invalidScript(`service binding ${b.name} needs a service`);
    out.push({ via: `binding '${b.name}'`, service: b.service });
  }
  for (const t of tailConsumers(s)) {
    if (typeof t.service !== "string") throw invalidScript("each tail consumer needs a service");
    const ref: Reference = { via: `tail consumer '${t.service}'`, service: t.service };
    if (typeof t.namespace === "string") ref.namespace = t.namespace;
    out.push(ref);
  }
  return out;
}

/**
 * Refuses, one error per binding, references to what the emulator models and that does not exist:
 * a `dispatch_namespace` binding to a missing namespace (no code is documented: 100119, the namespace-not-found
 * code, with 400 where a missing namespace in the path is 404), a KV binding to a namespace id the account lacks
 * (10041), a D1 binding to a database (10181) or an R2 binding to a bucket (10085) it lacks, and a service binding or tail consumer naming a missing Worker (10144). A Worker may name itself.
 */
export function checkBindingTargets(
  ctx: EmulatorContext,
  account: string,
  container: ScriptContainer,
  s: Pick<Script, "name" | "bindings" | "tail_consumers">,
): void {
  const errors: Array<{ code: number; message: string }> = [];
  for (const b of s.bindings) {
    if (b.type !== "dispatch_namespace") continue;
    if (typeof b.namespace !== "string") throw invalidScript(`dispatch_namespace binding ${b.name} needs a namespace`);
    if (!ctx.store.findNamespace(account, b.namespace)) {
      errors.push({
        code: Codes.NAMESPACE_NOT_FOUND,
        message: `binding '${b.name}' references dispatch namespace '${b.namespace}', which does not exist`,
      });
    }
  }
  const kv = ctx.store.state.accounts[account]?.kv ?? {};
  for (const b of s.bindings) {
    if (b.type !== "kv_namespace") continue;
    if (typeof b.namespace_id !== "string") throw invalidScript(`kv_namespace binding ${b.name} needs a namespace_id`);
    if (!Object.hasOwn(kv, b.namespace_id))
      errors.push({ code: Codes.KV_BINDING_NOT_FOUND, message: `KV namespace '${b.namespace_id}' not found` });
  }
  const d1 = ctx.store.state.accounts[account]?.d1 ?? {};
  for (const b of s.bindings) {
    if (b.type !== "d1") continue;
    const id = d1BindingId(b);
    if (id === undefined) throw invalidScript(`binding ${b.name} of type d1 must have a valid \`id\` specified`);
    if (!Object.hasOwn(d1, id))
      errors.push({
        code: Codes.D1_BINDING_NOT_FOUND,
        message: `D1 binding '${b.name}' references database '${id}' which was not found. Verify the database exists in your account and that the database_id in your configuration is correct.`,
      });
  }
  const r2 = ctx.store.state.accounts[account]?.r2 ?? {};
  for (const b of s.bindings) {
    if (b.type !== "r2_bucket") continue;
    if (typeof b.bucket_name !== "string") throw invalidScript(`r2_bucket binding ${b.name} needs a bucket_name`);
    if (!Object.hasOwn(r2, r2BucketId(r2BindingJurisdiction(b), b.bucket_name)))
      errors.push({
        code: Codes.R2_BINDING_NOT_FOUND,
        message: `R2 bucket '${b.bucket_name}' not found. Please use a different name and try again.`,
      });
  }
  for (const ref of references(s)) {
    const target =
      ref.namespace === undefined ? ctx.store.state.accounts[account]?.workers : ctx.store.findNamespace(account, ref.namespace);
    const self = target === container && ref.service === s.name;
    if (!self && !target?.scripts[ref.service]) {
      const where = ref.namespace === undefined ? "" : ` in dispatch namespace '${ref.namespace}'`;
      errors.push({
        code: Codes.SERVICE_NOT_FOUND,
        message: `${ref.via} references Worker '${ref.service}'${where}, which does not exist`,
      });
    }
  }
  const [first, ...more] = errors;
  if (first) throw new ApiError(400, first.code, first.message, { more });
}

/** Scripts of the account, other than itself, that reference `name` in `target`: `container/script` labels. */
export function dependents(acc: Account, target: ScriptContainer, name: string): string[] {
  const containers: ScriptContainer[] = [...(acc.workers ? [acc.workers] : []), ...Object.values(acc.namespaces)];
  const isAccount = target === acc.workers;
  const out: string[] = [];
  for (const container of containers) {
    for (const s of Object.values(container.scripts)) {
      if (container === target && s.name === name) continue;
      const named = (b: Binding) => b.type === "durable_object_namespace" && b.script_name === name && container === target;
      const byRef = references(s).some(
        (r) => r.service === name && (r.namespace === undefined ? isAccount : r.namespace === target.name && !isAccount),
      );
      if (byRef || s.bindings.some(named)) out.push(`${container.name || "(account)"}/${s.name}`);
    }
  }
  return out;
}
