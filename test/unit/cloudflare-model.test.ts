/**
 * The Cloudflare model (cloudflare/) held to what we did not write: the `cloudflare` SDK's declarations of the API
 * and the constants Miniflare (Cloudflare's local runtime) enforces. Facts neither carries (name rules, error codes,
 * cron syntax) name their public source in the model, and test/unit/contract.test.ts holds both halves to them.
 * Last, the model's batching of bulk requests.
 */
import { describe, expect, test } from "vitest";
import { HTML_HANDLING, NOT_FOUND_HANDLING } from "../../cloudflare/assets";
import { batches } from "../../cloudflare/batches";
import { BINDING_TYPES, SECRET_BINDING_TYPES, WRITE_ONLY_BINDING_FIELDS } from "../../cloudflare/bindings";
import { MAX_KV_KEY_BYTES, MAX_KV_METADATA_BYTES, MAX_KV_VALUE_BYTES, MIN_KV_TTL_SECONDS } from "../../cloudflare/kv";
import { MAX_ASSET_SIZE_BYTES, PLAN_LIMITS } from "../../cloudflare/limits";
import { MODULE_TYPES, USAGE_MODELS } from "../../cloudflare/scripts";
import { miniflareConstant, sdkTypes } from "../helpers/published";

const METADATA = "scripts.ScriptUpdateParams.Metadata";
const ASSETS_CONFIG = `NonNullable<NonNullable<${METADATA}["assets"]>["config"]>`;
const BINDING = `NonNullable<${METADATA}["bindings"]>[number]`;
const sdk = sdkTypes({
  Upload: "scripts.ScriptUpdateParams",
  BindingType: `${BINDING}["type"]`,
  SecretText: `Extract<${BINDING}, { type: "secret_text" }>`,
  SecretKey: `Extract<${BINDING}, { type: "secret_key" }>`,
  UsageModel: `NonNullable<${METADATA}["usage_model"]>`,
  HtmlHandling: `NonNullable<${ASSETS_CONFIG}["html_handling"]>`,
  NotFoundHandling: `NonNullable<${ASSETS_CONFIG}["not_found_handling"]>`,
  Namespace: "namespaces.NamespaceGetResponse",
  KvNamespace: "kv.Namespace",
  ModelNamespace: "wire.NamespaceObject",
  ModelKvNamespace: "wire.KvNamespaceObject",
  Zone: "zones.Zone",
  ModelZone: "wire.ZoneObject",
  Domain: "domains.DomainGetResponse",
  ModelDomain: "wire.DomainObject",
  Route: "routes.RouteGetResponse",
  ModelRoute: "wire.RouteObject",
  CustomHostname: "customHostnames.CustomHostnameGetResponse",
  ModelCustomHostname: "wire.CustomHostnameObject",
  ValidationRecord: 'NonNullable<NonNullable<customHostnames.CustomHostnameGetResponse["ssl"]>["validation_records"]>[number]',
  ModelValidationRecord: "wire.ValidationRecord",
});
const sorted = (values: readonly string[]) => [...values].sort();

describe("the model against the cloudflare SDK's declarations of the API", () => {
  test("module types: the Content-Types the upload's `files` documents, and no other (not application/json)", () => {
    const documented = /Possible Content-Type\(s\) are:([^.]*)\./.exec(sdk.docs("Upload", "files").replace(/\s+/g, " "));
    expect(documented, "the SDK's files documentation lists the Content-Types").not.toBeNull();
    const listed = [...documented![1]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    expect(sorted(MODULE_TYPES)).toEqual(sorted(listed));
  });

  test("binding types: every kind of the upload metadata's `bindings`", () => {
    expect(sorted(BINDING_TYPES)).toEqual(sorted(sdk.members("BindingType")));
  });

  test("secret bindings: their write-only fields are fields of those bindings", () => {
    expect(sorted(SECRET_BINDING_TYPES)).toEqual(["secret_key", "secret_text"]);
    expect(sdk.keys("SecretText")).toEqual(expect.arrayContaining([...WRITE_ONLY_BINDING_FIELDS.secret_text!]));
    expect(sdk.keys("SecretKey")).toEqual(expect.arrayContaining([...WRITE_ONLY_BINDING_FIELDS.secret_key!]));
  });

  test("usage models and the assets config's enumerations", () => {
    expect(sorted(USAGE_MODELS)).toEqual(sorted(sdk.members("UsageModel")));
    expect(sorted(HTML_HANDLING)).toEqual(sorted(sdk.members("HtmlHandling")));
    expect(sorted(NOT_FOUND_HANDLING)).toEqual(sorted(sdk.members("NotFoundHandling")));
  });

  test("wire shapes: every field the model reads or serves is one the API's answer has", () => {
    for (const shape of ["Namespace", "KvNamespace", "Zone", "Domain", "Route", "CustomHostname", "ValidationRecord"])
      expect(sdk.keys(shape), shape).toEqual(expect.arrayContaining(sdk.keys(`Model${shape}`)));
  });
});

describe("the model against the limits Miniflare enforces", () => {
  test("static assets: files per Worker on Workers Paid, and bytes per file", () => {
    expect(PLAN_LIMITS.paid.maxAssetFiles).toBe(miniflareConstant("MAX_ASSET_COUNT"));
    expect(MAX_ASSET_SIZE_BYTES).toBe(miniflareConstant("MAX_ASSET_SIZE"));
  });

  test("Workers KV: key, value and metadata sizes, and the shortest expiry", () => {
    expect(MAX_KV_KEY_BYTES).toBe(miniflareConstant("MAX_KEY_SIZE_BYTES"));
    expect(MAX_KV_VALUE_BYTES).toBe(miniflareConstant("MAX_VALUE_SIZE_BYTES"));
    expect(MAX_KV_METADATA_BYTES).toBe(miniflareConstant("MAX_METADATA_SIZE_BYTES"));
    expect(MIN_KV_TTL_SECONDS).toBe(miniflareConstant("MIN_EXPIRATION_TTL_SECONDS"));
  });
});

describe("batches", () => {
  const sizes = (groups: number[][]) => groups.map((g) => g.length);

  test("fills each batch up to the count bound, then up to the byte bound, in order", () => {
    expect(sizes(batches([1, 1, 1, 1, 1], { maxItems: 2, maxBytes: 100 }, (n) => n))).toEqual([2, 2, 1]);
    expect(batches([3, 3, 3, 1], { maxItems: 10, maxBytes: 6 }, (n) => n)).toEqual([
      [3, 3],
      [3, 1],
    ]);
  });

  test("an item over the byte bound alone gets its own batch; no items, no batches", () => {
    expect(batches([1, 9, 1], { maxItems: 10, maxBytes: 5 }, (n) => n)).toEqual([[1], [9], [1]]);
    expect(batches([], { maxItems: 1, maxBytes: 1 }, () => 1)).toEqual([]);
  });
});
