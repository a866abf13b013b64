import assert from "node:assert/strict";
import { unreadableReason } from "../../../src/core/read.ts";

Deno.test("unreadableReason() tells a permission problem from a loop, a dangling link and a directory", () => {
  const perm = unreadableReason(new Deno.errors.PermissionDenied("denied"), null);
  assert.match(perm.hint, /permissions/);
  const loop = unreadableReason(new Deno.errors.FilesystemLoop("loop"), { target: "a" });
  assert.doesNotMatch(loop.hint, /permission/);
  assert.match(loop.reason, /leads back to itself/);
  const gone = unreadableReason(new Deno.errors.NotFound("x"), { target: "/mnt/x" });
  assert.match(gone.reason, /"\/mnt\/x", which does not exist/);
  assert.doesNotMatch(gone.hint, /permission/);
  assert.match(unreadableReason(new Deno.errors.IsADirectory("d"), null).reason, /directory/);
});
