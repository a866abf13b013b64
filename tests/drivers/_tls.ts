// TLS fixtures for the tests that need them, started lazily (a run that does not touch TLS pays
// nothing): certificates made by `bash tests/tls.sh certs DIR` with openssl, a private TLS-only
// PostgreSQL (`tls.sh pg-run`) and a private ClickHouse serving HTTPS (`services.sh clickhouse-run`
// with an <https_port>). Not a test file itself (deno test skips `_*.ts`).
import { join } from "node:path";
import postgres from "postgres";
import { chQuery, ROOT } from "../helpers.ts";
import { closedPort } from "../e2e/_util.ts";

/** Paths of the certificates `tls.sh certs` makes. */
export interface TlsFiles {
  dir: string;
  /** The CA that signed the server and client certificates. */
  ca: string;
  /** A CA that signed nothing we use. */
  otherCa: string;
  serverCert: string;
  serverKey: string;
  /** A certificate for the same names from the same CA, expired. */
  expiredCert: string;
  expiredKey: string;
  /** CN=dbm_cert, from the CA. */
  clientCert: string;
  clientKey: string;
}

async function run(cmd: string, args: string[]): Promise<void> {
  const out = await new Deno.Command(cmd, { args, stdin: "null" }).output();
  if (!out.success) {
    const dec = new TextDecoder();
    throw new Error(
      `${cmd} ${args.join(" ")} failed: ${dec.decode(out.stderr)}${dec.decode(out.stdout)}`,
    );
  }
}

function filesIn(dir: string): TlsFiles {
  return {
    dir,
    ca: join(dir, "ca.crt"),
    otherCa: join(dir, "other-ca.crt"),
    serverCert: join(dir, "server.crt"),
    serverKey: join(dir, "server.key"),
    expiredCert: join(dir, "expired.crt"),
    expiredKey: join(dir, "expired.key"),
    clientCert: join(dir, "client.crt"),
    clientKey: join(dir, "client.key"),
  };
}

const PREFIXES = ["dbm-tls.", "dbm-tls-pg.", "dbm-tls-clickhouse."];

/**
 * Removes scratch directories of earlier runs killed too hard for their `finally` (SIGKILL): their
 * servers died with them (parent-death signal), but the directories stayed. One is stale when it
 * is over an hour old and no server runs in it.
 */
