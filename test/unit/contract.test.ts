/**
 * The emulator models Cloudflare on its own (it must not import the provider), so nothing forces its tables and the
 * provider's to agree. This contract does: the name rules, limits, enumerations and error codes both sides act on.
 */
import { describe, expect, test } from "vitest";
import { Codes } from "../../emulator/model/errors";
import * as emulatorLimits from "../../emulator/model/limits";
import {
  HTML_HANDLING as EMU_HTML_HANDLING,
  MODULE_TYPES as EMU_MODULE_TYPES,
  NOT_FOUND_HANDLING as EMU_NOT_FOUND_HANDLING,
  USAGE_MODELS as EMU_USAGE_MODELS,
} from "../../emulator/model/upload";
import { CODES } from "../../provider/api/errors";
import { HTML_HANDLING, NOT_FOUND_HANDLING } from "../../provider/assets/serving-config";
import { hashAssetBytes } from "../../provider/assets/hash";
import { DEFAULT_MAX_FILES, FREE_PLAN_MAX_FILES, MAX_ASSET_SIZE_BYTES, MAX_FILES_CEILING } from "../../provider/assets/manifest";
import { MODULE_TYPES } from "../../provider/resources/script/modules";
import { USAGE_MODELS } from "../../provider/resources/script/settings";
import { MAX_TAG_LENGTH, MAX_TAGS, NAMESPACE_NAME_RE, SCRIPT_NAME_RE } from "../../provider/validation";

const same = (a: RegExp, b: RegExp) => expect({ source: a.source, flags: a.flags }).toEqual({ source: b.source, flags: b.flags });

describe("name rules", () => {
  test("namespace and script names: the same regular expressions", () => {
    same(emulatorLimits.NAMESPACE_NAME_RE, NAMESPACE_NAME_RE);
    same(emulatorLimits.SCRIPT_NAME_RE, SCRIPT_NAME_RE);
  });

  // Object.prototype's names are valid names on both sides: the emulator keys them in prototype-free maps.
  test.each([
    "a",
    "tenant-1",
    "a".repeat(63),
    "Upper",
    "-lead",
    "a".repeat(64),
    "under_score",
    "_x",
    "has space",
    "constructor",
    "__proto__",
  ])("both sides agree on %j", (name) => {
    expect(emulatorLimits.NAMESPACE_NAME_RE.test(name)).toBe(NAMESPACE_NAME_RE.test(name));
    expect(emulatorLimits.SCRIPT_NAME_RE.test(name)).toBe(SCRIPT_NAME_RE.test(name));
  });
});

describe("limits", () => {
  test("tags per script and tag length", () => {
    expect(emulatorLimits.DEFAULT_MAX_TAGS_PER_SCRIPT).toBe(MAX_TAGS);
    expect(emulatorLimits.MAX_TAG_LENGTH_CHARS).toBe(MAX_TAG_LENGTH);
  });

  test("asset size, and the provider's asset hashes are what the emulator accepts", () => {
    expect(emulatorLimits.MAX_ASSET_SIZE_BYTES).toBe(MAX_ASSET_SIZE_BYTES);
    expect(hashAssetBytes("<h1>x</h1>", "/index.html", "salt")).toMatch(emulatorLimits.ASSET_HASH_RE);
  });

  test("files per manifest: both default to Workers Paid's, and agree on Free's", () => {
    expect(DEFAULT_MAX_FILES).toBe(emulatorLimits.PLAN_LIMITS.paid.maxAssetFiles);
    expect(MAX_FILES_CEILING).toBe(emulatorLimits.PLAN_LIMITS.paid.maxAssetFiles);
    expect(FREE_PLAN_MAX_FILES).toBe(emulatorLimits.PLAN_LIMITS.free.maxAssetFiles);
  });
});

describe("enumerations", () => {
  test("every module type the provider sends is one the emulator accepts", () => {
    for (const t of MODULE_TYPES) expect(EMU_MODULE_TYPES.has(t), t).toBe(true);
  });

  test("usage models and asset config values", () => {
    expect([...USAGE_MODELS].sort()).toEqual([...EMU_USAGE_MODELS].sort());
    expect([...HTML_HANDLING].sort()).toEqual([...EMU_HTML_HANDLING].sort());
    expect([...NOT_FOUND_HANDLING].sort()).toEqual([...EMU_NOT_FOUND_HANDLING].sort());
  });
});

describe("error codes", () => {
  test("the codes the provider reads as 'absent' or 'exists' are the ones the emulator sends", () => {
    expect(CODES.namespaceNotFound).toBe(Codes.NAMESPACE_NOT_FOUND);
    expect(CODES.namespaceExists).toBe(Codes.NAMESPACE_EXISTS);
    expect(CODES.secretNotFound).toBe(Codes.SECRET_NOT_FOUND);
    // A missing script: 10092 on namespace paths, 10007 on account-level paths; the provider must read both as absent.
    expect(CODES.scriptNotFound).toContain(Codes.ENVIRONMENT_NOT_FOUND);
    expect(CODES.scriptNotFound).toContain(Codes.SCRIPT_NOT_FOUND);
  });
});

describe("cron triggers", () => {
  test("both parsers take and refuse the same expressions, for the same reason, and share the limit", async () => {
    const provider = await import("../../provider/cron");
    const emulator = await import("../../emulator/model/cron");
    expect(emulator.MAX_CRONS).toBe(provider.MAX_CRONS);
    const expressions = ["* * * * *", "*/30 1-5 * jan-mar sun", "0 18 * * 6L", "59 23 LW * *", "0 9 * * 2#1", "0 12 15W * *"];
    const bad = ["* * * *", "60 * * * *", "* * * * 0", "* * 0 * *", "*/0 * * * *", "5-1 * * * *", "* * * * 2#6", "x * * * *"];
    for (const e of [...expressions, ...bad]) {
      const [p, m] = [provider.parseCron(e), emulator.parseCron(e)];
      expect(p instanceof Error ? p.message : "ok", e).toBe(m instanceof Error ? m.message : "ok");
      expect(p instanceof Error, e).toBe(bad.includes(e));
    }
  });
});
