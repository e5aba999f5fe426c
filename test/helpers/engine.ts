/**
 * The engine's side of a dynamic provider, driven by hand: what `pulumi up`, `preview` and `preview --refresh`
 * call for one resource, with the state (id and outputs) the engine would keep. For provider-level scenarios
 * that need no real engine.
 */
import type * as pulumi from "@pulumi/pulumi";
import { expect } from "vitest";

export class DrivenResource {
  id?: string;
  outs?: any;

  constructor(
    readonly provider: pulumi.dynamic.ResourceProvider,
    /** The program's inputs, read at each step (they may depend on other resources' outputs). */
    readonly inputs: () => Record<string, unknown>,
  ) {}

  async check(): Promise<any> {
    const r = await this.provider.check!({}, this.inputs());
    expect(r.failures ?? []).toEqual([]);
    return r.inputs;
  }

  /** `pulumi up` for this resource: create, or diff and update in place. A failed step leaves the state as it was. */
  async up(): Promise<"created" | "updated" | "unchanged"> {
    const news = await this.check();
    if (this.id === undefined) {
      const created = await this.provider.create(news);
      [this.id, this.outs] = [created.id, created.outs];
      return "created";
    }
    const diff = await this.provider.diff!(this.id, this.outs, news);
    if (!diff.changes) return "unchanged";
    expect(diff.replaces ?? []).toEqual([]);
    this.outs = (await this.provider.update!(this.id, this.outs, news)).outs;
    return "updated";
  }

  /** `pulumi preview` (`refresh`: with `--refresh`): true when it would change this resource. */
  async changes(refresh = false): Promise<boolean> {
    if (this.id === undefined) return true;
    let outs = this.outs;
    if (refresh) {
      const read = await this.provider.read!(this.id, this.outs);
      if (read.id === undefined) return true;
      outs = read.props;
    }
    return (await this.provider.diff!(this.id, outs, await this.check())).changes === true;
  }
}
