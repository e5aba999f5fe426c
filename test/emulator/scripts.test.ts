/** Scripts: upload (PUT), details, list/filter, bulk delete, DELETE, content, settings, bindings, tags and secrets. */
import Cloudflare, { toFile } from "cloudflare";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ACCOUNT, WORKER_JS, envelopeCodes, scriptForm, start, uniq, type Harness } from "../helpers/emulator-api";
import { kvBinding } from "../helpers/runtime";

let h: Harness;
let NS: string;
beforeAll(async () => {
  h = await start();
  NS = uniq("scripts");
  await h.cf.workersForPlatforms.dispatch.namespaces.create({ account_id: ACCOUNT, name: NS });
});
afterAll(async () => {
  await h.emu.close();
});

const path = (script: string, sub = ""): string => `/dispatch/namespaces/${NS}/scripts/${script}${sub}`;
const put = (script: string, body: BodyInit, query = ""): ReturnType<Harness["api"]> => h.api("PUT", `${path(script)}${query}`, { body });
const scriptsApi = () => h.cf.workersForPlatforms.dispatch.namespaces.scripts;
const p = {
  account_id: ACCOUNT,
  get dispatch_namespace() {
    return NS;
  },
};
const state = async (): Promise<any> => (await (await fetch(`${h.emu.url}/__emulator/state`)).json()).accounts[ACCOUNT].namespaces[NS];

function expect10021(r: { status: number; body: any }, message?: RegExp): void {
  expect(r.status).toBe(400);
  expect(envelopeCodes(r.body)).toEqual([10021]);
  if (message) expect(r.body.errors[0].message).toMatch(message);
}

