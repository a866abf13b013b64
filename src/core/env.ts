// Reading environment variables under Deno's permissions. The container grants a fixed list
// (deno.json's permissions.container.env): a variable left out of it must say so instead of reading
// as unset, or a CA file mounted for a database would be ignored without a word.

import { ConfigError } from "./errors.ts";

/** Reads a variable; one the granted permissions leave out is a configuration error that says so. */
export function strictEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotCapable)) throw err;
    throw new ConfigError(
      "CONFIG",
      `the environment variable "${name}" may not be read: it is not in the permissions the program runs with`,
      {
        hint: `add "${name}" to permissions.container.env in deno.json and rebuild the image, ` +
          "or run with --allow-env",
      },
    );
  }
}

/** Like strictEnv, but a variable that may not be read is simply unset (for best-effort extras). */
export function optionalEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}