async function sweep(): Promise<void> {
  const tmp = Deno.env.get("TMPDIR") ?? "/tmp";
  const entries: Deno.DirEntry[] = [];
  try {
    for await (const entry of Deno.readDir(tmp)) entries.push(entry);
  } catch {
    return;
  }
  for (const entry of entries) {
    if (!entry.isDirectory || !PREFIXES.some((p) => entry.name.startsWith(p))) continue;
    const dir = join(tmp, entry.name);
    const info = await Deno.stat(dir).catch(() => null);
    if (!info?.mtime || Date.now() - info.mtime.getTime() < 3_600_000) continue;
    const pid = (await Deno.readTextFile(join(dir, "pg", "postmaster.pid")).catch(() => ""))
      .split("\n")[0];
    if (pid && (await Deno.stat(`/proc/${pid}`).catch(() => null))) continue;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** Makes fresh certificates in a scratch directory; fn gets their paths; the directory goes after. */
export async function withTlsFiles<T>(fn: (files: TlsFiles) => Promise<T>): Promise<T> {
  await sweep();
  const dir = await Deno.makeTempDir({ prefix: "dbm-tls." });
  try {
    await run("bash", [join(ROOT, "tests/tls.sh"), "certs", dir]);
    return await fn(filesIn(dir));
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** A private PostgreSQL that accepts TLS only (see tests/tls.sh), and its certificates. */
export interface TlsPostgres {
  port: number;
  files: TlsFiles;
  /** `postgres://USER@HOST:PORT/postgres`: users dbm_tls (any TLS) and dbm_cert (client certificate). */
  url(opts?: { user?: string; host?: string; query?: string }): string;
}

async function stopChild(child: Deno.ChildProcess, signal: Deno.Signal): Promise<void> {
  try {
    child.kill(signal);
  } catch {
    // already gone
  }
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // gone meanwhile
    }
  }, 10_000);
  await child.status;
  clearTimeout(timer);
}

/**
 * Starts a private TLS-only PostgreSQL (PostgreSQL's server binaries, as the postgres OS user when
 * we are root), runs fn, then stops it and removes its directory. Fails with the server's log when
 * it does not start.
 */
export async function withTlsPostgres<T>(fn: (pg: TlsPostgres) => Promise<T>): Promise<T> {
  await sweep();
  const dir = await Deno.makeTempDir({ prefix: "dbm-tls-pg." });
  const port = closedPort();
  const log = join(dir, "server.log");
  let child: Deno.ChildProcess | null = null;
  try {
    await run("bash", [join(ROOT, "tests/tls.sh"), "certs", dir]);
    child = new Deno.Command("bash", {
      args: [join(ROOT, "tests/tls.sh"), "pg-run", dir, String(port)],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    // The server logs to standard error: kept for the message when it does not start.
    const logged = Deno.open(log, { write: true, create: true })
      .then((f) => child!.stderr.pipeTo(f.writable))
      .catch(() => {});
    const files = filesIn(dir);
    const pg: TlsPostgres = {
      port,
      files,
      url: ({ user = "dbm_tls", host = "127.0.0.1", query = "" } = {}) =>
        `postgres://${user}@${host}:${port}/postgres${query ? `?${query}` : ""}`,
    };
    await waitUntilUp(pg, dir, child, log);
    try {
      return await fn(pg);
    } finally {
      await stopChild(child, "SIGINT"); // fast shutdown
      child = null;
      await logged;
    }
  } finally {
    if (child) await stopChild(child, "SIGKILL");
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

async function waitUntilUp(
  pg: TlsPostgres,
  dir: string,
  child: Deno.ChildProcess,
  log: string,
): Promise<void> {
  const deadline = Date.now() + 60_000;
  let exited = false;
  child.status.then(() => exited = true);
  while (Date.now() < deadline && !exited) {
    const sql = postgres(pg.url(), {
      ssl: "require",
      max: 1,
      connect_timeout: 2,
      fetch_types: false,
      onnotice: () => {},
    });
    try {
      // The data directory proves the answer comes from this server, not one that took the port.
      const [row] = await sql`SELECT current_setting('data_directory') AS dir`;
      if (row?.dir === join(dir, "pg")) return;
    } catch {
      // not up yet
    } finally {
      await sql.end({ timeout: 1 }).catch(() => {});
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const text = await Deno.readTextFile(log).catch(() => "");
  throw new Error(
    `the TLS PostgreSQL on port ${pg.port} did not start (it needs PostgreSQL's server ` +
      `binaries: apt-get install -y postgresql):\n${text.split("\n").slice(-20).join("\n")}`,
  );
}

/** A private ClickHouse with HTTPS on httpsPort (its certificate from files), HTTP on httpPort. */
export interface TlsClickHouse {
  httpPort: number;
  httpsPort: number;
  files: TlsFiles;
}

/**
 * Starts a private ClickHouse (tests/services.sh's scratch config plus an <https_port> with the
 * fixtures' server certificate), runs fn, then stops it and removes its directory.
 */
export async function withTlsClickHouse<T>(fn: (ch: TlsClickHouse) => Promise<T>): Promise<T> {
  return await withTlsFiles(async (files) => {
    const dir = await Deno.makeTempDir({ prefix: "dbm-tls-clickhouse." });
    const httpPort = closedPort();
    const httpsPort = closedPort();
    await Deno.mkdir(join(dir, "config.d"));
    // config.d/ beside config.xml is merged into it by ClickHouse; services.sh writes config.xml.
    await Deno.writeTextFile(
      join(dir, "config.d", "https.xml"),
      `<?xml version="1.0"?>
<yandex>
  <!-- The first merges with config.xml's; the second is added: 127.0.0.2 is a name the
       certificate does not hold. -->
  <listen_host>127.0.0.1</listen_host>
  <listen_host>127.0.0.2</listen_host>
  <https_port>${httpsPort}</https_port>
  <openSSL>
    <server>
      <certificateFile>${files.serverCert}</certificateFile>
      <privateKeyFile>${files.serverKey}</privateKeyFile>
      <verificationMode>none</verificationMode>
      <loadDefaultCAFile>false</loadDefaultCAFile>
      <disableProtocols>sslv2,sslv3,tlsv1,tlsv1_1</disableProtocols>
    </server>
  </openSSL>
</yandex>
`,
    );
    const child = new Deno.Command("bash", {
      args: [join(ROOT, "tests/services.sh"), "clickhouse-run", dir, String(httpPort)],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      const deadline = Date.now() + 90_000;
      const expected = `${dir}/data/data/default/`;
      let up = false;
      while (Date.now() < deadline && !up) {
        const path = await chQuery(
          `http://default@127.0.0.1:${httpPort}/default`,
          "SELECT data_path FROM system.databases WHERE name = 'default'",
        ).catch(() => "");
        up = path.trim() === expected;
        if (!up) await new Promise((r) => setTimeout(r, 250));
      }
      if (!up) {
        const log = await Deno.readTextFile(join(dir, "server.err.log")).catch(() => "");
        throw new Error(
          `the HTTPS ClickHouse on ports ${httpPort}/${httpsPort} did not answer within 90 s:\n${
            log.split("\n").slice(-20).join("\n")
          }`,
        );
      }
      return await fn({ httpPort, httpsPort, files });
    } finally {
      await stopChild(child, "SIGTERM");
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  });
}