describe("script upload (PUT)", () => {
  test("a metadata file part plus an ES module part; the response is the ScriptObject", async () => {
    const r = await put(
      "hello",
      scriptForm({ main_module: "worker.mjs", compatibility_date: "2025-01-01", compatibility_flags: ["nodejs_compat"] }),
    );
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ success: true, errors: [], messages: [] });
    expect(r.body.result).toMatchObject({
      id: "hello",
      handlers: ["fetch"],
      compatibility_date: "2025-01-01",
      compatibility_flags: ["nodejs_compat"],
      has_assets: false,
      has_modules: true,
      usage_model: "standard",
      entry_point: "worker.mjs",
      startup_time_ms: 0,
      tags: [],
    });
    expect(r.body.result.tag).toMatch(/^[0-9a-f]{32}$/);
    expect(r.body.result.etag).toMatch(/^[0-9a-f]{64}$/);
  });

  test("metadata as a plain text field (wrangler) and modules named by part name when there is no filename", async () => {
    const body =
      '--B\r\nContent-Disposition: form-data; name="metadata"\r\n\r\n' +
      JSON.stringify({ main_module: "index.js", code_update_strategy: { mode: "deferred" } }) +
      '\r\n--B\r\nContent-Disposition: form-data; name="index.js"\r\nContent-Type: application/javascript+module\r\n\r\n' +
      WORKER_JS +
      '\r\n--B\r\nContent-Disposition: form-data; name="index.js.map"\r\nContent-Type: application/source-map\r\n\r\n{}\r\n--B--\r\n';
    const r = await h.api("PUT", `${path("wrangler-style")}?excludeScript=true&bindings_inherit=strict`, {
      body,
      headers: { "content-type": "multipart/form-data; boundary=B" },
    });
    expect(r.status).toBe(200);
    const s = (await state()).scripts["wrangler-style"];
    expect(s.main_module).toBe("index.js");
    expect(s.modules.map((m: { name: string }) => m.name)).toEqual(["index.js", "index.js.map"]);
  });

  test.each(["Upper", "-lead", "a".repeat(64), "has.dot"])("script name %j → 400 10016 invalid_script_name", async (name) => {
    const r = await put(name, scriptForm({ main_module: "worker.mjs" }));
    expect(r.status).toBe(400);
    expect(envelopeCodes(r.body)).toEqual([10016]);
  });

  test("SDK 6 shape: part name `files`, module named by filename", async () => {
    const fd = new FormData();
    fd.append("metadata", new Blob([JSON.stringify({ main_module: "main.mjs" })], { type: "application/json" }), "metadata");
    fd.append("files", new Blob([WORKER_JS], { type: "application/javascript+module" }), "main.mjs");
    fd.append("files", new Blob(["hello"], { type: "text/plain" }), "data.txt");
    const r = await put("sdk6", fd);
    expect(r.status).toBe(200);
    expect((await state()).scripts.sdk6.modules.map((m: { name: string }) => m.name)).toEqual(["main.mjs", "data.txt"]);
  });

  test("SDK 7.x scripts.update (application/javascript + bracket fields) → 400 10021", async () => {
    const err = (await scriptsApi()
      .update("sdk7", {
        ...p,
        metadata: { main_module: "worker.mjs" },
        files: [await toFile(Buffer.from(WORKER_JS), "worker.mjs", { type: "application/javascript+module" })],
      } as never)
      .catch((e: unknown) => e)) as InstanceType<typeof Cloudflare.APIError>;
    expect(err).toBeInstanceOf(Cloudflare.BadRequestError);
    expect(err.errors[0]!.code).toBe(10021);
    expect((await h.api("GET", path("sdk7"))).status).toBe(404);
  });

  test("the SDK 7.x workarounds work: client.put with a FormData body, and scripts.update with File params and no Content-Type", async () => {
    const viaPut = (await h.cf.put(`/accounts/${ACCOUNT}/workers/dispatch/namespaces/${NS}/scripts/via-put`, {
      body: scriptForm({ main_module: "worker.mjs", tags: ["w1"] }),
    })) as { success: boolean; result: { id: string; tags: string[] } };
    expect(viaPut.success).toBe(true);
    expect(viaPut.result).toMatchObject({ id: "via-put", tags: ["w1"] });

    const updated = await scriptsApi().update(
      "via-update",
      {
        ...p,
        metadata: await toFile(Buffer.from(JSON.stringify({ main_module: "worker.mjs" })), "metadata.json", { type: "application/json" }),
        "worker.mjs": await toFile(Buffer.from(WORKER_JS), "worker.mjs", { type: "application/javascript+module" }),
      } as never,
      { headers: { "Content-Type": null } },
    );
    expect(updated).toMatchObject({ id: "via-update", has_modules: true });

    const settingsForm = new FormData();
    settingsForm.append("settings", new Blob([JSON.stringify({ logpush: true })], { type: "application/json" }), "settings");
    const viaPatch = (await h.cf.patch(`/accounts/${ACCOUNT}/workers/dispatch/namespaces/${NS}/scripts/via-put/settings`, {
      body: settingsForm,
    })) as {
      result: { logpush: boolean; tags: string[] };
    };
    expect(viaPatch.result).toMatchObject({ logpush: true, tags: ["w1"] });
  });

  test("bracket-flattened fields in a proper multipart body → 10021", async () => {
    const fd = new FormData();
    fd.append("metadata[main_module]", "worker.mjs");
    fd.append("files[]", new Blob([WORKER_JS], { type: "application/javascript+module" }), "worker.mjs");
    expect10021(await put("brackets", fd), /could not read content for part metadata/);
  });

  test("bad input: missing metadata, malformed metadata, main_module naming no part, bad types, bad names", async () => {
    const noMeta = new FormData();
    noMeta.append("worker.mjs", new Blob([WORKER_JS], { type: "application/javascript+module" }), "worker.mjs");
    expect10021(await put("bad", noMeta), /could not read content for part metadata/);

    const badJson = new FormData();
    badJson.append("metadata", new Blob(["{nope"], { type: "application/json" }), "metadata.json");
    expect10021(await put("bad", badJson), /could not read content for part metadata/);

    expect10021(await put("bad", scriptForm({ main_module: "missing.mjs" })), /No such module "missing.mjs"/);
    expect10021(await put("bad", scriptForm({ body_part: "nope.js" })), /No such module/);
    expect10021(
      await put("bad", scriptForm({ main_module: "worker.mjs" }, { "worker.mjs": { content: WORKER_JS, type: "application/x-bogus" } })),
      /unsupported Content-Type/,
    );
    expect10021(await put("bad", scriptForm({ main_module: "worker.mjs", compatibility_date: "tomorrow" })));
    expect10021(await put("bad", scriptForm({ main_module: "worker.mjs", usage_model: "infinite" })));

    const wrongType = await h.api("PUT", path("bad"), { json: { main_module: "worker.mjs" } });
    expect10021(wrongType, /Content-Type must be one of/);

    const badName = await put("bad%20name!", scriptForm({ main_module: "worker.mjs" }));
    expect(badName.status).toBe(400);
    expect(badName.body.success).toBe(false);

    expect((await h.api("GET", path("bad"))).status).toBe(404);
  });

  test("bindings: duplicates, secret without text, assets binding without assets → 10021", async () => {
    expect10021(
      await put(
        "b",
        scriptForm({
          main_module: "worker.mjs",
          bindings: [
            { name: "X", type: "plain_text", text: "1" },
            { name: "X", type: "plain_text", text: "2" },
          ],
        }),
      ),
    );
    expect10021(
      await put("b", scriptForm({ main_module: "worker.mjs", bindings: [{ name: "S", type: "secret_text" }] })),
      /invalid or missing text property for binding S/,
    );
    expect10021(
      await put("b", scriptForm({ main_module: "worker.mjs", bindings: [{ name: "ASSETS", type: "assets" }] })),
      /Cannot use an assets binding without assets/,
    );
  });

  test("secret values are stored but never returned; keep_bindings keeps previous bindings of the listed types", async () => {
    const first = await put(
      "kb",
      scriptForm({
        main_module: "worker.mjs",
        bindings: [
          { name: "SECRET", type: "secret_text", text: "s3cr3t" },
          { name: "VAR", type: "plain_text", text: "v1" },
          await kvBinding(h, "KV"),
        ],
      }),
    );
    expect(first.status).toBe(200);
    const everything = [
      first.text,
      (await h.api("GET", path("kb"))).text,
      (await h.api("GET", path("kb", "/settings"))).text,
      (await h.api("GET", path("kb", "/bindings"))).text,
    ];
    for (const text of everything) expect(text).not.toContain("s3cr3t");
    const stateText = await (await fetch(`${h.emu.url}/__emulator/state`)).text();
    expect(stateText).not.toContain("s3cr3t");

    // Re-upload: VAR sent explicitly (wins), secret kept by type, KV dropped.
    const second = await put(
      "kb",
      scriptForm({
        main_module: "worker.mjs",
        bindings: [{ name: "VAR", type: "plain_text", text: "v2" }],
        keep_bindings: ["secret_text", "plain_text"],
      }),
    );
    expect(second.status).toBe(200);
    const bindings = (await scriptsApi().bindings.get("kb", p)).result;
    expect(bindings).toEqual([
      { name: "VAR", type: "plain_text", text: "v2" },
      { name: "SECRET", type: "secret_text" },
    ]);
    // The kept secret still has its value: inherit it under a new name, then check it exists.
    await put("kb", scriptForm({ main_module: "worker.mjs" }));
    expect((await scriptsApi().bindings.get("kb", p)).result).toEqual([]);
  });

  test("inherit bindings: dropped silently, or 10057 (one error per binding) under bindings_inherit=strict", async () => {
    await put("inh", scriptForm({ main_module: "worker.mjs", bindings: [{ name: "OLD", type: "plain_text", text: "x" }] }));
    const renamed = await put(
      "inh",
      scriptForm({
        main_module: "worker.mjs",
        bindings: [
          { name: "NEW", type: "inherit", old_name: "OLD" },
          { name: "GONE", type: "inherit" },
        ],
      }),
    );
    expect(renamed.status).toBe(200);
    expect((await scriptsApi().bindings.get("inh", p)).result).toEqual([{ name: "NEW", type: "plain_text", text: "x" }]);
    const strict = await put(
      "inh",
      scriptForm({
        main_module: "worker.mjs",
        bindings: [
          { name: "GONE", type: "inherit" },
          { name: "NEW", type: "inherit" },
          { name: "ALSO", type: "inherit", old_name: "NOPE" },
        ],
      }),
      "?bindings_inherit=strict",
    );
    expect(strict.status).toBe(400);
    expect(strict.body.errors).toEqual([
      { code: 10057, message: "inherit binding 'GONE' is invalid: previous version does not have binding named 'GONE'" },
      { code: 10057, message: "inherit binding 'ALSO' is invalid: previous version does not have binding named 'NOPE'" },
    ]);
  });

  test("tags in metadata: validated, replaced when present, unchanged when absent", async () => {
    await put("tagged", scriptForm({ main_module: "worker.mjs", tags: ["a", "b"] }));
    await put("tagged", scriptForm({ main_module: "worker.mjs" }));
    expect((await h.api("GET", path("tagged"))).body.result.script.tags).toEqual(["a", "b"]);
    await put("tagged", scriptForm({ main_module: "worker.mjs", tags: ["c"] }));
    expect((await h.api("GET", path("tagged"))).body.result.script.tags).toEqual(["c"]);
    const tooMany = await put("tagged", scriptForm({ main_module: "worker.mjs", tags: ["1", "2", "3", "4", "5", "6", "7", "8", "9"] }));
    expect(envelopeCodes(tooMany.body)).toEqual([100103]);
  });

  test("other metadata is stored: usage_model, limits, logpush, observability, placement, tail_consumers, migrations", async () => {
    // A tail consumer names an account-level Worker, which must exist.
    expect((await h.api("PUT", "/scripts/tail", { body: scriptForm({ main_module: "worker.mjs" }) })).status).toBe(200);
    const r = await put(
      "meta",
      scriptForm(
        {
          main_module: "worker.mjs",
          usage_model: "unbound",
          limits: { cpu_ms: 50 },
          logpush: true,
          observability: { enabled: true, head_sampling_rate: 0.5 },
          placement: { mode: "smart" },
          tail_consumers: [{ service: "tail" }],
          migrations: { new_tag: "v1", new_classes: ["DO"] },
        },
        { "worker.mjs": { content: `${WORKER_JS}export class DO {}\n` } },
      ),
    );
    expect(r.body.result).toMatchObject({
      usage_model: "unbound",
      logpush: true,
      placement: { mode: "smart" },
      tail_consumers: [{ service: "tail" }],
      migration_tag: "v1",
    });
    const settings = await scriptsApi().settings.get("meta", p);
    expect(settings).toMatchObject({ limits: { cpu_ms: 50 }, observability: { enabled: true, head_sampling_rate: 0.5 } });
    const mismatch = await put("meta", scriptForm({ main_module: "worker.mjs", migrations: { old_tag: "v0", new_tag: "v2" } }));
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.errors).toEqual([{ code: 10079, message: "Migration tag precondition failed; current tag is v1" }]);
  });

  test("etag changes with content, not with a secret; created_on is kept, tag is immutable", async () => {
    const a = (await put("etag", scriptForm({ main_module: "worker.mjs" }))).body.result;
    const same = (await put("etag", scriptForm({ main_module: "worker.mjs" }))).body.result;
    expect(same.etag).toBe(a.etag);
    await scriptsApi().secrets.update("etag", { ...p, name: "K", text: "v", type: "secret_text" });
    expect((await scriptsApi().get("etag", p)).script!.etag).toBe(a.etag);
    const b = (await put("etag", scriptForm({ main_module: "worker.mjs" }, { "worker.mjs": { content: `${WORKER_JS}// changed\n` } }))).body
      .result;
    expect(b.etag).not.toBe(a.etag);
    expect(b.tag).toBe(a.tag);
    expect(b.created_on).toBe(a.created_on);
  });

  test("legacy service-worker body (application/javascript) is accepted", async () => {
    const r = await h.api("PUT", path("sw"), {
      body: 'addEventListener("fetch", e => e.respondWith(new Response("hi")))',
      headers: { "content-type": "application/javascript" },
    });
    expect(r.status).toBe(200);
    expect(r.body.result.has_modules).toBe(false);
  });

  test("concurrent uploads of one script never corrupt state", async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        put("race", scriptForm({ main_module: "worker.mjs", bindings: [{ name: `B${i}`, type: "plain_text", text: String(i) }] })),
      ),
    );
    expect(results.every((r) => r.status === 200)).toBe(true);
    const s = (await state()).scripts.race;
    expect(s.bindings).toHaveLength(1);
    expect((await h.api("GET", path("race"))).body.result.script.tag).toBe(results[0]!.body.result.tag);
  });
});

