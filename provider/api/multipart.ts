/**
 * The hand-built multipart body of a script upload, where SDK 7.x is broken.
 * The SDK would label the body `application/javascript`,
 * lose the boundary and bracket-flatten the fields (`metadata[main_module]`), which the API rejects
 * with 10021 / 10201. We build a `FormData` of Blobs instead, and send it through the SDK's raw
 * request method (CloudflareApi.send), which keeps its auth and our retries; fetch then sets the
 * `multipart/form-data; boundary=...` Content-Type itself.
 *
 * Wire shape (what SDK 6.x and wrangler send):
 * - `metadata`: one part, `filename="metadata.json"`, `Content-Type: application/json`, the JSON metadata;
 * - one part per module, part name and filename = the module name, Content-Type = the module type.
 */

export interface UploadModule {
  name: string;
  /** A module Content-Type, e.g. `application/javascript+module`. */
  type: string;
  content: string | Uint8Array;
}

/** The script upload body for `PUT .../scripts/{name}`. */
export function buildScriptUploadForm(metadata: Record<string, unknown>, modules: UploadModule[]): FormData {
  const form = new FormData();
  form.append("metadata", new Blob([JSON.stringify(metadata)], { type: "application/json" }), "metadata.json");
  for (const m of modules) {
    const bytes = typeof m.content === "string" ? m.content : new Uint8Array(m.content);
    form.append(m.name, new Blob([bytes], { type: m.type }), m.name);
  }
  return form;
}
