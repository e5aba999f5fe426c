"use strict";
/**
 * @module
 * Path patterns in the syntax of URLPattern's pathname (the subset the emulator needs), without the global
 * `URLPattern`, which Node has only from version 24: `*` matches any characters, slashes too; `:name` one segment
 * (or `:name(regex)`); `(regex)` a group; `\` escapes a character; anything else matches itself. The pattern
 * matches the whole path.
 */
Object.defineProperty(exports, "__esModule", { value: true });
exports.compilePattern = compilePattern;
const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
/** The regular-expression group that starts at `s[start]` (an opening parenthesis): its body and where it ends. */
function group(s, start) {
    let depth = 0;
    for (let i = start; i < s.length; i++) {
        const ch = s[i];
        if (ch === "\\")
            i++;
        else if (ch === "(")
            depth++;
        else if (ch === ")" && --depth === 0)
            return { body: s.slice(start + 1, i), end: i + 1 };
    }
    throw new Error("unbalanced parenthesis");
}
/** Compiles a pattern; throws an Error on one it cannot read (unbalanced groups, an invalid regex, `:` with no name). */
function compilePattern(pattern) {
    let re = "";
    for (let i = 0; i < pattern.length;) {
        const ch = pattern[i];
        if (ch === "*") {
            re += ".*";
            i++;
        }
        else if (ch === "\\") {
            if (i + 1 >= pattern.length)
                throw new Error("trailing backslash");
            re += escapeRe(pattern[i + 1]);
            i += 2;
        }
        else if (ch === ":") {
            const name = /^[A-Za-z_$][\w$]*/.exec(pattern.slice(i + 1));
            if (!name)
                throw new Error(`a ':' without a name at ${i}`);
            i += 1 + name[0].length;
            if (pattern[i] === "(") {
                const g = group(pattern, i);
                re += `(${g.body})`;
                i = g.end;
            }
            else
                re += "([^/]+)";
        }
        else if (ch === "(") {
            const g = group(pattern, i);
            if (g.body === "")
                throw new Error("empty group");
            re += `(${g.body})`;
            i = g.end;
        }
        else {
            re += escapeRe(ch);
            i++;
        }
    }
    const compiled = new RegExp(`^${re}$`, "u");
    return { test: (input) => compiled.test(typeof input === "string" ? input : input.pathname) };
}