describe("script details, list, delete", () => {
  test("GET details through the SDK; missing → 404 10092 (what wrangler's namespace probe reads as new)", async () => {
    await put("details", scriptForm({ main_module: "worker.mjs" }));
    const s = await scriptsApi().get("details", p);
    expect(s.dispatch_namespace).toBe(NS);
    expect(s.script).toMatchObject({ id: "details", has_modules: true, has_assets: false });
    const err = (await scriptsApi()
      .get("no-such-script", p)
      .catch((e: unknown) => e)) as InstanceType<typeof Cloudflare.APIError>;
    expect(err).toBeInstanceOf(Cloudflare.NotFoundError);
    expect(err.errors[0]!.code).toBe(10092);
  });

  test("list with tags filter, limit and cursor; bulk delete by tag", async () => {
    const ns = uniq("list");
    await h.api("POST", "/dispatch/namespaces", { json: { name: ns } });
    const up = (name: string, tags: string[]) =>
      h.api("PUT", `/dispatch/namespaces/${ns}/scripts/${name}`, { body: scriptForm({ main_module: "worker.mjs", tags }) });
    await up("a1", ["cust-1", "prod"]);
    await up("a2", ["cust-1"]);
    await up("a3", ["cust-1", "prod"]);
    await up("b1", ["cust-2", "prod"]);
    const list = async (q: string) => (await h.api("GET", `/dispatch/namespaces/${ns}/scripts${q}`)).body;
    const names = (b: any) => b.result.map((i: any) => i.script.id);
    expect(names(await list(""))).toEqual(["a1", "a2", "a3", "b1"]);
    expect(names(await list("?tags=cust-1:yes,prod:yes"))).toEqual(["a1", "a3"]);
    expect(names(await list("?tags=prod:no"))).toEqual(["a2"]);
    const page1 = await list("?tags=cust-1:yes&limit=2");
    expect(names(page1)).toEqual(["a1", "a2"]);
    expect(page1.result_info.cursor).not.toBe("");
    const page2 = await list(`?tags=cust-1:yes&limit=2&cursor=${page1.result_info.cursor}`);
    expect(names(page2)).toEqual(["a3"]);
    expect(page2.result_info.cursor).toBe("");
    expect(page2.result[0]).toMatchObject({ dispatch_namespace: ns, script: { id: "a3", tags: ["cust-1", "prod"] } });

    const bad = await h.api("GET", `/dispatch/namespaces/${ns}/scripts?tags=prod:maybe`);
    expect(bad.status).toBe(400);

    const a1tag = page1.result[0].script.tag;
    const del = await h.api("DELETE", `/dispatch/namespaces/${ns}/scripts?tags=cust-1:yes&limit=2`);
    expect(del.status).toBe(200);
    expect(del.body.result).toEqual({
      deleted: [{ id: a1tag }, { id: expect.stringMatching(/^[0-9a-f]{32}$/) }],
      deleted_count: 2,
      has_more: true,
    });
    const del2 = await h.api("DELETE", `/dispatch/namespaces/${ns}/scripts?tags=cust-1:yes`);
    expect(del2.body.result).toMatchObject({ deleted_count: 1, has_more: false });
    expect(names(await list(""))).toEqual(["b1"]);
  });

  test("DELETE through the SDK; referenced scripts (a Durable Object binding, a namespaced tail consumer) need force", async () => {
    await put("callee", scriptForm({ main_module: "worker.mjs" }));
    const caller = await put(
      "caller",
      scriptForm({
        main_module: "worker.mjs",
        bindings: [{ name: "DO", type: "durable_object_namespace", class_name: "C", script_name: "callee" }],
        tail_consumers: [{ service: "callee", namespace: NS }],
      }),
    );
    expect(caller.status, caller.text).toBe(200);
    const blocked = await h.api("DELETE", path("callee"));
    expect(blocked.status).toBe(400);
    expect(blocked.body.errors).toEqual([
      { code: 10082, message: `Script 'callee' is referenced by ${NS}/caller; delete with force=true to delete it anyway.` },
    ]);
    expect(await scriptsApi().delete("callee", { ...p, force: true })).toBeNull();
    expect(await scriptsApi().delete("caller", p)).toBeNull();
    const gone = await h.api("DELETE", path("caller"));
    expect(gone.status).toBe(404);
    expect(envelopeCodes(gone.body)).toEqual([10092]);
  });
});

