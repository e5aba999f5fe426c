/**
 * The smallest real-engine check: a trivial dynamic resource whose value comes from stack config.
 * Run by test/e2e/smoke.test.ts through `pulumi up`, `preview --expect-no-changes` and `destroy`.
 */
import * as pulumi from "@pulumi/pulumi";

const provider: pulumi.dynamic.ResourceProvider = {
  async create(inputs) {
    return { id: `smoke-${inputs.value}`, outs: { value: inputs.value, length: String(inputs.value).length } };
  },
  async diff(_id, olds, news) {
    return { changes: olds.value !== news.value };
  },
  async update(_id, _olds, news) {
    return { outs: { value: news.value, length: String(news.value).length } };
  },
};

class Smoke extends pulumi.dynamic.Resource {
  declare readonly length: pulumi.Output<number>;
  constructor(name: string, value: string) {
    super(provider, name, { value, length: undefined });
  }
}

const value = new pulumi.Config().get("value") ?? "hello";
export const length = new Smoke("smoke", value).length;
