/**
 * `node --require pulumi-cloudflare-wfp/preload`, for the program's Node process (Pulumi.yaml:
 * `runtime.options.nodeargs`): Node's compile cache and @pulumi/pulumi's modules for features such a program does
 * not use loaded on first use (lazy-pulumi-modules.ts), from before @pulumi/pulumi loads, which saves about a second
 * of every command; and promise stacks without frames (promise-stacks.ts), which saves milliseconds per resource.
 */
import { enableCompileCache } from "./compile-cache";
import "./lazy-pulumi-modules";
import "./promise-stacks";

enableCompileCache("program");
