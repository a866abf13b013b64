// The npm packages only the tests use. They are imported by full `npm:` specifiers from the tests
// and locked in tests/deno.lock, not named in deno.json, so that deno.lock, and with it every
// production install (the Dockerfile's `deno install --frozen`, `deno task start`), holds only what
// src/main.ts imports. tests/run.sh passes TEST_LOCK to `deno install` and `deno test`.
// Not a test file itself: deno test skips `_packages.ts`.
import { join } from "node:path";
import process from "node:process";
import { ROOT } from "../helpers.ts";

/** The lock file of the tests: deno.lock's packages and the test-only ones. */
export const TEST_LOCK: string = join(ROOT, "tests/deno.lock");

/** Flags for a deno subprocess that resolves test-only packages (without rewriting any lock). */
export const TEST_LOCK_FLAGS: string[] = [`--lock=${TEST_LOCK}`, "--frozen"];

/** kubernetes-models, whose modules are imported per resource kind. */
export const KUBERNETES_MODELS = "npm:kubernetes-models@5.1.0";

/**
 * Loads a kubernetes-models module. Its validators load ajv-formats-draft2019, whose idn-hostname
 * format calls require('punycode'), which resolves to Node's deprecated built-in module (DEP0040),
 * not to the npm package of that name beside it; every test run printed the deprecation. It is a
 * dependency's, and no later release of kubernetes-models or its validate package avoids it, so
 * deprecations are silenced while the module loads, and only then.
 */
export async function loadModel<T>(load: () => Promise<T>): Promise<T> {
  // Node's switch, which Deno's node:process honours; its types leave it out.
  const node = process as unknown as { noDeprecation?: boolean };
  const was = node.noDeprecation;
  node.noDeprecation = true;
  try {
    return await load();
  } finally {
    node.noDeprecation = was;
  }
}
