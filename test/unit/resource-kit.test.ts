/** The resource boundary: each provider method gets the engine's values without its internal keys. */
import { describe, expect, it } from "vitest";
import { defineProvider } from "../../provider/resources/resource-kit";
import { ProviderRun } from "../../provider/run";

describe("defineProvider", () => {
  it("strips internal keys from every argument of every method, gives read {} for no state, and hands each the run and the stored inputs", async () => {
    const seen: unknown[] = [];
    const run = new ProviderRun();
    const provider = defineProvider<{ a: number }, { b: number }>({
      async check(olds, news) {
        seen.push([olds, news]);
        return { inputs: news as { a: number } };
      },
      async diff(...args) {
        seen.push(args);
        return { changes: false };
      },
      async create(inputs) {
        seen.push([inputs]);
        return { id: "x", outs: { b: inputs.a } };
      },
      async read(...args) {
        seen.push(args);
        return {};
      },
      async update(...args) {
        seen.push(args);
        return { outs: { b: 1 } };
      },
      async delete(...args) {
        seen.push(args);
      },
    })(run);
    const p = { __provider: "exports.handler = ...", __internal: 1 };
    await provider.check!({ a: 0, ...p }, { a: 1, ...p });
    // The plugin host passes diff and update the stored inputs as a fourth argument (plugin-host.ts).
    const withPrior = provider as unknown as Record<"diff" | "update", (...args: unknown[]) => Promise<unknown>>;
    await provider.diff!("x", { b: 1, ...p }, { a: 1, ...p });
    await withPrior.diff("x", { b: 1, ...p }, { a: 1, ...p }, { a: 0, ...p });
    await provider.create({ a: 1, ...p });
    await provider.read!("x", { b: 1, ...p });
    await provider.read!("x");
    await provider.update!("x", { b: 1, ...p }, { a: 2, ...p });
    await withPrior.update("x", { b: 1, ...p }, { a: 2, ...p }, { a: 1, ...p });
    await provider.delete!("x", { b: 1, ...p });
    expect(seen).toEqual([
      [{ a: 0 }, { a: 1 }],
      ["x", { b: 1 }, { a: 1 }, run, undefined],
      ["x", { b: 1 }, { a: 1 }, run, { a: 0 }],
      [{ a: 1 }],
      ["x", { b: 1 }, run],
      ["x", {}, run],
      ["x", { b: 1 }, { a: 2 }, run, undefined],
      ["x", { b: 1 }, { a: 2 }, run, { a: 1 }],
      ["x", { b: 1 }, run],
    ]);
  });
});
