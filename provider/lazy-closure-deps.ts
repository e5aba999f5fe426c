/**
 * `typescript` and `@npmcli/arborist`, which @pulumi/pulumi loads up front for closure serialization, load on
 * first use instead: with a warm compile cache they are still about half a second of every Node process that
 * loads @pulumi/pulumi, and neither the provider host (it deserializes providers) nor a program of our resources
 * serializes a closure. Imported before @pulumi/pulumi by plugin-host.ts and preload.ts. Matched by the requiring
 * file, so another Pulumi layout just loads them eagerly.
 */
import * as nodeModule from "node:module";
import path from "node:path";

const LAZY: ReadonlyArray<{ request: string; from: string }> = [
  { request: "typescript", from: path.join("@pulumi", "pulumi", "typescript-shim.js") },
  { request: "@npmcli/arborist", from: path.join("@pulumi", "pulumi", "runtime", "closure", "codePaths.js") },
];

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

type Load = (request: string, parent: { filename?: string } | undefined, isMain: boolean) => unknown;
const loader = nodeModule.Module as unknown as { _load: Load };
const load = loader._load;
loader._load = function (this: unknown, request, parent, isMain) {
  const from = parent?.filename;
  if (from && LAZY.some((l) => l.request === request && from.endsWith(l.from))) {
    return lazyModule(() => load.call(this, request, parent, isMain) as object);
  }
  return load.call(this, request, parent, isMain);
};
