/**
 * A user's TypeScript program, as the README shows it: run by test/e2e/typescript-program.test.ts from a
 * fresh project outside the repository, with this package installed from its packed tarball. Not part of
 * the repository's own build: it imports the package by name, as a user does.
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { DispatchNamespace, Tenant } from "pulumi-cloudflare-wfp";

const here = (p: string) => path.join(pulumi.getRootDirectory(), p);
const config = new pulumi.Config();

const ns = new DispatchNamespace("platform", { name: config.require("namespace") });

const acme = new Tenant("acme", {
  namespace: ns.name,
  tenantId: "acme",
  plan: "pro",
  modules: [{ name: "worker.mjs", path: here("worker.mjs") }],
  compatibilityDate: "2025-06-01",
  bindings: [{ type: "assets", name: "ASSETS" }],
  secrets: { STRIPE_KEY: config.requireSecret("stripeKey") },
  assets: { directory: here("public") },
});

export const namespaceId = ns.namespaceId;
export const scriptName = acme.scriptName;
export const secretNames = acme.secretNames;
