// PostgreSQL as a kind of database: how its files are prepared and its driver opened.

import { redactUrl } from "../../core/redact.ts";
import type { DriverKind } from "../driver.ts";
import { PostgresDriver } from "./driver.ts";

/** Prepares a file; the tokenizer and the directives load only when a file will run. */
export const preparePostgres: DriverKind["prepare"] = async (file, ctx) =>
  (await import("./prepare.ts")).preparePostgres(file, ctx);

/** PostgreSQL servers reached by a postgres:// or postgresql:// URL. */
export const postgresKind: DriverKind = {
  kind: "postgres",
  describe: (target) => redactUrl(target.url ?? ""),
  prepare: preparePostgres,
  open: (target) =>
    Promise.resolve(
      new PostgresDriver(target.name, target.url!, {
        urlVariable: target.urlVariable,
        schema: target.schema,
      }),
    ),
};