describe("content", () => {
  test("GET returns one part per module with cf-entrypoint; PUT replaces only the code", async () => {
    await put(
      "content",
      scriptForm(
        { main_module: "worker.mjs", bindings: [{ name: "V", type: "plain_text", text: "x" }], tags: ["keep"] },
        {
          "worker.mjs": { content: WORKER_JS },
          "lib.mjs": { content: "export const x = 1;" },
        },
      ),
    );
    const res = await scriptsApi().content.get("content", p);
    expect(res.headers.get("cf-entrypoint")).toBe("worker.mjs");
    const fd = await res.formData();
    expect([...fd.keys()]).toEqual(["worker.mjs", "lib.mjs"]);
    const lib = fd.get("lib.mjs") as File;
    expect(await lib.text()).toBe("export const x = 1;");
    expect(lib.type).toBe("application/javascript+module");

    const before = (await h.api("GET", path("content"))).body.result.script;
    const form = new FormData();
    form.append("metadata", new Blob([JSON.stringify({ main_module: "new.mjs" })], { type: "application/json" }), "metadata.json");
    form.append(
      "new.mjs",
      new Blob(["export default { fetch() { return new Response('new'); } };"], { type: "application/javascript+module" }),
      "new.mjs",
    );
    const r = await h.api("PUT", path("content", "/content"), { body: form });
    expect(r.status).toBe(200);
    expect(r.body.result.etag).not.toBe(before.etag);
    expect(r.body.result.tags).toEqual(["keep"]);
    expect((await scriptsApi().bindings.get("content", p)).result).toEqual([{ name: "V", type: "plain_text", text: "x" }]);
    const after = await (await scriptsApi().content.get("content", p)).formData();
    expect([...after.keys()]).toEqual(["new.mjs"]);

    const viaHeader = new FormData();
    viaHeader.append("h.mjs", new Blob([WORKER_JS], { type: "application/javascript+module" }), "h.mjs");
    const r2 = await h.api("PUT", path("content", "/content"), { body: viaHeader, headers: { "CF-WORKER-MAIN-MODULE-PART": "h.mjs" } });
    expect(r2.status).toBe(200);
    expect((await state()).scripts.content.main_module).toBe("h.mjs");
    expect((await h.api("GET", path("missing", "/content"))).status).toBe(404);
  });
});

