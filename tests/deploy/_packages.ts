// The npm packages only the tests use. They are imported by full `npm:` specifiers from the tests
// and locked in tests/deno.lock, not named in deno.json, so that deno.lock, and with it every
// production install (the Dockerfile's `deno install --frozen`, `deno task start`), holds only what
// src/main.ts imports. tests/run.sh passes TEST_LOCK to `deno install` and `deno test`.
// Not a test file itself: deno test skips `_packages.ts`.
import { join } from "node:path";
import { ROOT } from "../helpers.ts";

/** The lock file of the tests: deno.lock's packages and the test-only ones. */
export const TEST_LOCK: string = join(ROOT, "tests/deno.lock");

/** Flags for a deno subprocess that resolves test-only packages (without rewriting any lock). */
export const TEST_LOCK_FLAGS: string[] = [`--lock=${TEST_LOCK}`, "--frozen"];

/** kubernetes-models, whose modules are imported per resource kind. */
export const KUBERNETES_MODELS = "npm:kubernetes-models@5.1.0";
