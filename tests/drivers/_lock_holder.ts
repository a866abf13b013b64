// A second process for the conformance suite: opens the database given as JSON in the first
// argument the way a run does, takes its migration lock, prints "locked", and releases the lock and
// exits when its standard input closes. Not a test file itself.
import { acquireLock } from "../../src/core/lock.ts";
import type { DatabaseConfig } from "../../src/core/types.ts";
import { driverKind } from "../../src/drivers/driver.ts";

const { target, embedded, cwd } = JSON.parse(Deno.args[0]!) as {
  target: DatabaseConfig;
  embedded: boolean;
  cwd: string;
};
const kind = await driverKind(target, { embedded });
if ("skip" in kind) throw new Error(kind.skip);
const signal = new AbortController().signal;
const driver = await kind.open(target, {
  cwd,
  lockTimeoutMs: 30_000,
  signal,
  notice: () => {},
  files: [],
});
await driver.connect(10_000);
const release = await acquireLock(driver, {
  database: target.name,
  timeoutMs: 30_000,
  signal,
  onWait: () => {},
});
await Deno.stdout.write(new TextEncoder().encode("locked\n"));
for await (const _ of Deno.stdin.readable) { /* held until the parent closes our stdin */ }
await release();
await driver.close();
// As src/main.ts does: request timers (AbortSignal.timeout) would keep the process up for 30 s.
Deno.exit(0);
