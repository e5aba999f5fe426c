import path from "node:path";
import { describe, expect, it } from "vitest";
import { secretConfigKey } from "../../examples/platform/secrets";
import { loadTenantsFile } from "../../examples/platform/tenants";

const tenants = loadTenantsFile(path.resolve(__dirname, "../../examples/platform/tenants.yaml"));

describe("the demo's tenant secrets", () => {
  it("npm run secret finds the config key tenants.yaml gives a tenant's secret", () => {
    expect(secretConfigKey(tenants, "globex", "STRIPE_KEY")).toEqual({ key: "globexStripeKey" });
  });

  it("says what is missing: the tenant, or the secret (with the ones it has)", () => {
    expect(secretConfigKey(tenants, "nobody", "X")).toEqual({
      problem: expect.stringMatching(/^no tenant "nobody" in tenants.yaml \(tenants: acme, globex/),
    });
    expect(secretConfigKey(tenants, "globex", "NOPE")).toEqual({
      problem: expect.stringMatching(/tenant "globex" has no secret NOPE in tenants.yaml \(it has STRIPE_KEY, WEBHOOK_SECRET\): add it/),
    });
  });
});
