import assert from "node:assert/strict";
import { type ChangeRequest, confirmChange, type ConfirmIO } from "../../../src/core/confirm.ts";
import { ConfigError } from "../../../src/core/errors.ts";

function io(tty: boolean, answer: string | null): ConfirmIO & { out: string } {
  const me = {
    out: "",
    isTerminal: () => tty,
    write: (t: string) => {
      me.out += t;
    },
    readLine: () => Promise.resolve(answer),
  };
  return me;
}

const req = (over: Partial<ChangeRequest> = {}): ChangeRequest => ({
  command: "undo",
  database: "app",
  actions: ["run U003__add_users.sql and forget version 3"],
  yes: false,
  dryRun: false,
  ...over,
});

Deno.test("confirmChange() goes on when the operator types the database name", async () => {
  const t = io(true, "app");
  assert.equal(await confirmChange(req(), t), true);
  assert.match(t.out, /undo on "app" will:\n {2}run U003__add_users\.sql/);
});

Deno.test("confirmChange() refuses another answer and end of input, changing nothing", async () => {
  for (const answer of ["yes", null]) {
    await assert.rejects(
      confirmChange(req(), io(true, answer)),
      (e: unknown) => e instanceof ConfigError && e.code === "NOT_CONFIRMED" && e.exitCode === 2,
    );
  }
});

Deno.test("confirmChange() off a terminal needs --yes (exit 2)", async () => {
  await assert.rejects(
    confirmChange(req(), io(false, "app")),
    (e: unknown) =>
      e instanceof ConfigError && e.code === "CONFIRMATION_REQUIRED" && /--yes/.test(e.hint ?? ""),
  );
  assert.equal(await confirmChange(req({ yes: true }), io(false, null)), true);
});

Deno.test("confirmChange() with --dry-run prints the plan and says not to go on", async () => {
  const t = io(false, null);
  assert.equal(await confirmChange(req({ dryRun: true, yes: true }), t), false);
  assert.match(t.out, /dry run: nothing changed/);
});

Deno.test("confirmChange() for a tenant group asks once, for the group's name", async () => {
  const group = req({
    database: "tenant",
    tenants: 3,
    actions: ["undo the last applied migration"],
  });
  const t = io(true, "tenant");
  assert.equal(await confirmChange(group, t), true);
  assert.match(t.out, /^undo on 3 tenants of the group "tenant" will, in each:\n {2}undo the last/);
  assert.match(t.out, /Type the group's name \(tenant\) to go on: $/);
  await assert.rejects(
    confirmChange(group, io(true, "t01")),
    (e: unknown) =>
      e instanceof ConfigError && e.code === "NOT_CONFIRMED" &&
      /"t01" is not the group's name/.test(e.message),
  );
  await assert.rejects(
    confirmChange(group, io(false, null)),
    (e: unknown) =>
      e instanceof ConfigError && e.code === "CONFIRMATION_REQUIRED" &&
      /changes 3 tenants of the group "tenant"/.test(e.message),
  );
});
