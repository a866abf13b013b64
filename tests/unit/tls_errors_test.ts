import assert from "node:assert/strict";
import { tlsFailure, type TlsSetup, tlsUnreachable } from "../../src/drivers/tls_errors.ts";
import { EXIT } from "../../src/core/errors.ts";

// The errors below have the shapes measured against real servers (tests/drivers/*_tls_test.ts):
// node:tls's under postgres.js, fetch's (rustls) under the ClickHouse client.

const PG: TlsSetup = {
  kind: "postgres",
  mode: "sslmode=verify-full (APP_URL)",
  checksName: true,
  ca: '"/run/secrets/ca.pem" (APP_CA_FILE)',
  clientCert: null,
  caFix: "set APP_CA_FILE to the CA's certificate (PEM), or name it with sslrootcert in the URL",
};
const CH: TlsSetup = {
  kind: "clickhouse",
  mode: "",
  checksName: true,
  ca: null,
  clientCert: null,
  caFix: "set ANALYTICS_CA_FILE to the CA's certificate (PEM)",
};

function nodeError(code: string, message: string, extra: Record<string, unknown> = {}) {
  return Object.assign(new Error(message), { code }, extra);
}

/** fetch's failure as the ClickHouse driver wraps it: the reason two causes down. */
function fetchError(reason: string) {
  const inner = new Error(
    `error sending request for url (https://ch:8443/?query_id=5f0c): client error (Connect): ${reason}`,
  );
  const typeError = new TypeError("fetch failed", { cause: inner });
  return new Error(`fetch failed: client error (Connect): ${reason}`, { cause: typeError });
}

