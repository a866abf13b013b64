// libpq's TLS settings, through pgTls(), against a real PostgreSQL that accepts TLS only, with a CA
// and certificates made by openssl for this run (tests/tls.sh): postgres.js connects with exactly
// the options the driver will give it.
import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import tls from "node:tls";
import postgres from "postgres";
import { type PgTls, pgTls } from "../../src/drivers/postgres/tls.ts";
import { tlsFailure, tlsUnreachable } from "../../src/drivers/tls_errors.ts";
import { EXIT } from "../../src/core/errors.ts";
import { ROOT } from "../helpers.ts";
import { withTlsFiles, withTlsPostgres } from "./_tls.ts";

function settings(url: string, env: Record<string, string> = {}): Promise<PgTls> {
  return pgTls({
    url,
    database: "app",
    urlSource: "APP_URL",
    caFileVariable: "APP_CA_FILE",
    env: (name) => env[name],
    read: (path) => Deno.readTextFile(path),
  });
}

/** Connects as postgres.js would in the driver; returns whether the session is encrypted. */
async function encrypted(t: PgTls): Promise<boolean> {
  const sql = postgres(t.url, {
    ssl: t.ssl,
    max: 1,
    connect_timeout: 10,
    fetch_types: false,
    onnotice: () => {},
  });
  try {
    const [row] = await sql`SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()`;
    return row?.ssl === true;
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

/** The error a connection with these settings fails with. */
async function failure(t: PgTls): Promise<unknown> {
  try {
    await encrypted(t);
  } catch (err) {
    return err;
  }
  throw new Error(`connected to ${t.url} though it should have failed`);
}

Deno.test("TLS to PostgreSQL: each sslmode against a TLS-only server", async (t) => {
  await withTlsPostgres(async (pg) => {
    const { ca, otherCa } = pg.files;

    await t.step("verify-full with the CA in the URL connects encrypted", async () => {
      const s = await settings(pg.url({ query: `sslmode=verify-full&sslrootcert=${ca}` }));
      assert.equal(await encrypted(s), true);
    });

    await t.step("verify-full is the default with <NAME>_CA_FILE, and connects", async () => {
      const s = await settings(pg.url({ host: "localhost" }), { APP_CA_FILE: ca });
      assert.equal(s.mode, "verify-full");
      assert.equal(await encrypted(s), true);
    });

    await t.step(
      "verify-full with another CA fails: exit 4, unknown CA, naming the file",
      async () => {
        const s = await settings(pg.url(), { APP_CA_FILE: otherCa });
        const f = tlsFailure(await failure(s), s.setup);
        assert.ok(f, "not recognised as a TLS failure");
        assert.equal(f.problem, "unknown CA");
        assert.equal(f.permanent, true);
        const err = tlsUnreachable("app", "postgres://dbm_tls@127.0.0.1/postgres", f);
        assert.equal(err.exitCode, EXIT.unreachable);
        assert.equal(err.code, "DB_UNREACHABLE");
        assert.match(err.message, /^cannot connect to "app" at postgres:\/\/dbm_tls@127\.0\.0\.1/);
        assert.ok(err.message.includes(`not signed by the CA in "${otherCa}" (APP_CA_FILE)`));
        assert.match(err.hint ?? "", /the CA that signed the server's certificate/);
      },
    );

    await t.step("a CA file is all that is trusted, whatever else Deno trusts", async () => {
      // DENO_CERT adds the server's CA to the store Deno trusts by default; a CA file naming
      // another CA must still fail, as libpq's sslrootcert does. Deno 2.9.6's node:tls replaces
      // its roots with `ca`, as Node does; were a newer Deno to add to them instead, this fails,
      // and pgTls must then check the chain against the file itself.
      const module = pathToFileURL(join(ROOT, "src/drivers/postgres/tls.ts")).href;
      const probe = `
        import postgres from "postgres";
        import { pgTls } from ${JSON.stringify(module)};
        const [url, caFile] = Deno.args;
        const t = await pgTls({ url, database: "app", urlSource: "APP_URL",
          caFileVariable: "APP_CA_FILE", env: (n) => (n === "APP_CA_FILE" && caFile) || undefined,
          read: (p) => Deno.readTextFile(p) });
        const sql = postgres(t.url, { ssl: t.ssl, max: 1, fetch_types: false, connect_timeout: 10 });
        try { await sql\`SELECT 1\`; console.log("connected"); }
        catch (e) { console.log("refused", e.code); }
        finally { await sql.end({ timeout: 1 }); }`;
      const probeWith = async (url: string, caFile: string) => {
        const out = await new Deno.Command(Deno.execPath(), {
          args: ["eval", probe, url, caFile],
          cwd: ROOT,
          env: { DENO_CERT: ca },
          stderr: "inherit",
        }).output();
        return new TextDecoder().decode(out.stdout).trim();
      };
      // Deno's store does trust the server: with the system's CAs the probe connects.
      assert.equal(await probeWith(pg.url({ query: "sslrootcert=system" }), ""), "connected");
      assert.match(await probeWith(pg.url(), otherCa), /^refused /);
    });

    await t.step(
      "verify-full by a name the certificate lacks fails: host name mismatch",
      async () => {
        // 127.0.0.2 reaches the same server; the certificate names localhost and 127.0.0.1 only.
        // node:tls alone would check `localhost` here (postgres.js gives it no host for an IP).
        const s = await settings(pg.url({ host: "127.0.0.2" }), { APP_CA_FILE: ca });
        const f = tlsFailure(await failure(s), s.setup);
        assert.equal(f?.problem, "host name mismatch");
        assert.match(f!.message, /not for "127\.0\.0\.2" \(it names localhost, 127\.0\.0\.1\)/);
        assert.match(f!.hint, /sslmode=verify-ca checks the CA but not the name/);
      },
    );

    await t.step("verify-ca ignores the host name but checks the CA", async () => {
      const good = await settings(pg.url({ host: "127.0.0.2", query: "sslmode=verify-ca" }), {
        APP_CA_FILE: ca,
      });
      assert.equal(await encrypted(good), true);
      const bad = await settings(pg.url({ host: "127.0.0.2", query: "sslmode=verify-ca" }), {
        APP_CA_FILE: otherCa,
      });
      assert.equal(tlsFailure(await failure(bad), bad.setup)?.problem, "unknown CA");
    });

    await t.step("require encrypts without checking the certificate", async () => {
      const s = await settings(pg.url({ host: "127.0.0.2", query: "sslmode=require" }));
      assert.equal(s.ssl, "require");
      assert.equal(await encrypted(s), true);
    });

    await t.step("require with a CA checks it, as libpq's verify-ca", async () => {
      const s = await settings(pg.url({ query: "sslmode=require" }), { PGSSLROOTCERT: otherCa });
      assert.equal(s.mode, "verify-ca");
      assert.equal(tlsFailure(await failure(s), s.setup)?.problem, "unknown CA");
    });

    await t.step("prefer (the default) gets TLS from a server that offers it", async () => {
      assert.equal(await encrypted(await settings(pg.url())), true);
    });

    await t.step("disable against a TLS-only server is refused by the server", async () => {
      const err = await failure(await settings(pg.url({ query: "sslmode=disable" })));
      assert.match(String((err as Error).message), /no pg_hba\.conf entry .* no encryption/);
      assert.equal(tlsFailure(err, (await settings(pg.url())).setup), null);
    });

    await t.step("a client certificate logs in a user the server authenticates by it", async () => {
      const q = `sslmode=verify-full&sslrootcert=${ca}&sslcert=${pg.files.clientCert}` +
        `&sslkey=${pg.files.clientKey}`;
      assert.equal(await encrypted(await settings(pg.url({ user: "dbm_cert", query: q }))), true);
      // PGSSLCERT and PGSSLKEY do the same.
      const env = await settings(pg.url({ user: "dbm_cert", query: "sslmode=require" }), {
        PGSSLCERT: pg.files.clientCert,
        PGSSLKEY: pg.files.clientKey,
      });
      assert.equal(await encrypted(env), true);
    });

    await t.step("without its client certificate that user is refused, with the fix", async () => {
      const s = await settings(pg.url({ user: "dbm_cert" }), { APP_CA_FILE: ca });
      const f = tlsFailure(await failure(s), s.setup);
      assert.equal(f?.problem, "client certificate refused");
      assert.match(f!.message, /requires a TLS client certificate and none was sent/);
      assert.match(f!.hint, /sslcert and sslkey/);
    });
  });
});

Deno.test("TLS: an expired server certificate is reported as expired, with the fix", async () => {
  await withTlsFiles(async (files) => {
    const listener = Deno.listenTls({
      hostname: "127.0.0.1",
      port: 0,
      cert: await Deno.readTextFile(files.expiredCert),
      key: await Deno.readTextFile(files.expiredKey),
    });
    const port = (listener.addr as Deno.NetAddr).port;
    const served = (async () => {
      const conn = await listener.accept();
      await conn.handshake().catch(() => {});
      conn.close();
    })();
    try {
      const s = await settings(`postgres://app@127.0.0.1:${port}/app`, { APP_CA_FILE: files.ca });
      // What postgres.js does after the server's `S`: node:tls over the socket, with our options.
      const err = await new Promise<unknown>((resolve) => {
        const socket = tls.connect({
          host: "127.0.0.1",
          port,
          ...(s.ssl as tls.ConnectionOptions),
        });
        socket.on("secureConnect", () => {
          socket.destroy();
          resolve(null);
        });
        socket.on("error", resolve);
      });
      const f = tlsFailure(err, s.setup);
      assert.equal(f?.problem, "expired");
      assert.match(f!.message, /certificate has expired/);
      assert.match(f!.hint, /renew the server's certificate/);
    } finally {
      await served;
      listener.close();
    }
  });
});
