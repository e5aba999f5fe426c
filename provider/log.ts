/**
 * Logging from inside the dynamic provider process, shown by `pulumi up` as info/warning lines.
 * Callers pass resource names, counts and API error codes only: never credentials or values.
 */
import * as pulumi from "@pulumi/pulumi";

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
}

/**
 * The dynamic provider host receives the engine address as an argument but does not hand it to `pulumi.log`,
 * which then prints to stdout where the engine ignores it. Point the SDK at it. The address is the argument of
 * the form host:port: verbose runs pass flags (`-v=9`, `--logtostderr`) before it.
 */
function connectToEngine(): void {
  if (process.env.PULUMI_NODEJS_ENGINE) return; // connected already, or by the environment
  const engineAddr = process.argv.slice(2).find((arg) => /^[\w.-]+:\d+$/.test(arg));
  if (!engineAddr) return;
  process.env.PULUMI_NODEJS_ENGINE = engineAddr;
  try {
    // The runtime store may already exist (the host reads project metadata before configure).
    const state = require("@pulumi/pulumi/runtime/state") as {
      getStore(): { settings: { options: { engineAddr?: string } } };
    };
    const options = state.getStore().settings.options;
    if (!options.engineAddr) options.engineAddr = engineAddr;
  } catch {
    // Without it, messages still reach stdout.
  }
}

/** The engine's log inside a provider host (once connected, the SDK's address stays set); stderr anywhere else. */
export const engineLog: Logger = {
  info: (message) => emit("info", message),
  warn: (message) => emit("warn", message),
};

/**
 * True in a dynamic-provider host process (Pulumi's, or this package's plugin-host wrapper around it): only there
 * does the engine read our messages.
 */
const underProviderHost = () => /dynamic-provider|plugin-host/.test(process.argv[1] ?? "");

function emit(level: "info" | "warn", message: string): void {
  if (!underProviderHost()) {
    // A library or CLI use outside the engine (offboarding, drift, scripts).
    console.error(`[${level}] ${message}`);
    return;
  }
  connectToEngine();
  void pulumi.log[level](message);
}
