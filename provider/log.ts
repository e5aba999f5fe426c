/**
 * Logging from inside the dynamic provider process, shown by `pulumi up` as info/warning lines.
 * Callers pass resource names, counts and API error codes only: never credentials or values.
 */
import * as pulumi from "@pulumi/pulumi";

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
}

let connected = false;

/**
 * The dynamic provider host receives the engine address as its first argument but does not hand it
 * to `pulumi.log`, which then prints to stdout where the engine ignores it. Point the SDK at it.
 */
function connectToEngine(): void {
  if (connected) return;
  connected = true;
  const hostScript = process.argv[1] ?? "";
  const engineAddr = process.argv[2];
  if (!hostScript.includes("dynamic-provider") || !engineAddr || process.env.PULUMI_NODEJS_ENGINE) return;
  process.env.PULUMI_NODEJS_ENGINE = engineAddr;
  try {
    // The runtime store may already exist (the host reads project metadata before configure).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const state = require("@pulumi/pulumi/runtime/state") as {
      getStore(): { settings: { options: { engineAddr?: string } } };
    };
    const options = state.getStore().settings.options;
    if (!options.engineAddr) options.engineAddr = engineAddr;
  } catch {
    // Without it, messages still reach stdout.
  }
}

export const log: Logger = {
  info: (message) => emit("info", message),
  warn: (message) => emit("warn", message),
};

function emit(level: "info" | "warn", message: string): void {
  if (process.env.VITEST) {
    if (process.env.WFP_LOG_CONSOLE) console.error(`[${level}] ${message}`);
    return;
  }
  connectToEngine();
  void pulumi.log[level](message);
}
