import assert from "node:assert/strict";
import { redactUrl, registerSecret, scrub } from "../../src/redact.ts";

Deno.test("redactUrl() hides the password and keeps the rest", () => {
  assert.equal(redactUrl("postgres://app:s3cret@db:5432/app"), "postgres://app:***@db:5432/app");
  assert.equal(
    redactUrl("http://default:pw@ch:8123/analytics"),
    "http://default:***@ch:8123/analytics",
  );
  assert.equal(redactUrl("postgres://app@db/app"), "postgres://app@db/app");
});

Deno.test("scrub() hides passwords in URLs inside any text", () => {
  assert.equal(
    scrub("connect to postgres://u:p%40ss@h/db failed"),
    "connect to postgres://u:***@h/db failed",
  );
});

Deno.test("scrub() hides a registered secret wherever it appears, decoded or not", () => {
  registerSecret("Tr1cky%21pw");
  assert.equal(scrub("password Tr1cky!pw rejected"), "password *** rejected");
  assert.equal(scrub("raw Tr1cky%21pw"), "raw ***");
});

Deno.test("redactUrl() registers the password so later messages are scrubbed", () => {
  redactUrl("postgres://app:Only-Here-9@db/app");
  assert.equal(scrub('FATAL: role "app" with "Only-Here-9"'), 'FATAL: role "app" with "***"');
});
