import assert from "node:assert/strict";
import {
  ApplyError,
  ConfigError,
  ConnectionLostError,
  DriftError,
  InterruptedError,
  toErrorData,
} from "../../../src/core/errors.ts";

Deno.test("toErrorData() gives a failed statement's code, exit code, place and statement", () => {
  const err = new ApplyError({
    database: "postgres",
    script: "V2__two.sql",
    serverMessage: 'relation "x" does not exist (SQLSTATE 42P01)',
    line: 2,
    column: 27,
    statement: "INSERT INTO two SELECT id FROM x",
    hint: "create x first",
  });
  assert.deepEqual(toErrorData(err), {
    code: "APPLY_FAILED",
    exitCode: 1,
    message: err.message,
    database: "postgres",
    file: "V2__two.sql",
    line: 2,
    column: 27,
    statement: "INSERT INTO two SELECT id FROM x",
    hint: "create x first",
  });
});

Deno.test("toErrorData() gives a configuration error's file, line and column", () => {
  const err = new ConfigError("BAD_SQL_TEXT", "cannot read it", {
    database: "app",
    position: { file: "migrations/app/V1__a.sql", line: 3, column: 9 },
    hint: "close the string",
  });
  assert.deepEqual(toErrorData(err), {
    code: "BAD_SQL_TEXT",
    exitCode: 2,
    message: "cannot read it",
    database: "app",
    file: "migrations/app/V1__a.sql",
    line: 3,
    column: 9,
    hint: "close the string",
  });
});

Deno.test("toErrorData() lists the drifted files of a drift error as items", () => {
  const items = [
    { script: "V1__a.sql", state: "checksum mismatch" as const, appliedChecksum: "a".repeat(64) },
    { script: "V2__b.sql", state: "missing file" as const, appliedChecksum: "b".repeat(64) },
  ];
  const data = toErrorData(new DriftError("app", items, "drift in app"));
  assert.equal(data.code, "CHECKSUM_MISMATCH");
  assert.equal(data.exitCode, 3);
  assert.deepEqual(data.items, items);
});

Deno.test("toErrorData() names the file of a lost connection and of a stop at a file", () => {
  const lost = new ConnectionLostError({
    database: "app",
    script: "V3__c.sql",
    message: "lost it",
    hint: "run again",
  });
  assert.deepEqual(
    [toErrorData(lost).code, toErrorData(lost).exitCode, toErrorData(lost).file],
    ["CONNECTION_LOST", 4, "V3__c.sql"],
  );
  const stop = new InterruptedError("SIGTERM").at({
    database: "app",
    script: "V4__d.sql",
    outcome: "rolled back",
    note: "rolled back",
  });
  assert.deepEqual(
    [toErrorData(stop).code, toErrorData(stop).exitCode, toErrorData(stop).file],
    ["INTERRUPTED", 143, "V4__d.sql"],
  );
});

Deno.test("toErrorData() calls anything else INTERNAL, exit 1, and hides passwords in it", () => {
  const data = toErrorData(new Error("postgres://app:hunter2@db/app refused"));
  assert.deepEqual(data, {
    code: "INTERNAL",
    exitCode: 1,
    message: "postgres://app:***@db/app refused",
  });
  const stack = toErrorData(new TypeError("x is undefined"), (e) => `stack of ${e}`);
  assert.equal(stack.message, "stack of TypeError: x is undefined");
});
