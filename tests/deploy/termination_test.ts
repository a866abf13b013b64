// src/termination.ts: the Kubernetes termination message is written where it should be, fits the
// kubelet's limit, and never fails the run.
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  fitTerminationMessage,
  TERMINATION_MESSAGE_LIMIT,
  writeTerminationMessage,
} from "../../src/report/termination.ts";

const MESSAGE = JSON.stringify({ ok: true, exitCode: 0, applied: 3, skipped: 0, failed: 0 });

Deno.test("writeTerminationMessage() writes to the path DB_MIGRATE_TERMINATION_LOG names", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "termination-log");
    assert.equal(writeTerminationMessage(MESSAGE, { path }), null);
    assert.equal(await Deno.readTextFile(path), MESSAGE);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeTerminationMessage() overwrites the default file when Kubernetes mounted it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const defaultPath = join(dir, "termination-log");
    await Deno.writeTextFile(defaultPath, "an older, longer message than this one");
    assert.equal(writeTerminationMessage(MESSAGE, { defaultPath }), null);
    assert.equal(await Deno.readTextFile(defaultPath), MESSAGE);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeTerminationMessage() creates no default file outside Kubernetes and says nothing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const defaultPath = join(dir, "termination-log");
    assert.equal(writeTerminationMessage(MESSAGE, { defaultPath }), null);
    await assert.rejects(Deno.stat(defaultPath), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeTerminationMessage() returns a warning, not an error, for a path it cannot write", () => {
  const warning = writeTerminationMessage(MESSAGE, { path: "/nonexistent-dir/termination-log" });
  assert.match(warning ?? "", /^cannot write the termination message to "\/nonexistent-dir\//);
});

Deno.test("fitTerminationMessage() shortens the error so the message fits 4096 bytes", () => {
  const long = JSON.stringify({ ok: false, exitCode: 1, applied: 0, error: "é".repeat(3000) });
  const fitted = fitTerminationMessage(long);
  assert.ok(new TextEncoder().encode(fitted).length <= TERMINATION_MESSAGE_LIMIT);
  const doc = JSON.parse(fitted);
  assert.equal(doc.exitCode, 1);
  assert.match(doc.error, /^é+…$/);
  assert.equal(fitTerminationMessage(MESSAGE), MESSAGE);
});
