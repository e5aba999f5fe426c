/**
 * The engine's side of a dynamic provider, driven by hand: what `pulumi up`, `preview` and `refresh` call, for
 * provider-level scenarios that need no real engine. `driver()` gives the calls one at a time; `DrivenResource`
 * keeps one resource's state (id and outputs) as the engine would.
 */
import type * as pulumi from "@pulumi/pulumi";
import { expect } from "vitest";
import type { KeyedDiff } from "../../provider/resources/resource-kit";
import type { CheckFailure } from "../../provider/validation";

type Props = Record<string, unknown>;

export interface Driver<I, O> {
  provider: pulumi.dynamic.ResourceProvider;
  /** check(olds, news), expecting no failure: the normalized inputs. */
  check(news: Props, olds?: Props): Promise<I>;
  /** check's failures. */
  failures(news: Props, olds?: Props): Promise<CheckFailure[]>;
  /** `pulumi up` of a new resource: check, then create. */
  create(news: Props): Promise<{ id: string; outs: O }>;
  /** `pulumi up` of an existing resource: check, diff, and update in place when diff says so (never a replace). */
  up(id: string, olds: O, news: Props): Promise<{ changed: boolean; outs: O }>;
  /** `pulumi preview --refresh`: read the resource back (it must still exist), then diff the program's inputs. */
  refreshDiff(id: string, outs: O, inputs: I): Promise<{ read: pulumi.dynamic.ReadResult; diff: KeyedDiff }>;
}

export function driver<I = any, O = any>(provider: pulumi.dynamic.ResourceProvider): Driver<I, O> {
  const failures = async (news: Props, olds: Props = {}) => ((await provider.check!(olds, news)).failures ?? []) as CheckFailure[];
  const check = async (news: Props, olds: Props = {}) => {
    const r = await provider.check!(olds, news);
    expect(r.failures ?? []).toEqual([]);
    return r.inputs as I;
  };
  return {
    provider,
    check,
    failures,
    async create(news) {
      const r = await provider.create(await check(news));
      return { id: r.id, outs: r.outs as O };
    },
    async up(id, olds, news) {
      // The engine's check gets the stored inputs; the outputs hold them.
      const inputs = await check(news, olds as Props);
      const diff = await provider.diff!(id, olds, inputs);
      if (!diff.changes) return { changed: false, outs: olds };
      expect(diff.replaces ?? []).toEqual([]);
      return { changed: true, outs: (await provider.update!(id, olds, inputs)).outs as O };
    },
    async refreshDiff(id, outs, inputs) {
      const read = await provider.read!(id, outs);
      expect(read.id).toBe(id);
      return { read, diff: (await provider.diff!(id, read.props, inputs)) as KeyedDiff };
    },
  };
}

export class DrivenResource {
  id?: string;
  outs?: any;
  private readonly calls: Driver<any, any>;

  constructor(
    readonly provider: pulumi.dynamic.ResourceProvider,
    /** The program's inputs, read at each step (they may depend on other resources' outputs). */
    readonly inputs: () => Record<string, unknown>,
  ) {
    this.calls = driver(provider);
  }

  check(): Promise<any> {
    return this.calls.check(this.inputs());
  }

  /** `pulumi up` for this resource: create, or diff and update in place. A failed step leaves the state as it was. */
  async up(): Promise<"created" | "updated" | "unchanged"> {
    if (this.id === undefined) {
      ({ id: this.id, outs: this.outs } = await this.calls.create(this.inputs()));
      return "created";
    }
    const { changed, outs } = await this.calls.up(this.id, this.outs, this.inputs());
    this.outs = outs;
    return changed ? "updated" : "unchanged";
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
