/**
 * @module
 * What the package's command-line tools (wfp-tail, wfp-drift, wfp-offboard) share: arguments that do not parse
 * print the tool's help and exit 2, `--help` prints it, and a failure prints `tool: message` and exits with the
 * tool's failure code. Imports neither provider/ nor emulator/, which both use it.
 */

/** What a tool's argument parser returns: its command, a usage error, or a request for help. */
export type ParsedArgs<T> = T | { error: string } | { help: true };

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
