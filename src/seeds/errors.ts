// One constructor for every mistake found in a seed before anything is written (exit 2), so each
// message has the same shape: file, line and column first, then what is wrong, then the fix.

import { ConfigError } from "../core/errors.ts";
import type { Pos } from "./types.ts";

/** `seed "seeds/postgres/sample/020_users.yaml:12:7" of "postgres": unknown column "nmae" ...` */
export function seedError(
  where: { path: string; database: string; pos?: Pos | null },
  message: string,
  hint?: string,
): ConfigError {
  const at = where.pos ? `:${where.pos.line}:${where.pos.column}` : "";
  return new ConfigError(
    "INVALID_SEED",
    `seed "${where.path}${at}" of "${where.database}": ${message}`,
    {
      database: where.database,
      position: {
        file: where.path,
        ...(where.pos ? { line: where.pos.line, column: where.pos.column } : {}),
      },
      ...(hint === undefined ? {} : { hint }),
    },
  );
}
