import assert from "node:assert/strict";
import type { ConnectionOptions, PeerCertificate } from "node:tls";
import { ConfigError } from "../../src/core/errors.ts";
import { pgHosts, type PgTls, pgTls, type PgTlsInput } from "../../src/drivers/postgres/tls.ts";

import { CERT_A as CA, CERT_B as OTHER, CERT_C as CERT } from "./_pem.ts";

const KEY = "-----BEGIN PRIVATE KEY-----\nS0VZ\n-----END PRIVATE KEY-----\n";
const ENCRYPTED =
  "-----BEGIN ENCRYPTED PRIVATE KEY-----\nRU5D\n-----END ENCRYPTED PRIVATE KEY-----\n";

/** A file system of a few files; anything else is NotFound, as Deno.readTextFile says. */
function reader(files: Record<string, string>) {
  const read: string[] = [];
  const fn = (path: string) => {
    read.push(path);
    return path in files
      ? Promise.resolve(files[path]!)
      : Promise.reject(new Deno.errors.NotFound(`No such file or directory: ${path}`));
  };
  return Object.assign(fn, { read });
}

function input(
  url: string,
  opts: { env?: Record<string, string>; files?: Record<string, string>; home?: string } = {},
): PgTlsInput {
  return {
    url,
    database: "app",
    urlSource: "APP_URL",
    caFileVariable: "APP_CA_FILE",
    env: (name) => opts.env?.[name],
    read: reader(opts.files ?? {}),
    home: opts.home,
  };
}

function options(tls: PgTls): ConnectionOptions {
  assert.equal(typeof tls.ssl, "object", `ssl is ${JSON.stringify(tls.ssl)}`);
  return tls.ssl as ConnectionOptions;
}

/** A certificate as node:tls hands it to checkServerIdentity. */
function peer(names: string): PeerCertificate {
  return { subject: { CN: "localhost" }, subjectaltname: names } as unknown as PeerCertificate;
}

async function refused(promise: Promise<unknown>, ...parts: (string | RegExp)[]) {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof ConfigError, `not a ConfigError: ${err}`);
    assert.equal(err.exitCode, 2);
    assert.equal(err.database, "app");
    for (const p of parts) {
      if (typeof p === "string") assert.ok(err.message.includes(p), `${err.message} lacks ${p}`);
      else assert.match(err.message, p);
    }
    return true;
  });
}

Deno.test("pgTls() without TLS settings is libpq's prefer: TLS when offered, nothing checked", async () => {
  const tls = await pgTls(input("postgres://app@db:5432/app"));
  assert.equal(tls.url, "postgres://app@db:5432/app");
  assert.equal(tls.ssl, "prefer");
  assert.equal(tls.mode, "prefer");
  assert.equal(tls.setup.mode, "sslmode=prefer (libpq's default)");
});

Deno.test("pgTls() takes every TLS parameter out of the URL and keeps the others in order", async () => {
  const tls = await pgTls(input(
    "postgres://app@db/app?application_name=x&sslmode=require&sslsni=1&sslcompression=0" +
      "&connect_timeout=3&ssl_min_protocol_version=TLSv1.2&sslnegotiation=postgres#frag",
  ));
  // sslnegotiation stays: postgres.js reads it itself, as libpq does.
  assert.equal(
    tls.url,
    "postgres://app@db/app?application_name=x&connect_timeout=3&sslnegotiation=postgres#frag",
  );
  assert.equal(tls.ssl, "require");
});

Deno.test("pgTls() maps disable, allow, prefer and require to postgres.js's values", async () => {
  assert.equal((await pgTls(input("postgres://db/app?sslmode=disable"))).ssl, false);
  assert.equal((await pgTls(input("postgres://db/app?sslmode=allow"))).ssl, "prefer");
  assert.equal((await pgTls(input("postgres://db/app?sslmode=prefer"))).ssl, "prefer");
  const req = await pgTls(input("postgres://db/app?sslmode=require"));
  assert.equal(req.ssl, "require");
  assert.equal(req.mode, "require");
  assert.equal(req.url, "postgres://db/app");
});

