/** The outputs every script resource (UserScript, Worker) declares to the engine. */
import type * as pulumi from "@pulumi/pulumi";
import { DynamicResource, type ResourceSpec } from "../resource-kit";
import type { Binding } from "./bindings";
import type { ModuleOutput } from "./modules";
import { programOwner } from "../owner";
import type { TailConsumer } from "./settings";

export abstract class ScriptResource extends DynamicResource {
  protected constructor(spec: ResourceSpec, name: string, args: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) {
    // The provider process may not know the stack: the program names the owner.
    super(spec, name, args, opts, { owner: programOwner() });
  }

  declare public readonly name: pulumi.Output<string>;
  /** Module names, types and sha256 hashes (no content). */
  declare public readonly modules: pulumi.Output<ModuleOutput[]>;
  declare public readonly mainModule: pulumi.Output<string>;
  declare public readonly compatibilityDate: pulumi.Output<string>;
  declare public readonly compatibilityFlags: pulumi.Output<string[]>;
  declare public readonly bindings: pulumi.Output<Binding[]>;
  declare public readonly tags: pulumi.Output<string[]>;
  declare public readonly usageModel: pulumi.Output<string>;
  declare public readonly limits: pulumi.Output<{ cpuMs?: number }>;
  declare public readonly logpush: pulumi.Output<boolean>;
  declare public readonly observability: pulumi.Output<Record<string, unknown>>;
  declare public readonly placement: pulumi.Output<Record<string, unknown>>;
  declare public readonly tailConsumers: pulumi.Output<TailConsumer[]>;
  /** The assets digest deployed by the last update (when `assets` is set). */
  declare public readonly assetsDigest: pulumi.Output<string | undefined>;
  declare public readonly accountId: pulumi.Output<string | undefined>;
  /** The cron triggers, when there are some. */
  declare public readonly crons: pulumi.Output<string[] | undefined>;
  /** The script's etag as last observed. */
  declare public readonly etag: pulumi.Output<string>;
  /** The etag of our last deploy: when it differs from `etag`, something else deployed. */
  declare public readonly deployedEtag: pulumi.Output<string>;
  /** The owner tag the script carries (`wfp-owner=<project>/<stack>`), kept out of `tags`. */
  declare public readonly owner: pulumi.Output<string | undefined>;
  /** The Durable Object classes the last deploy left, sorted; undefined when none. */
  declare public readonly durableObjectClasses: pulumi.Output<string[] | undefined>;
  /** The script's Durable Object migration tag; undefined before its first class. */
  declare public readonly migrationTag: pulumi.Output<string | undefined>;
}
