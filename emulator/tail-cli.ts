#!/usr/bin/env node
/**
 * @module
 * `wfp-tail`: a live tail of the emulator's Workers, as `wrangler tail` gives one of Cloudflare's: each invocation
 * as it finishes, from the emulator's `/__emulator/tail`.
 */
import { oneOf, parseToolArgs, runCommand } from "../cli/command";
import { formatEvent, type TailEvent } from "./runtime/tail";

export const TAIL_HELP = `Usage: wfp-tail [--url URL] [--script S] [--tenant T] [--namespace N] [--format json|pretty]

Streams the invocations of the Workers the emulator runs (started with --workers-port): each request or cron
run as it finishes, with its outcome, its console output and its exceptions, in Cloudflare's tail event shape.
Credentials and sensitive headers are redacted, and so are the Worker's secret values wherever they appear.

Options:
  --url URL        the emulator (default: $WFP_EMULATOR_URL, else http://127.0.0.1:8787)
  --script S       only this Worker (an account-level Worker's or a user Worker's script name)
  --tenant T       only the user Worker T (a tenant's script), in any namespace
  --namespace N    only user Workers of the dispatch namespace N
  --format F       pretty (default: a line per invocation, then its logs) or json (one event a line)
  -h, --help       print this help

Credentials: none. The tail answers loopback callers only, like every /__emulator endpoint; no token
(CLOUDFLARE_API_TOKEN) is read or sent. Environment: WFP_EMULATOR_URL (see --url).

Exit codes: 0 stopped by Ctrl-C or the emulator closed the stream, 1 the emulator could not be reached or
refused, 2 bad arguments.
`;

export type TailCommand =
  | { help: true }
  | { help: false; url: string; format: "json" | "pretty"; filter: Record<string, string> }
  | { error: string };

/** Parses the arguments; never throws. */
export function parseTailArgs(argv: string[], env: Record<string, string | undefined> = process.env): TailCommand {
  const options = {
    url: { type: "string" },
    script: { type: "string" },
    tenant: { type: "string" },
    namespace: { type: "string" },
    format: { type: "string", default: "pretty" },
  } as const;
  return parseToolArgs(argv, options, (values) => {
    const format = oneOf("--format", values.format, ["json", "pretty"] as const);
    if (typeof format === "object") return format;
    const url = values.url ?? env.WFP_EMULATOR_URL ?? "http://127.0.0.1:8787";
    if (!/^https?:\/\//.test(url)) return { error: `--url must be an http(s) URL, not ${JSON.stringify(url)}` };
    const filter: Record<string, string> = {};
    for (const k of ["script", "tenant", "namespace"] as const) if (values[k] !== undefined) filter[k] = values[k];
    return { help: false, url: url.replace(/\/+$/, ""), format, filter };
  });
}

/** Streams events to `write` until the stream ends; throws when the emulator cannot be reached or refuses. */
export async function tail(
  command: Extract<TailCommand, { help: false }>,
  write: (text: string) => void,
  signal?: AbortSignal,
): Promise<void> {
  const url = `${command.url}/__emulator/tail?${new URLSearchParams(command.filter)}`;
  const res = await fetch(url, { signal });
  if (!res.ok || !res.body) throw new Error(`${url}: HTTP ${res.status} ${(await res.text()).trim()}`);
  let buffered = "";
  const decoder = new TextDecoder();
  for await (const chunk of res.body) {
    buffered += decoder.decode(chunk as Uint8Array, { stream: true });
    const lines = buffered.split("\n");
    buffered = lines.pop()!;
    for (const line of lines) {
      if (line.trim() === "") continue;
      if (command.format === "json") write(`${line}\n`);
      else for (const l of formatEvent(JSON.parse(line) as TailEvent)) write(`${l}\n`);
    }
  }
}

async function follow(command: Extract<TailCommand, { help: false }>): Promise<void> {
  const controller = new AbortController();
  process.once("SIGINT", () => controller.abort());
  process.once("SIGTERM", () => controller.abort());
  process.stderr.write(`wfp-tail: tailing ${command.url} (Ctrl-C stops)\n`);
  try {
    await tail(command, (text) => process.stdout.write(text), controller.signal);
  } catch (error) {
    if (controller.signal.aborted) return;
    throw error;
  }
}

if (require.main === module) {
  runCommand({ name: "wfp-tail", help: TAIL_HELP, failureExitCode: 1 }, parseTailArgs(process.argv.slice(2)), follow);
}
