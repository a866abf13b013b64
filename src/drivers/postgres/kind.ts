// PostgreSQL as a kind of database: how its files are prepared and its driver opened.

import { redactUrl } from "../../core/redact.ts";
import type { DriverKind } from "../driver.ts";
import { PostgresDriver } from "./driver.ts";
import { preparePostgres } from "./prepare.ts";

/** PostgreSQL servers reached by a postgres:// or postgresql:// URL. */
export const postgresKind: DriverKind = {
  kind: "postgres",
  describe: (target) => redactUrl(target.url ?? ""),
  prepare: preparePostgres,
  open: (target) =>
    Promise.resolve(
      new PostgresDriver(target.name, target.url!, { urlVariable: target.urlVariable }),
    ),
};