Deno.test("pgTls() reads PGSSLMODE, and the URL's sslmode wins over it", async () => {
  const env = { PGSSLMODE: "require" };
  assert.equal((await pgTls(input("postgres://db/app", { env }))).ssl, "require");
  assert.equal((await pgTls(input("postgres://db/app?sslmode=disable", { env }))).ssl, false);
  assert.match((await pgTls(input("postgres://db/app", { env }))).setup.mode, /\(PGSSLMODE\)/);
});

Deno.test("pgTls() refuses an unknown sslmode, naming where it came from", async () => {
  await refused(pgTls(input("postgres://db/app?sslmode=verify")), 'sslmode "verify"', "APP_URL");
  await assert.rejects(
    pgTls(input("postgres://db/app?sslmode=verify")),
    (e: unknown) => e instanceof ConfigError && e.code === "BAD_URL",
  );
  await assert.rejects(
    pgTls(input("postgres://db/app", { env: { PGSSLMODE: "on" } })),
    (e: unknown) => e instanceof ConfigError && e.code === "CONFIG" && /PGSSLMODE/.test(e.message),
  );
});

Deno.test("pgTls() verify-full checks the chain against the URL's sslrootcert and the host name", async () => {
  const tls = await pgTls(
    input("postgres://db.internal:5432/app?sslmode=verify-full&sslrootcert=/etc/ca.pem", {
      files: { "/etc/ca.pem": CA },
    }),
  );
  const o = options(tls);
  assert.equal(o.ca, CA);
  assert.equal(o.rejectUnauthorized, undefined); // node:tls's default: reject
  assert.equal(tls.mode, "verify-full");
  assert.equal(tls.setup.ca, '"/etc/ca.pem" (sslrootcert in APP_URL)');
  assert.equal(tls.setup.checksName, true);
  assert.equal(tls.url, "postgres://db.internal:5432/app");
  // The name checked is the URL's host, whatever node:tls passes (`localhost` for an IP host).
  assert.equal(o.checkServerIdentity!("localhost", peer("DNS:db.internal")), undefined);
  const err = o.checkServerIdentity!("localhost", peer("DNS:localhost, IP Address:127.0.0.1"));
  assert.ok(err instanceof Error);
  assert.match(err.message, /db\.internal/);
});

Deno.test("pgTls() verify-full on an IP address checks the certificate's IP names", async () => {
  const tls = await pgTls(input("postgres://127.0.0.2:5432/app?sslmode=verify-full", {
    env: { APP_CA_FILE: "/run/secrets/ca.pem" },
    files: { "/run/secrets/ca.pem": CA },
  }));
  const check = options(tls).checkServerIdentity!;
  assert.ok(check("localhost", peer("DNS:localhost, IP Address:127.0.0.1")) instanceof Error);
  assert.equal(check("localhost", peer("DNS:localhost, IP Address:127.0.0.2")), undefined);
});

Deno.test("pgTls() with several hosts accepts a certificate that names one of them", async () => {
  const tls = await pgTls(input("postgres://a.db,b.db/app?sslmode=verify-full", {
    env: { APP_CA_FILE: "/ca.pem" },
    files: { "/ca.pem": CA },
  }));
  const check = options(tls).checkServerIdentity!;
  assert.equal(check("x", peer("DNS:b.db")), undefined);
  assert.ok(check("x", peer("DNS:c.db")) instanceof Error);
});

Deno.test("pgTls() verify-ca checks the chain but not the name", async () => {
  const tls = await pgTls(input("postgres://10.0.0.9/app?sslmode=verify-ca&sslrootcert=/ca.pem", {
    files: { "/ca.pem": CA },
  }));
  const o = options(tls);
  assert.equal(o.ca, CA);
  assert.equal(o.rejectUnauthorized, undefined);
  assert.equal(o.checkServerIdentity!("10.0.0.9", peer("DNS:elsewhere")), undefined);
  assert.equal(tls.setup.checksName, false);
});

