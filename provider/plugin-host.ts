/**
 * A drop-in for Pulumi's dynamic-provider plugin (`pulumi-resource-pulumi-nodejs`) that makes
 * `pulumi import` and the `import` resource option work for this package's resources.
 *
 * Pulumi's own host deserializes the provider from the `__provider` property, which an import's
 * Read does not carry, so every dynamic-provider import fails. Our resources'
 * provider is the same one-line `require()` for every instance of a kind (resource-kit.ts), so for a
 * `pulumi-nodejs:dynamic/wfp:<Kind>` URN we supply it to every request that lacks it and hand the request to the
 * stock host; its answers lose it again, so our resources' state does not hold it (PROVIDER_BAGS).
 * A Read that finds nothing returns no properties, so an import of a missing resource says it does not exist;
 * Diff answers with the changed fields as well (engine-diff.ts), so `pulumi preview --diff` and drift name them;
 * Diff and Update of our types get the stored inputs the engine sends (the stock host drops them), so a Tenant
 * compares its secrets with the values it stored instead of keeping hashes of them in its outputs;
 * GetSchema answers import-schema.ts, so `pulumi import` prints code; our errors are printed once
 * (dropAnsweredErrorLines).
 * Everything else is the stock host, unchanged, started faster (compile-cache.ts, lazy-pulumi-modules.ts).
 */
import { enableCompileCache } from "./compile-cache";
import "./lazy-pulumi-modules";
import path from "node:path";
import { diffResponse, engineDiff } from "./engine-diff";
import type { KeyedDiff, ResourceKind } from "./resources/resource-kit";

interface FieldsMap {
  has(key: string): boolean;
  set(key: string, value: unknown): void;
  del(key: string): boolean;
}
interface StructLike {
  toJavaScript(): Record<string, unknown>;
  getFieldsMap(): FieldsMap;
}
interface ReadResponseLike {
  getId(): string;
  clearProperties(): void;
  clearInputs(): void;
}
interface DiffRequestLike {
  getUrn(): string;
  getId(): string;
  getOlds(): StructLike;
  getNews(): StructLike;
  getOldInputs(): StructLike | undefined;
}
type Handler = (call: { request: { getUrn(): string } }, callback: (...args: unknown[]) => void) => unknown;

const PROVIDER_KEY = "__provider";

/**
 * Where the stock host reads a resource's `__provider` in each call (the request's property bags, by name), and
 * where it writes it for the engine to store (the response's). Ours is the same line for every resource of a kind,
 * and the URN names the kind: the state need not hold it (two copies a resource, each a value the engine carries at
 * every step), so it is put back into each request and taken out of each answer. Diff is ours alone (below).
 */
const PROVIDER_BAGS: Record<string, { request: string[]; response: string[] }> = {
  check: { request: ["Olds", "News"], response: ["Inputs"] },
  create: { request: ["Properties"], response: ["Properties"] },
  read: { request: ["Properties"], response: ["Properties", "Inputs"] },
  update: { request: ["Olds", "News"], response: ["Properties"] },
  delete: { request: ["Properties"], response: [] },
};

type Message = Record<string, (value?: unknown) => unknown>;
const bagOf = (message: unknown, bag: string) => (message as Message)[`get${bag}`]?.call(message) as StructLike | undefined;

