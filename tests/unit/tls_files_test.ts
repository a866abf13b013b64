import assert from "node:assert/strict";
import { caFileVariable, isEncryptedKey, readPem } from "../../src/drivers/tls_files.ts";
import { ConfigError } from "../../src/core/errors.ts";

import { CERT_A, CERT_B } from "./_pem.ts";

const BROKEN = "-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n";
const notFound = (path: string): Promise<string> =>
  Promise.reject(new Deno.errors.NotFound(`No such file: ${path}`));

Deno.test("caFileVariable() names the CA bundle beside the URL variable", () => {
  assert.equal(caFileVariable("POSTGRES_URL"), "POSTGRES_CA_FILE");
  assert.equal(caFileVariable("AIML_POSTGRES_URL"), "AIML_POSTGRES_CA_FILE");
  assert.equal(caFileVariable("CLICKHOUSE_URL"), "CLICKHOUSE_CA_FILE");
});

Deno.test("readPem() says which file, which variable and which database, and why", async () => {
  const ref = { path: "/run/secrets/ca.pem", named: "APP_CA_FILE" };
  await assert.rejects(
    readPem(ref, "CA certificate", { database: "app", read: notFound }),
    (e: unknown) =>
      e instanceof ConfigError && e.exitCode === 2 && e.database === "app" &&
      e.message ===
        'cannot read the CA certificate "/run/secrets/ca.pem" (APP_CA_FILE) for database "app": ' +
          "no such file" &&
      /fix APP_CA_FILE/.test(e.hint ?? ""),
  );
  await assert.rejects(
    readPem(ref, "CA certificate", {
      database: "app",
      read: () => Promise.reject(new Deno.errors.NotCapable("Requires read access")),
    }),
    (e: unknown) =>
      e instanceof ConfigError &&
      /is not allowed to read it \(Deno's --allow-read\)/.test(e.message) &&
      /\/run\/secrets/.test(e.hint ?? ""),
  );
  await assert.rejects(
    readPem(ref, "CA certificate", { database: "app", read: () => Promise.resolve("MIIB...") }),
    /holds no PEM certificate/,
  );
  const bundle = CERT_A + CERT_B;
  assert.equal(
    await readPem(ref, "CA certificate", { database: "app", read: () => Promise.resolve(bundle) }),
    bundle,
  );
});

Deno.test("readPem() refuses a certificate that does not parse, saying which one of a bundle", async () => {
  const ref = { path: "/ca.pem", named: "sslrootcert in APP_URL" };
  await assert.rejects(
    readPem(ref, "CA certificate", {
      database: "app",
      read: () => Promise.resolve(CERT_A + BROKEN),
    }),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.message.startsWith(
        'the CA certificate "/ca.pem" (sslrootcert in APP_URL) for database "app" is not a ' +
          "valid certificate (certificate 2 of 2): ",
      ),
  );
});

Deno.test("isEncryptedKey() knows PKCS#8 and the older Proc-Type header", () => {
  assert.equal(isEncryptedKey("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"), true);
  assert.equal(isEncryptedKey("-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n"), true);
  assert.equal(isEncryptedKey("-----BEGIN PRIVATE KEY-----\n"), false);
});
