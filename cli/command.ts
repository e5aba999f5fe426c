/**
 * @module
 * What the package's command-line tools (wfp-tail, wfp-drift, wfp-offboard) share: options parsed strictly (no
 * positionals, `-h`/`--help` on every tool), arguments that do not parse print the tool's help and exit 2, `--help`
 * prints it, and a failure prints `tool: message` and exits with the tool's failure code. Imports neither provider/
 * nor emulator/, which both use it.
 */
import { type ParseArgsOptionsConfig, parseArgs } from "node:util";

/** What a tool's argument parser returns: its command, a usage error, or a request for help. */
export type ParsedArgs<T> = T | { error: string } | { help: true };

const HELP = { help: { type: "boolean", short: "h" } } as const;

type ToolConfig<O extends ParseArgsOptionsConfig> = { args: string[]; options: O & typeof HELP; strict: true; allowPositionals: false };
/** The parsed values of a tool's options, typed by them. */
export type OptionValues<O extends ParseArgsOptionsConfig> = ReturnType<typeof parseArgs<ToolConfig<O>>>["values"];

/** Parses a tool's options and hands them to `build`, which makes its command or a usage error; never throws. */
export function parseToolArgs<O extends ParseArgsOptionsConfig, T>(
  argv: string[],
  options: O,
  build: (values: OptionValues<O>) => T | { error: string },
): ParsedArgs<T> {
  let values: OptionValues<O>;
  try {
    const config: ToolConfig<O> = { args: argv, options: { ...options, ...HELP }, strict: true, allowPositionals: false };
    values = parseArgs(config).values;
  } catch (error) {
    return { error: (error as Error).message };
  }
  // The values' type is resolved per tool; here only `help` is known to be there.
  if ((values as { help?: boolean }).help) return { help: true };
  return build(values);
}

/** A flag's value when it is one of `allowed`, else the usage error naming them. */
export function oneOf<A extends string>(flag: string, value: string, allowed: readonly A[]): A | { error: string } {
  return (allowed as readonly string[]).includes(value)
    ? (value as A)
    : { error: `${flag} must be ${allowed.join(" or ")}, not ${JSON.stringify(value)}` };
}

export interface Tool {
  name: string;
  help: string;
  /** The exit code of a failed run (a usage error is always 2). */
  failureExitCode: number;
}

/** Runs `run` on the parsed command, or answers a usage error or `--help`. */
export function runCommand<T extends object>(tool: Tool, parsed: ParsedArgs<T>, run: (command: T) => Promise<void>): void {
  if ("error" in parsed) {
    process.stderr.write(`${tool.name}: ${parsed.error}\n\n${tool.help}`);
    process.exitCode = 2;
    return;
  }
  if ("help" in parsed && parsed.help === true) {
    process.stdout.write(tool.help);
    return;
  }
  run(parsed as T).catch((error: unknown) => {
    process.stderr.write(`${tool.name}: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = tool.failureExitCode;
  });
}
