/**
 * Facts read from packages we did not write, to hold the Cloudflare model (cloudflare/) to them: the `cloudflare`
 * SDK's declarations, read with the TypeScript compiler, and the constants in Miniflare's bundle, read as text.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const requireHere = createRequire(import.meta.url);
const SDK_DIR = path.dirname(requireHere.resolve("cloudflare"));
/** The model's wire shapes, to compare with the SDK's. */
const WIRE = fileURLToPath(new URL("../../cloudflare/wire", import.meta.url));
/** The SDK's declarations of the API areas whose shapes the model holds. */
const SDK_MODULES = {
  scripts: "resources/workers-for-platforms/dispatch/namespaces/scripts/scripts",
  namespaces: "resources/workers-for-platforms/dispatch/namespaces/namespaces",
  kv: "resources/kv/namespaces/namespaces",
  zones: "resources/zones/zones",
  domains: "resources/workers/domains",
  routes: "resources/workers/routes",
  customHostnames: "resources/custom-hostnames/custom-hostnames",
};
const PROBE = path.join(SDK_DIR, "__probe__.ts");

/**
 * Reads type expressions over the SDK's declarations (`scripts.X`, `namespaces.X`, ...) and the model's wire
 * shapes (`wire.X`) with one compiler
 * program: `members` gives a union's string literals, `keys` an object type's property names, `docs` a property's
 * documentation.
 */
export function sdkTypes(expressions: Record<string, string>) {
  const imports = Object.entries(SDK_MODULES).map(([name, file]) => `import type * as ${name} from "./${file}";`);
  imports.push(`import type * as wire from ${JSON.stringify(WIRE)};`);
  const aliases = Object.entries(expressions).map(([name, expression]) => `export type ${name} = ${expression};`);
  const source = [...imports, ...aliases].join("\n");
  const options: ts.CompilerOptions = { strict: true, noEmit: true, skipLibCheck: true, types: [] };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.readFile = (file) => (file === PROBE ? source : readFile(file));
  host.fileExists = (file) => file === PROBE || ts.sys.fileExists(file);
  host.getSourceFile = (file, language) => (file === PROBE ? ts.createSourceFile(file, source, language) : getSourceFile(file, language));
  const program = ts.createProgram([PROBE], options, host);
  const problems = ts.getPreEmitDiagnostics(program, program.getSourceFile(PROBE));
  if (problems.length > 0) throw new Error(ts.formatDiagnostics(problems, host));
  const checker = program.getTypeChecker();
  const probe = program.getSourceFile(PROBE)!;
  const typeOf = (name: string): ts.Type => {
    const alias = probe.statements.find((s): s is ts.TypeAliasDeclaration => ts.isTypeAliasDeclaration(s) && s.name.text === name);
    if (!alias) throw new Error(`no expression named ${name}`);
    return checker.getTypeAtLocation(alias.name);
  };
  return {
    members(name: string): string[] {
      const type = typeOf(name);
      const parts = type.isUnion() ? type.types : [type];
      return parts.map((t) => {
        if (!t.isStringLiteral()) throw new Error(`${name}: ${checker.typeToString(t)} is not a string literal`);
        return t.value;
      });
    },
    keys(name: string): string[] {
      return typeOf(name)
        .getProperties()
        .map((p) => p.name);
    },
    docs(name: string, property: string): string {
      const symbol = typeOf(name).getProperty(property);
      if (!symbol) throw new Error(`${name} has no property ${property}`);
      return ts.displayPartsToString(symbol.getDocumentationComment(checker));
    },
  };
}

/** A numeric constant of Miniflare's bundle (`var NAME = 25 * 1024 * 1024;`, or a field `NAME: 512,`). */
export function miniflareConstant(name: string): number {
  const bundle = readFileSync(requireHere.resolve("miniflare"), "utf8");
  const found = new RegExp(`\\b${name}(?: =|:) ([0-9e.]+(?: \\* [0-9e.]+)*)[;,\\n]`).exec(bundle);
  if (!found) throw new Error(`Miniflare's bundle has no constant ${name}: has it been renamed?`);
  return found[1]!.split(" * ").reduce((product, factor) => product * Number(factor), 1);
}
