import { describe, expect, it } from "vitest";
import { buildScriptUploadForm } from "../../provider/api/multipart";
import { buildSettingsForm } from "../helpers/out-of-band";

async function wire(form: FormData): Promise<{ type: string; text: string }> {
  const req = new Request("http://x/", { method: "PUT", body: form });
  return { type: req.headers.get("content-type")!, text: await req.text() };
}

describe("multipart builders", () => {
  it("script upload: a JSON metadata file part and one part per module with its type", async () => {
    const form = buildScriptUploadForm({ main_module: "index.js", keep_bindings: ["secret_text"] }, [
      { name: "index.js", type: "application/javascript+module", content: "export default {}" },
      { name: "m.wasm", type: "application/wasm", content: new Uint8Array([0, 97, 115, 109]) },
    ]);
    const { type, text } = await wire(form);
    expect(type).toMatch(/^multipart\/form-data; boundary=/);
    expect(text).toContain('name="metadata"; filename="metadata.json"\r\nContent-Type: application/json');
    expect(text).toContain('{"main_module":"index.js","keep_bindings":["secret_text"]}');
    expect(text).toContain('name="index.js"; filename="index.js"\r\nContent-Type: application/javascript+module');
    expect(text).toContain('name="m.wasm"; filename="m.wasm"\r\nContent-Type: application/wasm');
    expect(text).not.toMatch(/metadata\[/);
    const parsed = await new Request("http://x/", { method: "PUT", body: form }).formData();
    const wasm = parsed.get("m.wasm") as File;
    expect([...new Uint8Array(await wasm.arrayBuffer())]).toEqual([0, 97, 115, 109]);
  });

  it("settings (the tests' out-of-band PATCH): one part named settings", async () => {
    const { text } = await wire(buildSettingsForm({ logpush: true }));
    expect(text).toContain('name="settings"; filename="settings.json"\r\nContent-Type: application/json');
    expect(text).toContain('{"logpush":true}');
  });
});
