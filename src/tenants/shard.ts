// Kubernetes shards: `--shard=I/N` keeps the tenants whose stable hash of the id falls in shard I of
// N (0-based, as JOB_COMPLETION_INDEX counts), so a re-run or a retried pod takes the same tenants.

import { UsageError } from "../core/errors.ts";

/** Shard `index` of `count`. */
export interface Shard {
  index: number;
  count: number;
}

const encoder = new TextEncoder();

/** FNV-1a (32 bits) of the id's UTF-8 bytes: the same on every machine and in every version. */
export function tenantHash(id: string): number {
  let h = 0x811c9dc5;
  for (const b of encoder.encode(id)) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** The shard (0-based) a tenant belongs to among `count`. */
export function shardOf(id: string, count: number): number {
  return tenantHash(id) % count;
}

/** Whether a tenant is in a shard. */
export function inShard(id: string, shard: Shard): boolean {
  return shardOf(id, shard.count) === shard.index;
}

function wholeNumber(text: string | undefined): number | null {
  if (text === undefined || !/^\s*\d+\s*$/.test(text)) return null;
  return Number(text);
}

/**
 * Reads `--shard`: `I/N` (0 ≤ I < N), or `auto`: I from JOB_COMPLETION_INDEX (an Indexed Job's pod)
 * and N from DB_MIGRATE_SHARDS. A bad value is a UsageError (exit 2).
 */
export function parseShard(value: string, env: (name: string) => string | undefined): Shard {
  if (value.trim() === "auto") {
    const index = wholeNumber(env("JOB_COMPLETION_INDEX"));
    const count = wholeNumber(env("DB_MIGRATE_SHARDS"));
    if (index === null) {
      throw new UsageError(
        "--shard=auto needs JOB_COMPLETION_INDEX (set by Kubernetes in an Indexed Job), a whole " +
          `number; it is ${JSON.stringify(env("JOB_COMPLETION_INDEX") ?? null)}`,
      );
    }
    if (count === null || count < 1) {
      throw new UsageError(
        "--shard=auto needs DB_MIGRATE_SHARDS, the number of shards (the Job's completions); it is " +
          JSON.stringify(env("DB_MIGRATE_SHARDS") ?? null),
      );
    }
    return check(index, count, `JOB_COMPLETION_INDEX=${index}, DB_MIGRATE_SHARDS=${count}`);
  }
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  if (!m) throw new UsageError(`--shard takes I/N (shard I of N, from 0) or auto, not "${value}"`);
  return check(Number(m[1]), Number(m[2]), value);
}

function check(index: number, count: number, said: string): Shard {
  if (count < 1 || index >= count) {
    throw new UsageError(
      `--shard: shard ${index} of ${count} does not exist (${said}); I runs from 0 to N-1`,
    );
  }
  return { index, count };
}