Deno.test("pgTls() require with a CA present checks it as verify-ca, as libpq does", async () => {
  // PGSSLROOTCERT
  const env = await pgTls(input("postgres://db/app?sslmode=require", {
    env: { PGSSLROOTCERT: "/ca.pem" },
    files: { "/ca.pem": CA },
  }));
  assert.equal(env.mode, "verify-ca");
  assert.equal(options(env).ca, CA);
  assert.match(env.setup.mode, /sslmode=require .*checked as verify-ca/);
  // libpq's default ~/.postgresql/root.crt
  const home = await pgTls(input("postgres://db/app?sslmode=require", {
    home: "/home/me",
    files: { "/home/me/.postgresql/root.crt": CA },
  }));
  assert.equal(home.mode, "verify-ca");
  assert.equal(home.setup.ca, '"/home/me/.postgresql/root.crt" (libpq\'s default sslrootcert)');
  // no CA anywhere: encrypt only
  const none = await pgTls(input("postgres://db/app?sslmode=require", { home: "/home/me" }));
  assert.equal(none.ssl, "require");
});

Deno.test("pgTls() takes the CA from sslrootcert, then <NAME>_CA_FILE, then PGSSLROOTCERT", async () => {
  const files = { "/url.pem": CA, "/var.pem": OTHER, "/env.pem": CERT };
  const env = { APP_CA_FILE: "/var.pem", PGSSLROOTCERT: "/env.pem" };
  const url = await pgTls(
    input("postgres://db/app?sslmode=verify-full&sslrootcert=/url.pem", { env, files }),
  );
  assert.equal(options(url).ca, CA);
  const variable = await pgTls(input("postgres://db/app?sslmode=verify-full", { env, files }));
  assert.equal(options(variable).ca, OTHER);
  assert.equal(variable.setup.ca, '"/var.pem" (APP_CA_FILE)');
  const global = await pgTls(input("postgres://db/app?sslmode=verify-full", {
    env: { PGSSLROOTCERT: "/env.pem" },
    files,
  }));
  assert.equal(options(global).ca, CERT);
});

Deno.test("pgTls() makes verify-full the default when the database names its own CA", async () => {
  const byVariable = await pgTls(input("postgres://db/app", {
    env: { APP_CA_FILE: "/ca.pem" },
    files: { "/ca.pem": CA },
  }));
  assert.equal(byVariable.mode, "verify-full");
  assert.match(byVariable.setup.mode, /the default when a CA is named/);
  const byUrl = await pgTls(
    input("postgres://db/app?sslrootcert=/ca.pem", { files: { "/ca.pem": CA } }),
  );
  assert.equal(byUrl.mode, "verify-full");
  // PGSSLROOTCERT is for every database; it does not raise the default.
  const global = await pgTls(input("postgres://db/app", { env: { PGSSLROOTCERT: "/ca.pem" } }));
  assert.equal(global.ssl, "prefer");
});

Deno.test("pgTls() refuses a CA of the database's own with a mode that would not check it", async () => {
  for (const mode of ["disable", "allow", "prefer"]) {
    await refused(
      pgTls(input(`postgres://db/app?sslmode=${mode}`, { env: { APP_CA_FILE: "/ca.pem" } })),
      "APP_CA_FILE names a CA",
      `sslmode=${mode}`,
    );
  }
  await refused(
    pgTls(input("postgres://db/app?sslmode=prefer&sslrootcert=/ca.pem")),
    "sslrootcert in APP_URL names a CA",
  );
  await refused(
    pgTls(input("postgres://db/app", { env: { APP_CA_FILE: "/ca.pem", PGSSLMODE: "disable" } })),
    "(PGSSLMODE)",
  );
});

Deno.test("pgTls() verify-ca and verify-full without any CA say what to set", async () => {
  for (const mode of ["verify-ca", "verify-full"]) {
    await refused(
      pgTls(input(`postgres://db/app?sslmode=${mode}`, { home: "/home/me" })),
      `sslmode=${mode}`,
      "none is named",
    );
  }
  await assert.rejects(
    pgTls(input("postgres://db/app?sslmode=verify-full")),
    (e: unknown) => e instanceof ConfigError && /APP_CA_FILE/.test(e.hint ?? ""),
  );
});

