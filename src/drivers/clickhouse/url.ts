// ClickHouse URLs: where the HTTP interface is, who logs in, which database the migrations
// are for and which cluster they run on. Pure, and never puts a password in a message.

import { CLUSTER_URL_PARAMS, type ClusterInput } from "./cluster.ts";

/** Where a ClickHouse URL points. */
export interface ClickHouseTarget {
  /** `http://host:port` or `https://host:port`: what the HTTP client talks to. */
  endpoint: string;
  username: string;
  password: string;
  /** The ClickHouse database named by the URL's path (`default` when the path is empty). */
  database: string;
  /** The cluster parameters (`cluster`, `cluster_path`, ...), present only when the URL has any. */
  cluster?: ClusterInput;
}

/**
 * Reads `http://`, `https://` or `clickhouse://user:pass@host:port/database`. The path names the
 * ClickHouse database (`default` when empty); user and password are percent-decoded; a missing user
 * is `default`. The `user` and `password` query parameters of ClickHouse's HTTP interface work too
 * and win over the user and password before the `@` (a `+` in them is a `+`: percent-encode `&`,
 * `#`, `%` and `+`). `clickhouse://` is the HTTP interface, not the native protocol: it means `http`
 * on port 8123 unless it asks for TLS with `?secure=true` (or `secure=1`) or names port 8443,
 * ClickHouse's HTTPS port, which mean `https` (on 8443 when no port is given). `cluster`,
 * `cluster_path`, `cluster_replica` and `cluster_timeout` are kept, unchecked, for the driver
 * (cluster.ts checks them and merges them with db-migrate.yaml's). Other query parameters are refused rather than silently ignored. Throws an Error whose message holds no
 * password.
 */
export function parseClickHouseUrl(url: string): ClickHouseTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error("not a valid URL");
  }
  const scheme = u.protocol.slice(0, -1).toLowerCase();
  if (scheme !== "http" && scheme !== "https" && scheme !== "clickhouse") {
    throw new Error(`scheme "${scheme}:" is not http:, https: or clickhouse:`);
  }
  let secure = scheme === "https";
  let username = decodeURIComponent(u.username);
  let password = decodeURIComponent(u.password);
  let cluster: ClusterInput | undefined;
  // Raw pairs, percent-decoded only: URLSearchParams would turn a `+` in a password into a space.
  for (const pair of u.search.slice(1).split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const key = decodeQueryPart(eq < 0 ? pair : pair.slice(0, eq), "a parameter name");
    const value = decodeQueryPart(eq < 0 ? "" : pair.slice(eq + 1), `the value of "${key}"`);
    if (key === "user") {
      username = value;
    } else if (key === "password") {
      password = value;
    } else if (scheme === "clickhouse" && key === "secure") {
      if (!/^(true|1|false|0)$/i.test(value)) {
        throw new Error(`secure=${value} must be true or false`);
      }
      secure = /^(true|1)$/i.test(value);
    } else if (CLUSTER_URL_PARAMS.includes(key)) {
      cluster = { ...cluster, [key]: value };
    } else {
      throw new Error(
        `unknown URL parameter "${key}" (only user, password, ` +
          (scheme === "clickhouse" ? "secure, " : "") + `${CLUSTER_URL_PARAMS.join(", ")} ` +
          "are understood)",
      );
    }
  }
  if (!u.hostname) throw new Error("the URL names no host");
  let port = u.port;
  if (scheme === "clickhouse") {
    if (port === "8443") secure = true;
    if (!port) port = secure ? "8443" : "8123";
  }
  const path = decodeURIComponent(u.pathname).replace(/^\/+|\/+$/g, "");
  if (path.includes("/")) {
    throw new Error(`the path "/${path}" must name one database, as in http://host:8123/analytics`);
  }
  const host = u.hostname.includes(":") && !u.hostname.startsWith("[")
    ? `[${u.hostname}]`
    : u.hostname;
  return {
    endpoint: `${secure ? "https" : "http"}://${host}${port ? `:${port}` : ""}`,
    username: username || "default",
    password,
    database: path || "default",
    ...(cluster ? { cluster } : {}),
  };
}

// Percent-decodes part of a query; the message names what was bad, never its text (a password).
function decodeQueryPart(text: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new Error(`${what} is not valid percent-encoding`);
  }
}
