/**
 * @module
 * A small multipart/form-data parser and builder. We parse by hand (rather than `Request.formData()`) because the
 * API needs what FormData loses: the Content-Type of non-file parts, part order, and repeated names.
 */
import { MAX_MULTIPART_PARTS } from "./limits";

export interface Part {
  /** The `name` of the Content-Disposition header. */
  name: string;
  /** The `filename`, when the part is a file. */
  filename?: string;
  /** The part's Content-Type header, verbatim, when present. */
  contentType?: string;
  data: Buffer;
}

/** The boundary of a `multipart/form-data` Content-Type, or undefined when it is not one. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!contentType) return undefined;
  const [type, ...params] = contentType.split(";");
  if (type!.trim().toLowerCase() !== "multipart/form-data") return undefined;
  for (const p of params) {
    const eq = p.indexOf("=");
    if (eq < 0) continue;
    if (p.slice(0, eq).trim().toLowerCase() !== "boundary") continue;
    let v = p.slice(eq + 1).trim();
    if (v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    return v || undefined;
  }
  return undefined;
}

function dispositionParam(header: string, key: string): string | undefined {
  // Matches key="quoted value" or key=token; `filename*` is not supported (no client here sends it).
  const re = new RegExp(`(?:^|;)\\s*${key}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]*))`, "i");
  const m = re.exec(header);
  if (!m) return undefined;
  return m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : m[2];
}

/**
 * Parses a multipart body in one pass (each search starts where the last ended, so the time is linear in the body,
 * whatever the number of parts or line endings). Throws an Error with a short reason when the body is not
 * well-formed or has more than `maxParts` parts.
 */
export function parseMultipart(body: Buffer, boundary: string, maxParts: number = MAX_MULTIPART_PARTS): Part[] {
  const delim = Buffer.from(`--${boundary}`);
  const lfDelim = Buffer.from(`\n--${boundary}`);
  const parts: Part[] = [];
  let pos = body.indexOf(delim);
  if (pos < 0) throw new Error("multipart boundary not found");
  for (;;) {
    pos += delim.length;
    // "--" after a delimiter ends the body.
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) break;
    if (parts.length >= maxParts) throw new Error(`more than ${maxParts} parts`);
    // Skip transport padding and the CRLF after the delimiter.
    while (body[pos] === 0x20 || body[pos] === 0x09) pos++;
    if (body[pos] === 0x0d && body[pos + 1] === 0x0a) pos += 2;
    else if (body[pos] === 0x0a) pos += 1;
    else throw new Error("malformed multipart delimiter");
    // Header lines up to the first empty one (CRLF or LF endings).
    const headers = new Map<string, string>();
    for (;;) {
      const eol = body.indexOf(0x0a, pos);
      if (eol < 0) throw new Error("multipart part without header terminator");
      const line = body.subarray(pos, body[eol - 1] === 0x0d && eol > pos ? eol - 1 : eol).toString("utf8");
      pos = eol + 1;
      if (line === "") break;
      const colon = line.indexOf(":");
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const dataStart = pos;
    // The next delimiter is preceded by CRLF (or a bare LF), which belongs to it, not to the data.
    const next = body.indexOf(lfDelim, dataStart > 0 ? dataStart - 1 : 0);
    if (next < 0) throw new Error("multipart body is truncated");
    const dataEnd = Math.max(dataStart, next > dataStart && body[next - 1] === 0x0d ? next - 1 : next);
    const disposition = headers.get("content-disposition") ?? "";
    const name = dispositionParam(disposition, "name");
    if (name === undefined) throw new Error("multipart part without a name");
    const part: Part = { name, data: body.subarray(dataStart, dataEnd) };
    const filename = dispositionParam(disposition, "filename");
    if (filename !== undefined) part.filename = filename;
    const ct = headers.get("content-type");
    if (ct !== undefined) part.contentType = ct;
    parts.push(part);
    pos = next + 1;
  }
  return parts;
}

/** The media type without parameters, lower-cased: `text/html; charset=utf-8` → `text/html`. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? "").split(";")[0]!.trim().toLowerCase();
}

/** Escapes a name or filename the way the HTML spec (and fetch) does: `"`, CR and LF percent-encoded. */
function quote(s: string): string {
  return s.replace(/"/g, "%22").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

/** Builds a multipart/form-data body; returns it with its Content-Type. */
export function buildMultipart(parts: Part[]): { body: Buffer; contentType: string } {
  const boundary = `----wfp-emulator-${Math.random().toString(16).slice(2)}${Date.now().toString(16)}`;
  const chunks: Buffer[] = [];
  for (const p of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${quote(p.name)}"`;
    if (p.filename !== undefined) head += `; filename="${quote(p.filename)}"`;
    head += "\r\n";
    if (p.contentType) head += `Content-Type: ${p.contentType}\r\n`;
    chunks.push(Buffer.from(`${head}\r\n`), p.data, Buffer.from("\r\n"));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}
