/**
 * The dispatch namespace a tenant's resource names is looked up at check (so at preview), read-only: a typo fails
 * there, on `namespace`; a namespace the program declares in the run passes; an unchanged one costs no call, and a
 * run lists each namespace once, the list a create's ownership check then takes.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { UNKNOWN } from "../../provider/validation";
import { tempDir } from "../helpers/files";
import { useEmulator } from "../helpers/provider";

const NS = "tenants";
const emu = useEmulator({ namespaces: [NS, "staging"] });
const { DispatchNamespace, ScriptSecret, StaticAssets, Tenant, UserScript } = emu.providers;
const site = tempDir("namespace-check-site");
beforeAll(() => writeFileSync(join(site, "index.html"), "<h1>hi</h1>"));

const code = { modules: [{ name: "index.js", content: "export default { fetch() { return new Response('a') } }" }] };
/** Each kind that names a namespace, with valid inputs in `namespace`. */
const kinds = (namespace: string) =>
  [
    [UserScript, { namespace, name: "acme", compatibilityDate: "2025-06-01", ...code }],
    [Tenant, { namespace, tenantId: "acme", compatibilityDate: "2025-06-01", secrets: { KEY: "v" }, ...code }],
    [StaticAssets, { namespace, scriptName: "acme", directory: site }],
    [ScriptSecret, { namespace, scriptName: "acme", name: "OTHER", text: "v" }],
  ] as const;
const failures = async (p: (typeof kinds)[number][0], news: object, olds: object = {}) => (await p.check!(olds, news)).failures;
const calls = async () => (await emu.journal()).map((e) => `${e.method} ${e.path.replace(/.*\/workers/, "")}`);

describe("a tenant's dispatch namespace is looked up at check, before anything is written", () => {
  it("a namespace the account lacks fails on namespace, naming the near miss and the account's namespaces", async () => {
    for (const [p, news] of kinds("tenatns"))
      expect(await failures(p, news)).toEqual([
        {
          property: "namespace",
          reason:
            'names no dispatch namespace of the account ("tenatns"); did you mean tenants?; the account\'s dispatch ' +
            "namespaces: staging, tenants. Create it first, or, when this program creates it, pass that " +
            "DispatchNamespace's name output (namespace.name)",
        },
      ]);
    expect(await emu.writes()).toEqual([]);
  });

  it("a namespace the program declares in the run, or not known yet, is not looked up", async () => {
    emu.newRun({ shareReads: true });
    expect((await DispatchNamespace.check!({}, { name: "fresh" })).failures).toEqual([]);
    await emu.clearJournal();
    for (const [p, news] of [...kinds("fresh"), ...kinds(UNKNOWN)]) expect(await failures(p, news)).toEqual([]);
    expect(await emu.journal()).toEqual([]);
  });

  it("an unchanged namespace costs no call; a run lists each namespace once, and a create takes that list", async () => {
    for (const [p, news] of kinds(NS)) {
      const inputs = (await p.check!({}, news)).inputs;
      await emu.clearJournal();
      expect(await failures(p, news, inputs)).toEqual([]);
      expect(await emu.journal()).toEqual([]);
    }

    emu.newRun({ shareReads: true });
    for (const [p, news] of [...kinds(NS), ...kinds("staging")]) expect(await failures(p, news)).toEqual([]);
    expect(await calls()).toEqual([`GET /dispatch/namespaces/${NS}/scripts`, "GET /dispatch/namespaces/staging/scripts"]);
    await emu.clearJournal();
    const [, tenant] = kinds(NS)[1];
    await Tenant.create((await Tenant.check!({}, { ...tenant, tenantId: "beta" })).inputs);
    expect(await calls()).toEqual([`PUT /dispatch/namespaces/${NS}/scripts/beta`]);
  });
});