describe("settings", () => {
  test("GET through the SDK; PATCH with a settings part changes only the named keys", async () => {
    await put(
      "set",
      scriptForm({
        main_module: "worker.mjs",
        bindings: [
          { name: "S", type: "secret_text", text: "hidden" },
          { name: "V", type: "plain_text", text: "1" },
        ],
        tags: ["t"],
      }),
    );
    const s = await scriptsApi().settings.get("set", p);
    expect(s.bindings).toEqual([
      { name: "S", type: "secret_text" },
      { name: "V", type: "plain_text", text: "1" },
    ]);
    const form = new FormData();
    form.append(
      "settings",
      new Blob(
        [
          JSON.stringify({
            logpush: true,
            bindings: [
              { name: "S", type: "inherit" },
              { name: "W", type: "json", json: { a: 1 } },
            ],
          }),
        ],
        { type: "application/json" },
      ),
      "settings",
    );
    const r = await h.api("PATCH", path("set", "/settings"), { body: form });
    expect(r.status).toBe(200);
    expect(r.body.result).toMatchObject({
      logpush: true,
      tags: ["t"],
      bindings: [
        { name: "S", type: "secret_text" },
        { name: "W", type: "json", json: { a: 1 } },
      ],
    });
    expect((await state()).scripts.set.secrets).toEqual(["S"]);

    const noPart = new FormData();
    noPart.append("other", "x");
    const missing = await h.api("PATCH", path("set", "/settings"), { body: noPart });
    expect(missing.status).toBe(400);
    expect(envelopeCodes(missing.body)).toEqual([10201]);

    const badSecret = new FormData();
    badSecret.append(
      "settings",
      new Blob([JSON.stringify({ bindings: [{ name: "X", type: "secret_text" }] })], { type: "application/json" }),
      "settings",
    );
    expect10021(await h.api("PATCH", path("set", "/settings"), { body: badSecret }));
  });

  test("SDK 7.x settings.edit (bracket-flattened) → 400 10201", async () => {
    await put("set7", scriptForm({ main_module: "worker.mjs" }));
    const err = (await scriptsApi()
      .settings.edit("set7", { ...p, settings: { logpush: true } })
      .catch((e: unknown) => e)) as InstanceType<typeof Cloudflare.APIError>;
    expect(err).toBeInstanceOf(Cloudflare.BadRequestError);
    expect(err.errors[0]!.code).toBe(10201);
  });
});

