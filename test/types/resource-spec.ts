/**
 * Compile-time tests of resourceSpec, run by `tsc -p tsconfig.json` (the build of every test run): each
 * `@ts-expect-error` fails the build when the spec it marks starts to compile.
 */
import { resourceSpec } from "../../provider/resources/resource-kit";

interface Args {
  name: string;
  accountId?: string;
}

export const complete = resourceSpec<Args>()({ kind: "Worker", inputs: ["name", "accountId"], outputs: [] });

// @ts-expect-error a key Args does not have
export const unknownKey = resourceSpec<Args>()({ kind: "Worker", inputs: ["name", "accountId", "acountId"], outputs: [] });

// @ts-expect-error a key of Args left out asks for an argument typed as that key
export const missingKey = resourceSpec<Args>()({ kind: "Worker", inputs: ["name"], outputs: [] });
export const missingKeyNamed = resourceSpec<Args>()({ kind: "Worker", inputs: ["name"], outputs: [] }, "accountId");
// @ts-expect-error the argument names the one missing key, not another
export const missingKeyMisnamed = resourceSpec<Args>()({ kind: "Worker", inputs: ["name"], outputs: [] }, "name");