Deno.test("tlsFailure() explains an unknown CA and names the CA file", () => {
  for (const code of ["SELF_SIGNED_CERT_IN_CHAIN", "UNABLE_TO_VERIFY_LEAF_SIGNATURE"]) {
    const f = tlsFailure(nodeError(code, "unable to verify the first certificate"), PG);
    assert.equal(f?.problem, "unknown CA");
    assert.equal(f!.permanent, true);
    assert.match(
      f!.message,
      /^the server's TLS certificate is not signed by the CA in "\/run\/secrets\/ca\.pem" \(APP_CA_FILE\): /,
    );
    assert.ok(f!.message.includes(code));
    assert.match(f!.message, /; TLS settings: sslmode=verify-full \(APP_URL\)$/);
    assert.match(f!.hint, /the CA that signed the server's certificate/);
  }
});

Deno.test("tlsFailure() with the system's CAs says which variable to set", () => {
  const f = tlsFailure(fetchError("invalid peer certificate: UnknownIssuer"), CH);
  assert.equal(f?.problem, "unknown CA");
  assert.equal(
    f!.message,
    "the server's TLS certificate is not signed by a CA this machine trusts: invalid peer " +
      "certificate: UnknownIssuer",
  );
  assert.equal(f!.hint, "set ANALYTICS_CA_FILE to the CA's certificate (PEM)");
});

Deno.test("tlsFailure() explains a host name mismatch with the names the certificate holds", () => {
  const node = tlsFailure(
    nodeError("ERR_TLS_CERT_ALTNAME_INVALID", "Hostname/IP does not match certificate's altnames", {
      reason: "IP: 127.0.0.2 is not in the cert's list: 127.0.0.1",
      cert: { subjectaltname: "DNS:localhost, IP Address:127.0.0.1" },
    }),
    PG,
  );
  assert.equal(node?.problem, "host name mismatch");
  assert.match(node!.message, /is not for "127\.0\.0\.2" \(it names localhost, 127\.0\.0\.1\)/);
  assert.match(node!.hint, /sslmode=verify-ca/);
  const host = tlsFailure(
    nodeError("ERR_TLS_CERT_ALTNAME_INVALID", "Hostname/IP does not match certificate's altnames", {
      reason: "Host: db.example. is not in the cert's altnames: DNS:localhost",
    }),
    PG,
  );
  assert.match(host!.message, /is not for "db\.example" \(it names localhost\)/);
  const rustls = tlsFailure(
    fetchError(
      'invalid peer certificate: certificate not valid for name "127.0.0.2"; certificate is only ' +
        'valid for DnsName("localhost") or IpAddress(127.0.0.1)',
    ),
    CH,
  );
  assert.equal(rustls?.problem, "host name mismatch");
  assert.match(rustls!.message, /is not for "127\.0\.0\.2" \(it names localhost, 127\.0\.0\.1\)/);
  assert.doesNotMatch(rustls!.hint, /sslmode/);
  assert.equal(
    tlsFailure(fetchError("invalid peer certificate: NotValidForName"), CH)?.problem,
    "host name mismatch",
  );
});

Deno.test("tlsFailure() explains an expired or not yet valid certificate", () => {
  const expired = tlsFailure(nodeError("CERT_HAS_EXPIRED", "certificate has expired"), PG);
  assert.equal(expired?.problem, "expired");
  assert.match(expired!.message, /has expired/);
  assert.match(expired!.hint, /renew the server's certificate/);
  assert.equal(tlsFailure(fetchError("invalid peer certificate: Expired"), CH)?.problem, "expired");
  assert.equal(
    tlsFailure(nodeError("CERT_NOT_YET_VALID", "certificate is not yet valid"), PG)?.problem,
    "not yet valid",
  );
  assert.equal(
    tlsFailure(fetchError("invalid peer certificate: NotValidYet"), CH)?.problem,
    "not yet valid",
  );
});

Deno.test("tlsFailure() explains a client certificate the server refuses or misses", () => {
  const withCert = { ...PG, clientCert: '"/c.crt" (sslcert in APP_URL)' };
  const alert = tlsFailure(
    nodeError("ERR_SSL_TLSV1_ALERT_UNKNOWN_CA", "received fatal alert: UnknownCA"),
    withCert,
  );
  assert.equal(alert?.problem, "client certificate refused");
  assert.match(alert!.message, /refused the client certificate "\/c\.crt" \(sslcert in APP_URL\)/);
  const missing = tlsFailure(
    Object.assign(new Error("connection requires a valid client certificate"), {
      name: "PostgresError",
      code: "28000",
      severity: "FATAL",
    }),
    PG,
  );
  assert.equal(missing?.problem, "client certificate refused");
  assert.match(missing!.message, /requires a TLS client certificate and none was sent/);
  assert.match(missing!.hint, /sslcert and sslkey/);
});

Deno.test("tlsFailure() says when the server does not speak TLS, and lets the run retry", () => {
  const pg = tlsFailure(
    nodeError(
      "ECONNRESET",
      "Client network socket disconnected before secure TLS connection was established",
    ),
    { ...PG, mode: "sslmode=require (APP_URL)" },
  );
  assert.equal(pg?.problem, "no TLS");
  assert.equal(pg!.permanent, false);
  assert.match(pg!.hint, /sslmode=prefer or disable/);
  const ch = tlsFailure(fetchError("received corrupt message of type InvalidContentType"), CH);
  assert.equal(ch?.problem, "no TLS");
  assert.match(ch!.hint, /HTTPS port/);
});

Deno.test("tlsFailure() leaves errors that are not about TLS alone", () => {
  assert.equal(
    tlsFailure(nodeError("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:5432"), PG),
    null,
  );
  assert.equal(tlsFailure(nodeError("ECONNRESET", "read ECONNRESET"), PG), null);
  assert.equal(
    tlsFailure(
      Object.assign(new Error('password authentication failed for user "app"'), { code: "28P01" }),
      PG,
    ),
    null,
  );
  assert.equal(
    tlsFailure(fetchError("tcp connect error: Connection refused (os error 111)"), CH),
    null,
  );
  assert.equal(tlsFailure("a string", PG), null);
  assert.equal(tlsFailure(null, PG), null);
});

Deno.test("tlsFailure() calls any other TLS error a failed handshake", () => {
  const f = tlsFailure(nodeError("ERR_SSL_UNSUPPORTED_PROTOCOL", "unsupported protocol"), {
    ...PG,
    clientCert: '"/c.crt" (PGSSLCERT)',
  });
  assert.equal(f?.problem, "handshake");
  assert.equal(f!.permanent, true);
  assert.match(f!.hint, /client certificate and key belong together/);
});

Deno.test("tlsUnreachable() is exit 4, DB_UNREACHABLE, naming the database and the target", () => {
  const f = tlsFailure(nodeError("CERT_HAS_EXPIRED", "certificate has expired"), PG)!;
  const err = tlsUnreachable("app", "postgres://app:***@db:5432/app", f);
  assert.equal(err.exitCode, EXIT.unreachable);
  assert.equal(err.code, "DB_UNREACHABLE");
  assert.equal(err.database, "app");
  assert.equal(err.hint, f.hint);
  assert.equal(
    err.message,
    `cannot connect to "app" at postgres://app:***@db:5432/app: ${f.message}`,
  );
});
