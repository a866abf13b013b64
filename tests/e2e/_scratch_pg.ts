// A private PostgreSQL that asks for passwords, for the tests that must prove a password is used:
// the shared test server trusts every login. Not a test file itself (deno test skips `_*.ts`).
import { closedPort } from "./_util.ts";

const HOW_TO = "install PostgreSQL's server binaries (`apt-get install -y postgresql`): the test " +
  "starts a private server with initdb and pg_ctl";

/** The bin directory of the newest installed PostgreSQL server, or an error saying how to get one. */
function serverBin(): string {
  try {
    const versions = [...Deno.readDirSync("/usr/lib/postgresql")].map((e) => e.name)
      .filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) {
      const bin = `/usr/lib/postgresql/${v}/bin`;
      try {
        Deno.statSync(`${bin}/initdb`);
        return bin;
      } catch {
        // try an older one
      }
    }
  } catch {
    // no Debian layout
  }
  const out = new Deno.Command("pg_config", { args: ["--bindir"], stderr: "null" }).outputSync();
  const bin = new TextDecoder().decode(out.stdout).trim();
  if (out.success && bin) return bin;
  throw new Error(`no PostgreSQL server binaries found: ${HOW_TO}`);
}

/** Runs a server binary, as the postgres OS user when we are root (initdb refuses root). */
async function runAs(owner: { uid: number; gid: number } | null, cmd: string, args: string[]) {
  const full = owner
    ? ["setpriv", `--reuid=${owner.uid}`, `--regid=${owner.gid}`, "--clear-groups", cmd, ...args]
    : [cmd, ...args];
  const out = await new Deno.Command(full[0]!, { args: full.slice(1), stdin: "null" }).output();
  if (!out.success) {
    const err = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
    throw new Error(`${cmd} ${args.join(" ")} failed: ${err.trim()}`);
  }
}

function postgresUser(): { uid: number; gid: number } {
  const out = new Deno.Command("id", { args: ["-u", "postgres"] }).outputSync();
  const gid = new Deno.Command("id", { args: ["-g", "postgres"] }).outputSync();
  if (!out.success) throw new Error(`running as root needs the postgres OS user: ${HOW_TO}`);
  return {
    uid: Number(new TextDecoder().decode(out.stdout)),
    gid: Number(new TextDecoder().decode(gid.stdout)),
  };
}

/**
 * Starts a private PostgreSQL on 127.0.0.1 whose every login needs a password (scram-sha-256),
 * runs fn with the superuser's name, password and port, then stops and removes it.
 */
export async function withPasswordPostgres<T>(
  fn: (server: { user: string; password: string; port: number }) => Promise<T>,
): Promise<T> {
  const bin = serverBin();
  const owner = Deno.uid() === 0 ? postgresUser() : null;
  const dir = await Deno.makeTempDir({ prefix: "dbm_scratch_pg_" });
  const user = "dbm_admin";
  const password = "Scr4tch-" + crypto.randomUUID().slice(0, 8);
  const port = closedPort();
  let started = false;
  try {
    await Deno.writeTextFile(`${dir}/pw`, password);
    if (owner) await Deno.chown(dir, owner.uid, owner.gid);
    if (owner) await Deno.chown(`${dir}/pw`, owner.uid, owner.gid);
    await runAs(owner, `${bin}/initdb`, [
      "-D",
      `${dir}/data`,
      "-U",
      user,
      "--pwfile",
      `${dir}/pw`,
      "--auth",
      "scram-sha-256",
      "-E",
      "UTF8",
      "--no-sync",
    ]);
    await runAs(owner, `${bin}/pg_ctl`, [
      "-D",
      `${dir}/data`,
      "-l",
      `${dir}/log`,
      "-w",
      "-o",
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
      "start",
    ]);
    started = true;
    return await fn({ user, password, port });
  } finally {
    if (started) {
      await runAs(owner, `${bin}/pg_ctl`, ["-D", `${dir}/data`, "-m", "immediate", "stop"])
        .catch(() => {});
    }
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
