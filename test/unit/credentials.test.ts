import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { resolveCredentials, stackConfigFrom } from "../../provider/credentials";

const ACCOUNT = "0123456789abcdef0123456789abcdef";
const OTHER = "fedcba9876543210fedcba9876543210";
const saved = { ...process.env };

describe("provider configuration precedence", () => {
  beforeEach(() => {
    delete process.env.CLOUDFLARE_API_TOKEN;
    delete process.env.CLOUDFLARE_ACCOUNT_ID;
    delete process.env.CLOUDFLARE_BASE_URL;
  });
  afterEach(() => {
    process.env = { ...saved };
  });

  it("reads the environment when nothing else is set, with Cloudflare's default base URL", () => {
    process.env.CLOUDFLARE_API_TOKEN = "env-token";
    process.env.CLOUDFLARE_ACCOUNT_ID = ACCOUNT;
    expect(resolveCredentials()).toEqual({ apiToken: "env-token", accountId: ACCOUNT, baseUrl: "https://api.cloudflare.com/client/v4" });
  });

  it("prefers stack config over the environment, and resource arguments over both", () => {
    process.env.CLOUDFLARE_API_TOKEN = "env-token";
    process.env.CLOUDFLARE_ACCOUNT_ID = ACCOUNT;
    process.env.CLOUDFLARE_BASE_URL = "http://env.example/client/v4";
    const config: Record<string, string> = {
      "cloudflare:apiToken": "stack-token",
      "cloudflare:accountId": OTHER,
      "cloudflare:baseUrl": "http://stack.example/client/v4/",
    };
    const stack = stackConfigFrom({ get: (key) => config[key] });
    expect(resolveCredentials({}, stack)).toEqual({ apiToken: "stack-token", accountId: OTHER, baseUrl: "http://stack.example/client/v4" });
    expect(resolveCredentials({ accountId: ACCOUNT }, stack).accountId).toBe(ACCOUNT);
  });

  it("explains what is missing without echoing any value", () => {
    process.env.CLOUDFLARE_ACCOUNT_ID = ACCOUNT;
    expect(() => resolveCredentials()).toThrow(/cloudflare:apiToken.*CLOUDFLARE_API_TOKEN/);
    process.env.CLOUDFLARE_API_TOKEN = "tok-123456";
    process.env.CLOUDFLARE_ACCOUNT_ID = "not-an-account";
    expect(() => resolveCredentials()).toThrow(/32 lowercase hex/);
    try {
      resolveCredentials();
    } catch (error) {
      expect(String(error)).not.toContain("tok-123456");
      expect(String(error)).not.toContain("not-an-account");
    }
  });
});
