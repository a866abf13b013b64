// PostgreSQL as a kind of database: how its files are prepared and its driver opened.

import { optionalEnv, strictEnv } from "../../core/env.ts";
import { redactUrl } from "../../core/redact.ts";
import type { DriverKind } from "../driver.ts";
import { caFileVariable } from "../tls_files.ts";
import { PostgresDriver } from "./driver.ts";
import { pgTls } from "./tls.ts";

/** Prepares a file; the tokenizer and the directives load only when a file will run. */
export const preparePostgres: DriverKind["prepare"] = async (file, ctx) =>
  (await import("./prepare.ts")).preparePostgres(file, ctx);

/** PostgreSQL servers reached by a postgres:// or postgresql:// URL. */
export const postgresKind: DriverKind = {
  kind: "postgres",
  describe: (target) => redactUrl(target.url ?? ""),
  prepare: preparePostgres,
  async open(target) {
    // TLS settings and their files are read before the first connection attempt: a bad value or
    // an unreadable CA is exit 2 at once, not a connection error retried until --wait runs out.
    const tls = await pgTls({
      url: target.url!,
      database: target.name,
      urlSource: target.urlSource ?? target.urlVariable,
      caFileVariable: caFileVariable(target.urlVariable),
      env: strictEnv,
      read: (path) => Deno.readTextFile(path),
      // libpq's defaults under ~/.postgresql; the container may not read HOME, so it has none.
      home: optionalEnv("HOME"),
    });
    return new PostgresDriver(target.name, target.url!, {
      urlVariable: target.urlVariable,
      tls,
      schema: target.schema,
    });
  },
};