describe("tags", () => {
  test("GET/PUT through the SDK; single PUT/DELETE; limits 100103, 100102, 100134", async () => {
    await put("tags", scriptForm({ main_module: "worker.mjs" }));
    const replaced: string[] = [];
    for await (const t of scriptsApi().tags.update("tags", { ...p, body: ["x", "y"] })) replaced.push(t);
    expect(replaced).toEqual(["x", "y"]);
    expect((await h.api("PUT", path("tags", "/tags/z"))).body).toMatchObject({ success: true, result: null });
    expect((await h.api("PUT", path("tags", "/tags/z"))).status).toBe(200);
    const listed: string[] = [];
    for await (const t of scriptsApi().tags.list("tags", p)) listed.push(t);
    expect(listed).toEqual(["x", "y", "z"]);
    expect(await scriptsApi().tags.delete("y", { ...p, script_name: "tags" })).toBeNull();
    expect((await h.api("DELETE", path("tags", "/tags/absent"))).status).toBe(200);
    expect((await h.api("GET", path("tags", "/tags"))).body.result).toEqual(["x", "z"]);

    const nine = Array.from({ length: 9 }, (_, i) => `t${i}`);
    expect(envelopeCodes((await h.api("PUT", path("tags", "/tags"), { json: nine })).body)).toEqual([100103]);
    expect(envelopeCodes((await h.api("PUT", path("tags", "/tags"), { json: ["x".repeat(1025)] })).body)).toEqual([100102]);
    expect(envelopeCodes((await h.api("PUT", path("tags", "/tags"), { json: ["a,b"] })).body)).toEqual([100134]);
    expect(envelopeCodes((await h.api("PUT", path("tags", "/tags/a%26b"))).body)).toEqual([100134]);
    await h.api("PUT", path("tags", "/tags"), { json: nine.slice(0, 8) });
    expect(envelopeCodes((await h.api("PUT", path("tags", "/tags/one-more"))).body)).toEqual([100103]);
    expect((await h.api("PUT", path("tags", "/tags"), { json: null })).body.result).toEqual([]);
    expect((await h.api("PUT", path("tags", "/tags"), { body: "[", headers: { "content-type": "application/json" } })).status).toBe(400);
  });
});