function main(): void {
  enableCompileCache("provider");
  // dynamic.ts PRIOR_INPUTS: its runs know that diff and update get the stored inputs (below).
  (globalThis as Record<symbol, unknown>)[Symbol.for("pulumi-cloudflare-wfp.prior-inputs")] = true;
  // Required after the line above: it loads @pulumi/pulumi.
  const { kindOfUrn, providerSource } = require("./resources/resource-kit") as typeof import("./resources/resource-kit");
  // The stock host registers its service with the @grpc/grpc-js and google-protobuf copies that
  // @pulumi/pulumi resolves: load those same copies.
  const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
  const fromPulumi = (id: string) => require(require.resolve(id, { paths: [pulumiDir] }));
  const grpc = fromPulumi("@grpc/grpc-js");
  const { Struct, Value } = fromPulumi("google-protobuf/google/protobuf/struct_pb");
  /** `message`'s bag with the kind's `__provider` (a new bag where there is none: an import's Read has no properties). */
  const withProviderKey = (message: unknown, bag: string, kind: ResourceKind) => {
    let struct = bagOf(message, bag);
    if (!struct) {
      struct = new Struct() as StructLike;
      (message as Message)[`set${bag}`]!.call(message, struct);
    }
    const fields = struct.getFieldsMap();
    if (fields.has(PROVIDER_KEY)) return;
    const value = new Value();
    value.setStringValue(providerSource(kind));
    fields.set(PROVIDER_KEY, value);
  };

  const addService = grpc.Server.prototype.addService;
  grpc.Server.prototype.addService = function (service: unknown, impl: Record<string, Handler>) {
    for (const [method, bags] of Object.entries(PROVIDER_BAGS)) {
      const inner = impl[method];
      if (typeof inner !== "function") continue;
      impl[method] = function (this: unknown, call, callback) {
        const kind = kindOfUrn(call.request.getUrn());
        if (!kind) return inner.call(this, call, callback);
        try {
          for (const bag of bags.request) withProviderKey(call.request, bag, kind);
        } catch (error) {
          callback(error);
          return undefined;
        }
        return inner.call(this, call, (error: unknown, answer?: unknown, ...rest: unknown[]) => {
          if (!error && answer) for (const bag of bags.response) bagOf(answer, bag)?.getFieldsMap().del(PROVIDER_KEY);
          callback(error, answer, ...rest);
        });
      };
    }
    const read = impl.read;
    if (typeof read === "function") {
      // The stock host answers a missing resource with no id but with properties (`__provider`), which an
      // import reports as "provider does not support importing resources": without them it is "does not exist".
      impl.read = function (this: unknown, call, callback) {
        return read.call(this, call, (error: unknown, answer?: unknown, ...rest: unknown[]) => {
          const response = answer as ReadResponseLike | undefined;
          if (!error && response && response.getId() === "") {
            response.clearProperties();
            response.clearInputs();
          }
          callback(error, response, ...rest);
        });
      };
    }
    const diff = impl.diff;
    if (typeof diff === "function") {
      // The stock host passes on only whether anything changed and what replaces: ours names each changed field.
      impl.diff = async function (this: unknown, call, callback) {
        const req = call.request as unknown as DiffRequestLike;
        const kind = kindOfUrn(req.getUrn());
        if (!kind) return diff.call(this, call, callback);
        try {
          const olds = req.getOlds().toJavaScript();
          const news = req.getNews().toJavaScript();
          const { handler } = require("./dynamic") as typeof import("./dynamic");
          const diffOf = handler(kind).diff as unknown as (...args: unknown[]) => Promise<KeyedDiff>;
          const result = await diffOf(req.getId(), olds, news, req.getOldInputs()?.toJavaScript());
          callback(undefined, diffResponse(fromPulumi("@pulumi/pulumi/proto/provider_pb"), engineDiff(result, olds, news)));
        } catch (error) {
          console.error(`${error}: ${(error as Error).stack}`);
          callback(error);
        }
        return undefined;
      };
    }
    const update = impl.update;
    if (typeof update === "function") {
      // A Tenant's: as the stock host's update, with the stored inputs as the provider's fourth argument.
      impl.update = async function (this: unknown, call, callback) {
        const req = call.request as unknown as DiffRequestLike;
        const kind = kindOfUrn(req.getUrn());
        if (kind !== "Tenant") return update.call(this, call, callback);
        try {
          const news = req.getNews().toJavaScript();
          const { handler } = require("./dynamic") as typeof import("./dynamic");
          const updateOf = handler(kind).update as unknown as (
            ...args: unknown[]
          ) => Promise<{ outs?: Record<string, unknown> } | undefined>;
          const result = await updateOf(req.getId(), req.getOlds().toJavaScript(), news, req.getOldInputs()?.toJavaScript());
          const { UpdateResponse } = fromPulumi("@pulumi/pulumi/proto/provider_pb");
          const response = new UpdateResponse();
          response.setProperties(Struct.fromJavaScript(result?.outs ?? {}));
          callback(undefined, response);
        } catch (error) {
          // The stock host's answer to a failed update (a Tenant's is never a partly initialized resource).
          const metadata = new grpc.Metadata();
          callback({ code: grpc.status.UNKNOWN, message: (error as Error).message, metadata }, null, metadata);
        }
        return undefined;
      };
    }
    if (typeof impl.getSchema === "function") {
      // What `pulumi import` asks for to print code for the imported resources (import-schema.ts).
      impl.getSchema = (_call, callback) => {
        try {
          const { importSchema } = require("./import-schema") as typeof import("./import-schema");
          const { GetSchemaResponse } = fromPulumi("@pulumi/pulumi/proto/provider_pb");
          const response = new GetSchemaResponse();
          response.setSchema(JSON.stringify(importSchema(fromPulumi("@pulumi/pulumi/package.json").version)));
          callback(undefined, response);
        } catch (error) {
          callback(error);
        }
      };
    }
    return addService.call(this, service, impl);
  };

  dropAnsweredErrorLines();
  require("@pulumi/pulumi/cmd/dynamic-provider");
  exitWithParent();
}

/**
 * The stock host prints every error a provider throws to stderr as `${error}: ${error.stack}`, on top of the
 * engine's own report of it: the user read our errors three times. dynamic.ts registers the lines of errors it
 * raised on purpose (Symbol.for below), and they are dropped here; anything else is printed as before.
 */
function dropAnsweredErrorLines(): void {
  const answered = Symbol.for("pulumi-cloudflare-wfp.answered-errors");
  const print = console.error.bind(console);
  console.error = (...args: unknown[]) => {
    const set = (globalThis as { [answered]?: Set<string> })[answered];
    if (args.length === 1 && typeof args[0] === "string" && set?.delete(args[0])) return;
    print(...args);
  };
}

/** Pulumi starts plugins in a process group of their own, so a CLI killed with SIGKILL would leave this host behind. */
function exitWithParent(): void {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) process.exit(0);
  }, 1000).unref();
}

// The plugin's entry point (bin/pulumi-resource-pulumi-nodejs requires it).
main();
