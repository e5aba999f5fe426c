/**
 * Modules @pulumi/pulumi loads up front for features neither the provider host nor a program of our resources
 * uses, loaded on first use instead: closure serialization's (`typescript`, `@npmcli/arborist`, the inspector
 * session cmd/run opens before every program), the automation API, and OpenTelemetry's SDK (used only under
 * `pulumi --tracing`). With a warm compile cache they are still most of a second of every Node process that loads
 * @pulumi/pulumi. Imported before @pulumi/pulumi by plugin-host.ts and preload.ts. Matched by the requiring file,
 * so another Pulumi layout just loads them eagerly.
 */
import * as nodeModule from "node:module";
import path from "node:path";

/** A stand-in that loads the module on first property access; `__esModule` so `__importStar` keeps it as is. */
function lazyModule(load: () => object): object {
  let real: object | undefined;
  const target = (): object => {
    real ??= load();
    return real;
  };
  return new Proxy(Object.create(null), {
    get: (_, key) => (key === "__esModule" ? true : Reflect.get(target(), key)),
    has: (_, key) => Reflect.has(target(), key),
    ownKeys: () => Reflect.ownKeys(target()),
    getOwnPropertyDescriptor: (_, key) => {
      const d = Reflect.getOwnPropertyDescriptor(target(), key);
      return d && { ...d, configurable: true };
    },
  });
}

/**
 * For a module whose exports are destructured at load but only called later (functions and classes): each export
 * is a function that loads the module when it is called or constructed.
 */
function lazyExports(load: () => object): object {
  let real: object | undefined;
  const exported = (key: string | symbol) => {
    real ??= load();
    return Reflect.get(real, key) as (...args: unknown[]) => unknown;
  };
  return new Proxy(Object.create(null), {
    get: (_, key) =>
      key === "__esModule"
        ? true
        : function deferred(this: unknown, ...args: unknown[]) {
            return new.target ? Reflect.construct(exported(key), args) : exported(key).apply(this, args);
          },
  });
}

/**
 * cmd/run's v8Hooks, whose `isInitializedAsync` opens an inspector session and enables the debugger before the
 * program runs (every script parsed after that is reported to it): ready at once, the session opened when closure
 * serialization first asks for it. Enabling the debugger then reports the scripts parsed before, as V8 documents.
 */
function lazyHooks(load: () => object): object {
  const hooks = lazyModule(load);
  return new Proxy(hooks, { get: (_, key) => (key === "isInitializedAsync" ? async () => {} : Reflect.get(hooks, key)) });
}

const pulumi = (...file: string[]) => path.join("@pulumi", "pulumi", ...file);
const tracing = pulumi("cmd", "run", "tracing.js");
const LAZY: ReadonlyArray<{ request: string; from: string; standIn: (load: () => object) => object }> = [
  { request: "typescript", from: pulumi("typescript-shim.js"), standIn: lazyModule },
  { request: "@npmcli/arborist", from: pulumi("runtime", "closure", "codePaths.js"), standIn: lazyModule },
  { request: "../../runtime/closure/v8Hooks", from: pulumi("cmd", "run", "index.js"), standIn: lazyHooks },
  { request: "./automation", from: pulumi("index.js"), standIn: lazyModule },
  ...[
    "@opentelemetry/resources",
    "@opentelemetry/sdk-trace-base",
    "@opentelemetry/exporter-zipkin",
    "@opentelemetry/instrumentation-grpc",
    "@opentelemetry/sdk-trace-node",
    "@opentelemetry/instrumentation",
  ].map((request) => ({ request, from: tracing, standIn: lazyExports })),
];

type Load = (request: string, parent: { filename?: string } | undefined, isMain: boolean) => unknown;
const loader = nodeModule.Module as unknown as { _load: Load };
const load = loader._load;
loader._load = function (this: unknown, request, parent, isMain) {
  const from = parent?.filename;
  const lazy = from ? LAZY.find((l) => l.request === request && from.endsWith(l.from)) : undefined;
  if (lazy) return lazy.standIn(() => load.call(this, request, parent, isMain) as object);
  return load.call(this, request, parent, isMain);
};