Deno.test("pgTls() sslrootcert=system trusts the system's CAs and needs verify-full", async () => {
  const tls = await pgTls(input("postgres://db/app?sslrootcert=system"));
  assert.equal(tls.mode, "verify-full");
  const o = options(tls);
  assert.equal("ca" in o, false);
  assert.equal(typeof o.checkServerIdentity, "function");
  assert.equal(tls.setup.ca, null);
  await refused(
    pgTls(input("postgres://db/app?sslrootcert=system&sslmode=require")),
    "verify-full",
  );
  await refused(
    pgTls(input("postgres://db/app?sslmode=verify-ca", { env: { PGSSLROOTCERT: "system" } })),
    "sslrootcert=system (PGSSLROOTCERT)",
  );
  // <NAME>_CA_FILE is always a file: "system" there is a file called system.
  await refused(
    pgTls(input("postgres://db/app", { env: { APP_CA_FILE: "system" } })),
    'cannot read the CA certificate "system" (APP_CA_FILE)',
  );
});

Deno.test("pgTls() reports an unreadable or non-PEM CA file with the file, the variable and no password", async () => {
  await refused(
    pgTls(input("postgres://app:Sup3rSecret@db/app?sslmode=verify-full", {
      env: { APP_CA_FILE: "/run/secrets/missing.pem" },
    })),
    'cannot read the CA certificate "/run/secrets/missing.pem" (APP_CA_FILE) for database "app"',
    "no such file",
  );
  await assert.rejects(
    pgTls(input("postgres://app:Sup3rSecret@db/app?sslrootcert=/x.pem&password=Other5ecret", {
      files: { "/x.pem": "not a certificate" },
    })),
    (e: unknown) =>
      e instanceof ConfigError && /holds no PEM certificate/.test(e.message) &&
      /sslrootcert in APP_URL/.test(e.message) && !/Sup3rSecret|Other5ecret/.test(e.message) &&
      !/Sup3rSecret|Other5ecret/.test(e.hint ?? ""),
  );
});

Deno.test("pgTls() sends a client certificate from sslcert and sslkey, or PGSSLCERT and PGSSLKEY", async () => {
  const files = { "/c.crt": CERT, "/c.key": KEY, "/ca.pem": CA };
  const full = await pgTls(input(
    "postgres://db/app?sslmode=verify-full&sslrootcert=/ca.pem&sslcert=/c.crt&sslkey=/c.key",
    { files },
  ));
  assert.equal(options(full).cert, CERT);
  assert.equal(options(full).key, KEY);
  assert.equal(full.setup.clientCert, '"/c.crt" (sslcert in APP_URL)');
  const env = await pgTls(input("postgres://db/app?sslmode=require", {
    env: { PGSSLCERT: "/c.crt", PGSSLKEY: "/c.key" },
    files,
  }));
  assert.deepEqual(env.ssl, { cert: CERT, key: KEY, rejectUnauthorized: false });
  // prefer cannot carry a certificate in postgres.js's "prefer": TLS is required, nothing checked.
  const prefer = await pgTls(input("postgres://db/app?sslcert=/c.crt&sslkey=/c.key", { files }));
  assert.deepEqual(prefer.ssl, { cert: CERT, key: KEY, rejectUnauthorized: false });
  // sslcertmode=disable sends none.
  const off = await pgTls(
    input("postgres://db/app?sslmode=require&sslcertmode=disable&sslcert=/c.crt", { files }),
  );
  assert.equal(off.ssl, "require");
});

Deno.test("pgTls() uses libpq's default client certificate under ~/.postgresql when TLS is required", async () => {
  const files = {
    "/h/.postgresql/postgresql.crt": CERT,
    "/h/.postgresql/postgresql.key": KEY,
  };
  const req = await pgTls(input("postgres://db/app?sslmode=require", { home: "/h", files }));
  assert.deepEqual(req.ssl, { cert: CERT, key: KEY, rejectUnauthorized: false });
  // prefer falls back to plain text; a default certificate does not take that away.
  assert.equal((await pgTls(input("postgres://db/app", { home: "/h", files }))).ssl, "prefer");
});

