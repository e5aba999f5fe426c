import path from "node:path";
import { describe, expect, it } from "vitest";
import { secretConfigKey, unsetSecretsMessage } from "../../examples/platform/secrets";
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

  it("the program's hint for unset values names the command for each, and nothing when all are set", () => {
    const message = unsetSecretsMessage(tenants, (key) => key !== "globexWebhookSecret");
    expect(message).toContain("npm run secret -- globex WEBHOOK_SECRET <value>   (sets platform:globexWebhookSecret)");
    expect(message).not.toContain("STRIPE_KEY");
    expect(unsetSecretsMessage(tenants, () => true)).toBeUndefined();
  });
});
