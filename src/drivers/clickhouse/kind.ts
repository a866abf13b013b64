// ClickHouse as a kind of database: how its files are prepared and its driver opened.

import { redactUrl } from "../../core/redact.ts";
import type { DriverKind } from "../driver.ts";
import { ClickHouseDriver } from "./driver.ts";

/** ClickHouse servers reached over HTTP by an http://, https:// or clickhouse:// URL. */
export const clickhouseKind: DriverKind = {
  kind: "clickhouse",
  describe: (target) => redactUrl(target.url ?? ""),
  // The tokenizer's checks load only when a file will run.
  prepare: async (file, ctx) => (await import("./prepare.ts")).prepareClickHouse(file, ctx),
  open: (target) => Promise.resolve(new ClickHouseDriver(target.name, target.url!, target.cluster)),
};
