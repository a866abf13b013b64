// ClickHouse as a kind of database: how its files are prepared and its driver opened.

import { strictEnv } from "../../core/env.ts";
import { redactUrl } from "../../core/redact.ts";
import type { DriverKind } from "../driver.ts";
import { caFileVariable } from "../tls_files.ts";
import { ClickHouseDriver } from "./driver.ts";
import { clickHouseTls } from "./tls.ts";
import { parseClickHouseUrl } from "./url.ts";

/** ClickHouse servers reached over HTTP by an http://, https:// or clickhouse:// URL. */
export const clickhouseKind: DriverKind = {
  kind: "clickhouse",
  describe: (target) => redactUrl(target.url ?? ""),
  // The tokenizer's checks load only when a file will run.
  prepare: async (file, ctx) => (await import("./prepare.ts")).prepareClickHouse(file, ctx),
  async open(target) {
    const url = target.url!;
    // A URL that does not parse is the driver's BAD_URL; the CA file needs its endpoint.
    let endpoint: string;
    try {
      endpoint = parseClickHouseUrl(url).endpoint;
    } catch {
      return new ClickHouseDriver(target.name, url, undefined, target.cluster);
    }
    // <NAME>_CA_FILE is read before the first connection attempt: an unreadable or non-PEM file
    // is exit 2 at once.
    const tls = await clickHouseTls({
      endpoint,
      database: target.name,
      caFileVariable: caFileVariable(target.urlVariable),
      env: strictEnv,
      read: (path) => Deno.readTextFile(path),
    });
    return new ClickHouseDriver(target.name, url, tls, target.cluster);
  },
};
