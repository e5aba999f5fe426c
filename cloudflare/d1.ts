/**
 * D1's names, limits and SQL splitting (D1 docs: Platform, Limits; the API's `d1_database-name` pattern). The
 * emulator refuses what Cloudflare refuses; a D1Database resource's check can do the same.
 */

/** A database name: a letter or digit, then letters, digits, `_` and `-` (no length limit is documented). */
export const D1_NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_-]*$/;
/** Databases per account on Workers Paid (the default; raisable on request). */
export const MAX_D1_DATABASES = 50_000;
/** Bound parameters per query. */
export const MAX_D1_PARAMS = 100;
/** An SQL statement's size in bytes. */
export const MAX_D1_STATEMENT_BYTES = 100 * 1024;
/** `primary_location_hint` values. */
export const D1_LOCATIONS = ["wnam", "enam", "weur", "eeur", "apac", "oc"] as const;
/** `jurisdiction` values. */
export const D1_JURISDICTIONS = ["eu", "fedramp", "us"] as const;

/**
 * The statements of an SQL text separated by `;`, each trimmed, empty ones dropped. A `;` inside a string, a
 * quoted identifier, a comment or a trigger's `BEGIN … END` does not separate (as wrangler splits a file it sends).
 */
export function splitSql(sql: string): string[] {
  const out: string[] = [];
  let start = 0;
  let depth = 0;
  let i = 0;
  const word = (at: number, w: string) =>
    sql.slice(at, at + w.length).toUpperCase() === w && !/\w/.test(sql[at - 1] ?? " ") && !/\w/.test(sql[at + w.length] ?? " ");
  while (i < sql.length) {
    const ch = sql[i]!;
    if (ch === "'" || ch === '"' || ch === "`" || ch === "[") {
      const close = ch === "[" ? "]" : ch;
      i++;
      while (i < sql.length && sql[i] !== close) i++;
      i++;
      continue;
    }
    if (ch === "-" && sql[i + 1] === "-") {
      while (i < sql.length && sql[i] !== "\n") i++;
      continue;
    }
    if (ch === "/" && sql[i + 1] === "*") {
      const end = sql.indexOf("*/", i + 2);
      i = end < 0 ? sql.length : end + 2;
      continue;
    }
    if (word(i, "BEGIN") && /\bCREATE\b[\s\S]*\bTRIGGER\b/i.test(sql.slice(start, i))) depth++;
    else if (word(i, "CASE") && depth > 0) depth++;
    else if (word(i, "END") && depth > 0) depth--;
    else if (ch === ";" && depth === 0) {
      out.push(sql.slice(start, i));
      start = i + 1;
    }
    i++;
  }
  out.push(sql.slice(start));
  return out.map((s) => s.trim()).filter((s) => s.replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, "").trim() !== "");
}