Deno.test("pgTls() refuses a named client certificate that is missing, or one without its key", async () => {
  await refused(
    pgTls(input("postgres://db/app?sslmode=require&sslcert=/nope.crt")),
    'cannot read the client certificate "/nope.crt" (sslcert in APP_URL)',
  );
  await refused(
    pgTls(input("postgres://db/app?sslmode=require", {
      env: { PGSSLCERT: "/c.crt" },
      home: "/h",
      files: { "/c.crt": CERT },
    })),
    'the client certificate "/c.crt" (PGSSLCERT)',
    "has no key",
    "/h/.postgresql/postgresql.key",
  );
  await refused(
    pgTls(input("postgres://db/app?sslmode=require&sslcert=/c.crt&sslkey=/c.crt", {
      files: { "/c.crt": CERT },
    })),
    "holds no PEM private key",
  );
});

Deno.test("pgTls() needs sslpassword for an encrypted key and never prints it", async () => {
  const files = { "/c.crt": CERT, "/c.key": ENCRYPTED };
  await refused(
    pgTls(input("postgres://db/app?sslmode=require&sslcert=/c.crt&sslkey=/c.key", { files })),
    "is encrypted",
  );
  const tls = await pgTls(input(
    "postgres://db/app?sslmode=require&sslcert=/c.crt&sslkey=/c.key&sslpassword=K3y%26pass",
    { files },
  ));
  assert.equal(options(tls).passphrase, "K3y&pass");
  assert.equal(tls.url, "postgres://db/app");
  assert.ok(!JSON.stringify(tls.setup).includes("K3y"));
});

Deno.test("pgTls() maps sslsni=0 and the protocol versions to node:tls options", async () => {
  const tls = await pgTls(input(
    "postgres://db/app?sslmode=require&sslsni=0&ssl_min_protocol_version=TLSv1.3",
  ));
  const o = options(tls);
  assert.equal("servername" in o && o.servername === undefined, true);
  assert.equal(o.minVersion, "TLSv1.3");
  const max = await pgTls(input("postgres://db/app?sslmode=require", {
    env: { PGSSLMAXPROTOCOLVERSION: "tlsv1.2" },
  }));
  assert.equal(options(max).maxVersion, "TLSv1.2");
  await refused(
    pgTls(input("postgres://db/app?ssl_max_protocol_version=TLSv1.1")),
    "TLS 1.2 and 1.3",
  );
  await refused(
    pgTls(
      input("postgres://db/app?ssl_min_protocol_version=TLSv1.3&ssl_max_protocol_version=TLSv1.2"),
    ),
    "leave no version",
  );
  await refused(pgTls(input("postgres://db/app?sslsni=yes")), 'sslsni "yes"');
});

Deno.test("pgTls() refuses what Deno's TLS cannot do rather than ignore it", async () => {
  await refused(pgTls(input("postgres://db/app?sslcrl=/r.crl")), "certificate revocation list");
  await refused(
    pgTls(input("postgres://db/app", { env: { PGSSLCRLDIR: "/crl" } })),
    "PGSSLCRLDIR",
  );
  await refused(pgTls(input("postgres://db/app?sslcertmode=require")), "sslcertmode=require");
});

Deno.test("pgTls() uses no TLS on a Unix socket, as libpq, and reads no file for it", async () => {
  const read = reader({});
  const tls = await pgTls({
    ...input(
      "postgres://app@%2Fvar%2Frun%2Fpostgresql/app?sslmode=verify-full&sslrootcert=/ca.pem",
    ),
    read,
  });
  assert.equal(tls.ssl, false);
  assert.deepEqual(read.read, []);
});

Deno.test("pgHosts() lists the URL's hosts without ports, else PGHOST, else localhost", () => {
  const env = (vars: Record<string, string>) => (n: string) => vars[n];
  assert.deepEqual(pgHosts("postgres://u:p@db.example:5432/app", env({})), ["db.example"]);
  assert.deepEqual(pgHosts("postgres://a:1,b:2/app?x=1", env({})), ["a", "b"]);
  assert.deepEqual(pgHosts("postgres://u@[::1]:5432/app", env({})), ["::1"]);
  assert.deepEqual(pgHosts("postgres://u:p%40ss@127.0.0.1/app", env({})), ["127.0.0.1"]);
  assert.deepEqual(pgHosts("postgres:///app", env({ PGHOST: "h1,h2" })), ["h1", "h2"]);
  assert.deepEqual(pgHosts("postgres:///app", env({})), ["localhost"]);
  assert.deepEqual(pgHosts("postgres://%2Ftmp/app", env({})), ["/tmp"]);
});
