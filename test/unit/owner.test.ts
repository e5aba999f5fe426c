import { describe, expect, it } from "vitest";
import { buildMetadata } from "../../provider/resources/script/metadata";
import { ownerTag, takeOverHint, splitOwner, withOwnerTag } from "../../provider/resources/owner";
import { diffScript } from "../../provider/resources/script/diff";
import { tagsFailures } from "../../provider/validation";
import { scriptInputs } from "../helpers/script-inputs";

describe("owner tag", () => {
  it("names the project and stack, and is a valid, filterable tag", () => {
    const tag = ownerTag("wfp-platform", "shard-1.prod_eu");
    expect(tag).toBe("wfp-owner=wfp-platform/shard-1.prod_eu");
    expect(tag).not.toMatch(/[,&:]/);
  });

  it("differs between stacks of a project and between projects", () => {
    const tags = [ownerTag("a", "dev"), ownerTag("a", "prod"), ownerTag("b", "dev"), ownerTag("a-b", "c"), ownerTag("a", "b-c")];
    expect(new Set(tags).size).toBe(tags.length);
  });

  it("is hashed when the names would break Cloudflare's tag rules or the list filter", () => {
    for (const [project, stack] of [
      ["p", "x".repeat(1100)],
      ["a,b", "dev"],
      ["p:q", "dev"],
      ["p", "s&t"],
    ]) {
      const tag = ownerTag(project!, stack!);
      expect(tag).toMatch(/^wfp-owner=sha256-[0-9a-f]{32}$/);
      expect(tag.length).toBeLessThanOrEqual(1024);
    }
    expect(ownerTag("a,b", "dev")).not.toBe(ownerTag("a,b", "prod"));
  });

  it("is split from the user's tags, which keep their order", () => {
    expect(splitOwner(["tenant-a", "wfp-owner=p/s", "plan-pro"])).toEqual({ owner: "wfp-owner=p/s", tags: ["tenant-a", "plan-pro"] });
    expect(splitOwner(["tenant-a"])).toEqual({ owner: "", tags: ["tenant-a"] });
    expect(splitOwner(null)).toEqual({ owner: "", tags: [] });
  });

  it("is added once at upload: the user's 7 tags and the owner make Cloudflare's 8", () => {
    const user = Array.from({ length: 7 }, (_, i) => `t${i}`);
    expect(tagsFailures("tags", user)).toEqual([]);
    const sent = withOwnerTag(user, "wfp-owner=p/s");
    expect(sent).toEqual([...user, "wfp-owner=p/s"]);
    expect(withOwnerTag(["a", "wfp-owner=old/s"], "wfp-owner=p/s")).toEqual(["a", "wfp-owner=p/s"]);
    expect(withOwnerTag(["a"], undefined)).toEqual(["a"]);
    const metadata = buildMetadata(scriptInputs({ tags: ["tenant-s"], owner: "wfp-owner=p/s" }));
    expect(metadata.tags).toEqual(["tenant-s", "wfp-owner=p/s"]);
  });

  it("names the import command with the type token and id format of the resource", () => {
    expect(
      takeOverHint({ namespace: "customers", script: "acme" }, { resource: 'UserScript "customers/acme"', operation: "create" }, "o"),
    ).toMatch(/ import it: pulumi import 'pulumi-nodejs:dynamic\/wfp:UserScript' <resource name> customers\/acme$/);
    expect(takeOverHint({ script: "dispatcher" }, { resource: 'Worker "dispatcher"', operation: "create" }, "o")).toMatch(
      / import it: pulumi import 'pulumi-nodejs:dynamic\/wfp:Worker' <resource name> dispatcher$/,
    );
  });

  it("tells how to hand a Tenant's script over by its owner tag, since a Tenant cannot be imported", () => {
    const op = { resource: 'Tenant "customers/acme"', operation: "create" };
    const tags = "/accounts/<account>/workers/dispatch/namespaces/customers/scripts/acme/tags";
    expect(takeOverHint({ namespace: "customers", script: "acme" }, op, "wfp-owner=p/b", "wfp-owner=p/a")).toContain(
      `give it this stack's owner tag (DELETE ${tags}/wfp-owner=p/a, then PUT ${tags}/wfp-owner=p/b), and run pulumi up again`,
    );
    expect(takeOverHint({ namespace: "customers", script: "acme" }, op, "wfp-owner=p/b")).toContain(`(PUT ${tags}/wfp-owner=p/b)`);
  });
});

describe("owner in the diff", () => {
  const inputs = scriptInputs({ namespace: "ns" });
  const outputs = { ...inputs, etag: "e", deployedEtag: "e" };

  it("re-tags after a stack rename or an import (an update, not a replacement)", () => {
    const renamed = diffScript({ ...outputs, owner: "wfp-owner=p/old" }, { ...inputs, owner: "wfp-owner=p/new" });
    expect(renamed).toMatchObject({ changes: true, replaces: [], changedKeys: ["owner"] });
    expect(diffScript({ ...outputs, owner: "" }, { ...inputs, owner: "wfp-owner=p/new" }).changedKeys).toEqual(["owner"]);
  });

  it("is clean when the tag is this stack's, or when no owner is declared (library use)", () => {
    expect(diffScript({ ...outputs, owner: "wfp-owner=p/s" }, { ...inputs, owner: "wfp-owner=p/s" }).changes).toBe(false);
    expect(diffScript({ ...outputs, owner: "wfp-owner=p/s" }, inputs).changes).toBe(false);
  });
});
