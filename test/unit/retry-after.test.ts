import { describe, expect, it } from "vitest";
import { parseRetryAfter, retryPolicyFromEnv, DEFAULT_RETRY_POLICY } from "../../provider/api/client";

describe("Retry-After parsing", () => {
  it("prefers retry-after-ms, then seconds, then an HTTP date", () => {
    expect(parseRetryAfter(new Headers({ "retry-after-ms": "250", "retry-after": "9" }))).toBe(250);
    expect(parseRetryAfter(new Headers({ "retry-after": "3" }))).toBe(3000);
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter(new Headers({ "retry-after": "Thu, 01 Jan 2026 00:00:05 GMT" }), now)).toBe(5000);
    expect(parseRetryAfter(new Headers({}))).toBeUndefined();
    expect(parseRetryAfter(new Headers({ "retry-after": "soon" }))).toBeUndefined();
  });

  it("takes policy overrides from the environment and ignores garbage", () => {
    const policy = retryPolicyFromEnv({ WFP_RETRY_MAX_ATTEMPTS: "3", WFP_HTTP_TIMEOUT_MS: "abc", WFP_RETRY_DEADLINE_MS: "-5" });
    expect(policy.maxAttempts).toBe(3);
    expect(policy.timeoutMs).toBe(DEFAULT_RETRY_POLICY.timeoutMs);
    expect(policy.deadlineMs).toBe(DEFAULT_RETRY_POLICY.deadlineMs);
  });
});
