/**
 * @module
 * What becomes of workerd's stdout and stderr (Miniflare's `handleRuntimeStdio`): dropped without logs; with logs,
 * written to our stderr less workerd's noise. With tails the Workers' console output arrives with each invocation
 * (tail.ts, redacted), so only workerd's own diagnostics are left, with secret values redacted.
 */
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";

/** `redact` is given when tails carry the Workers' output. */
export function workerdOutput(logs: boolean, redact: ((line: string) => string) | undefined): (stdout: Readable, stderr: Readable) => void {
  return (stdout, stderr) => {
    for (const s of [stdout, stderr]) {
      if (!logs || (redact && s === stdout)) {
        s.resume();
        continue;
      }
      createInterface({ input: s }).on("line", (line) => {
        // workerd warns about every wrapped binding's module (a function as default export): not the user's news.
        if (line.includes("Exported actor class as default entrypoint")) return;
        if (redact && (!line.startsWith("workerd/") || line.includes("Uncaught exception"))) return;
        process.stderr.write(`${redact ? redact(line) : line}\n`);
      });
    }
  };
}
