import assert from "node:assert/strict";
import { redactUrl, registerSecret, registerUrlSecrets, scrub } from "../../../src/core/redact.ts";

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

Deno.test("redactUrl() hides password query parameters", () => {
  assert.equal(
    redactUrl("postgres://app@db/app?sslmode=require&password=Qp4ram-Secret"),
    "postgres://app@db/app?sslmode=require&password=***",
  );
  assert.equal(
    redactUrl("http://ch:8123/db?user=u&password=Ch-Qp-Secret"),
    "http://ch:8123/db?user=u&password=***",
  );
  assert.equal(scrub("login with Qp4ram-Secret failed"), "login with *** failed");
});

Deno.test("redactUrl() hides the password of strings that are not URLs (redact first, parse after)", () => {
  assert.equal(redactUrl("user:pa@ss-NoScheme@host:5432/db"), "user:***@host:5432/db");
  assert.equal(scrub("no scheme in pa@ss-NoScheme"), "no scheme in ***");
  assert.equal(redactUrl("postgres://u:sl/ash-Pw@h/db"), "postgres://u:***@h/db");
  assert.equal(redactUrl("postgres://u:at@sign-Pw@h:5432/db"), "postgres://u:***@h:5432/db");
  // A port is not a password, and an @ in the query is no user.
  assert.equal(
    redactUrl("postgres://h:5432/db?application_name=a@b"),
    "postgres://h:5432/db?application_name=a@b",
  );
  assert.equal(redactUrl("db.internal:5432"), "db.internal:5432");
});

Deno.test("scrub() hides secret query parameters in any text and keeps what follows them", () => {
  assert.equal(
    scrub("cannot connect to postgres://a@h/d?password=xyz-Not-Registered: refused"),
    "cannot connect to postgres://a@h/d?password=***: refused",
  );
  assert.equal(
    scrub("at postgres://a@h/d?password=***: refused"),
    "at postgres://a@h/d?password=***: refused",
  );
  assert.equal(scrub("https://h/x?token=abc&x=1"), "https://h/x?token=***&x=1");
  assert.equal(scrub("postgres://u:p@ss-w@h/db"), "postgres://u:***@h/db");
});

Deno.test("registerUrlSecrets() registers a query password whole, punctuation included", () => {
  registerUrlSecrets("postgres://h/d?password=Ends-With-Colon:&sslmode=require");
  assert.equal(scrub("then Ends-With-Colon: x"), "then *** x");
});
