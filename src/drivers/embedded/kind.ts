// The embedded PostgreSQL (--embedded) as a kind of database: a PostgreSQL database without a URL
// runs on PGlite, started when the driver is opened and stopped when it is closed, behind a socket
// so that the PostgreSQL driver runs it as any server.

import type { DriverKind } from "../driver.ts";
import { PostgresDriver } from "../postgres/driver.ts";
import { preparePostgres } from "../postgres/kind.ts";
import { EMBEDDED_EXTENSIONS, extensionsNamedIn } from "./extensions.ts";

/** PostgreSQL databases without a URL, on PGlite in `.db-migrate/<database>/`. */
export const embeddedKind: DriverKind = {
  kind: "postgres",
  describe: (target) => `embedded PostgreSQL in .db-migrate/${target.name}`,
  prepare: preparePostgres,
  async open(target, opts) {
    const { startEmbedded } = await import("./server.ts");
    const server = await startEmbedded(`${opts.cwd}/.db-migrate/${target.name}`, {
      lockTimeoutMs: opts.lockTimeoutMs,
      signal: opts.signal,
      onWait: opts.notice,
      // PGlite creates only the extensions it was started with: those the files create.
      extensions: extensionsNamedIn(opts.files.map((f) => f.text)),
    });
    return new PostgresDriver(target.name, server.url, {
      urlVariable: target.urlVariable,
      embedded: { extensions: EMBEDDED_EXTENSIONS, stop: server.close },
    });
  },
};
