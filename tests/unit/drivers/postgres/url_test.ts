import assert from "node:assert/strict";
import { pgLogin } from "../../../../src/drivers/postgres/url.ts";

Deno.test("pgLogin() takes libpq's user and password query parameters out of the URL", () => {
  assert.deepEqual(pgLogin("postgres://app@db:5432/app?password=s3cret"), {
    url: "postgres://app@db:5432/app",
    password: "s3cret",
  });
  assert.deepEqual(pgLogin("postgres://db/app?sslmode=disable&user=app&password=a%26b+c"), {
    url: "postgres://db/app?sslmode=disable",
    user: "app",
    password: "a&b+c", // percent-decoded only, as libpq does: a + stays a +
  });
  assert.deepEqual(pgLogin("postgres://u:p@db/app"), { url: "postgres://u:p@db/app" });
  assert.deepEqual(pgLogin("postgres://db/app?application_name=x"), {
    url: "postgres://db/app?application_name=x",
  });
});

Deno.test("pgLogin() reports bad percent-encoding without the value", () => {
  assert.throws(
    () => pgLogin("postgres://db/app?password=%zzTopSecret"),
    (err: unknown) =>
      err instanceof Error && /password parameter/.test(err.message) &&
      !err.message.includes("TopSecret"),
  );
});
