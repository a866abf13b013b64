// Whether a database is one a destructive development command (reset, seed --reset) may touch:
// on this machine by its URL alone (a loopback address, a Unix socket, the embedded PostgreSQL),
// or named by the operator in DB_MIGRATE_ALLOW_RESET. The URL is judged as written, never by
// resolving its host name: a name that happens to resolve to 127.0.0.1 here may be a production
// server from the machine the command is copied to.

import { ConfigError } from "./errors.ts";
import { redactUrl } from "./redact.ts";
import type { DatabaseConfig } from "./types.ts";

/** The variable that allows reset and seed --reset on databases that are not local. */
export const ALLOW_RESET = "DB_MIGRATE_ALLOW_RESET";

/** Whether a host, as a URL spells it, is this machine: `localhost`, 127.0.0.0/8 or ::1. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "");
  if (h === "localhost") return true;
  if (/^127(\.\d{1,3}){3}$/.test(h)) return h.split(".").every((p) => Number(p) <= 255);
  if (h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
  // An IPv4-mapped IPv6 loopback address, as URL normalises it (::ffff:7f00:1).
  return /^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(h) || /^::ffff:127(\.\d{1,3}){3}$/.test(h);
}

/**
 * Where a database is, as far as reset cares: `embedded`, `socket`, `loopback`, or the host name
 * of a server elsewhere.
 */
export function whereIs(target: DatabaseConfig): "embedded" | "socket" | "loopback" | string {
  if (target.url === null) return "embedded";
  let url: URL;
  try {
    url = new URL(target.url);
  } catch {
    return "an unparsable URL";
  }
  if (target.kind === "postgres") {
    // libpq: a host (in the URL or its host= parameter) that starts with "/" is a socket folder;
    // no host at all is the default socket.
    const param = url.searchParams.get("host");
    const host = param ?? decodeURIComponent(url.hostname);
    if (host === "" || host.startsWith("/")) return "socket";
    if (param !== null) return isLoopbackHost(param) ? "loopback" : param;
  }
  return isLoopbackHost(url.hostname) ? "loopback" : url.hostname;
}

/** The names DB_MIGRATE_ALLOW_RESET lists (separated by commas or blanks). */
export function allowedNames(value: string | undefined): Set<string> {
  return new Set((value ?? "").split(/[\s,]+/).filter((n) => n !== ""));
}

/**
 * Refuses (exit 2, NOT_LOCAL) a destructive development command on a database that is not on this
 * machine, unless DB_MIGRATE_ALLOW_RESET names it.
 */
export function checkLocal(
  target: DatabaseConfig,
  command: string,
  allow: string | undefined,
): void {
  const where = whereIs(target);
  if (where === "embedded" || where === "socket" || where === "loopback") return;
  if (allowedNames(allow).has(target.name)) return;
  throw new ConfigError(
    "NOT_LOCAL",
    `${command} refuses "${target.name}": its URL (${
      redactUrl(target.url ?? "")
    }) names the host "${where}", not a loopback address, a Unix socket or the embedded ` +
      "PostgreSQL: nothing changed",
    {
      database: target.name,
      hint: `${command} is for development databases; to allow it on this one, set ` +
        `${ALLOW_RESET}=${target.name}`,
    },
  );
}