describe("secrets", () => {
  test("PUT upserts, list and GET never return values, DELETE; missing → 10056", async () => {
    await put("sec", scriptForm({ main_module: "worker.mjs" }));
    const secrets = scriptsApi().secrets;
    expect(await secrets.update("sec", { ...p, name: "API_KEY", text: "value-1", type: "secret_text" })).toEqual({
      name: "API_KEY",
      type: "secret_text",
    });
    expect(await secrets.update("sec", { ...p, name: "API_KEY", text: "value-2", type: "secret_text" })).toEqual({
      name: "API_KEY",
      type: "secret_text",
    });
    const listed = [];
    for await (const s of secrets.list("sec", p)) listed.push(s);
    expect(listed).toEqual([{ name: "API_KEY", type: "secret_text" }]);
    const one = await secrets.get("API_KEY", { ...p, script_name: "sec" });
    expect(one).toEqual({ name: "API_KEY", type: "secret_text" });
    expect(JSON.stringify(one)).not.toContain("value-");
    expect(await secrets.delete("API_KEY", { ...p, script_name: "sec" })).toBeNull();
    for (const call of [secrets.get("API_KEY", { ...p, script_name: "sec" }), secrets.delete("API_KEY", { ...p, script_name: "sec" })]) {
      const err = (await call.catch((e: unknown) => e)) as InstanceType<typeof Cloudflare.APIError>;
      expect(err).toBeInstanceOf(Cloudflare.NotFoundError);
      expect(err.errors[0]!.code).toBe(10056);
    }
    const noText = await h.api("PUT", path("sec", "/secrets"), { json: { name: "X", type: "secret_text" } });
    expect10021(noText);
    const missingScript = await h.api("PUT", path("nope", "/secrets"), { json: { name: "X", text: "y", type: "secret_text" } });
    expect(missingScript.status).toBe(404);
    expect(envelopeCodes(missingScript.body)).toEqual([10092]);
  });

  test("secrets-bulk PATCH merges", async () => {
    await put("bulk", scriptForm({ main_module: "worker.mjs", bindings: [{ name: "A", type: "secret_text", text: "a" }] }));
    const r = await h.api("PATCH", path("bulk", "/secrets-bulk"), {
      json: { secrets: { A: null, B: { type: "secret_text", text: "b" } } },
    });
    expect(r.status).toBe(200);
    expect(r.body.result).toEqual({ B: { name: "B", type: "secret_text" } });
    expect((await state()).scripts.bulk.secrets).toEqual(["B"]);
  });
});
