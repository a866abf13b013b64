// A private ClickHouse for tests that kill or restart their server, or need its query log whatever
// the shared test server's config: `bash tests/services.sh clickhouse-run DIR PORT` on a scratch
// directory (the config tests/services.sh writes, with <query_log>). Not a test file itself.
import { join } from "node:path";
import { chQuery, ROOT } from "../helpers.ts";
import { closedPort } from "./_util.ts";

/** One scratch ClickHouse server: its data survives kill() and restart(). */
export class ScratchClickHouse {
  #child: Deno.ChildProcess | null = null;
  private constructor(readonly dir: string, readonly port: number) {}

  /** Starts a server on a fresh directory and a free port; fails with its log when it does not answer. */
  static async start(): Promise<ScratchClickHouse> {
    const dir = await Deno.makeTempDir({ prefix: "dbm-scratch-clickhouse." });
    const server = new ScratchClickHouse(dir, closedPort());
    try {
      await server.#spawn();
    } catch (err) {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      throw err;
    }
    return server;
  }

  /** `http://default@127.0.0.1:PORT/<database>`. */
  url(database = "default"): string {
    return `http://default@127.0.0.1:${this.port}/${database}`;
  }

  async #spawn(): Promise<void> {
    this.#child = new Deno.Command("bash", {
      args: [join(ROOT, "tests/services.sh"), "clickhouse-run", this.dir, String(this.port)],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const deadline = Date.now() + 90_000;
    const expected = `${this.dir}/data/data/default/`;
    while (Date.now() < deadline) {
      // The data path proves the answer comes from this server, not one that took the port first.
      const path = await chQuery(
        this.url(),
        "SELECT data_path FROM system.databases WHERE name = 'default'",
      ).catch(() => "");
      if (path.trim() === expected) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    const log = await Deno.readTextFile(join(this.dir, "server.err.log")).catch(() => "");
    await this.kill();
    throw new Error(
      `the scratch ClickHouse on port ${this.port} did not answer within 90 s:\n${
        log.split("\n").slice(-20).join("\n")
      }`,
    );
  }

  /** Kills the server with SIGKILL, as a crash or an OOM kill would, and waits until it is gone. */
  async kill(): Promise<void> {
    const child = this.#child;
    this.#child = null;
    if (!child) return;
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
    await child.status;
  }

  /** Starts the server again on the same directory and port. */
  async restart(): Promise<void> {
    await this.kill();
    await this.#spawn();
  }

  /** Stops the server and removes its directory. */
  async stop(): Promise<void> {
    const child = this.#child;
    this.#child = null;
    if (child) {
      try {
        child.kill("SIGTERM");
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
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}
