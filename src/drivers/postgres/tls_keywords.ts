// libpq's TLS keywords for one PostgreSQL database: taken out of the URL (postgres.js would send them
// to the server as settings), read with the PGSSL* variables that stand in for them (the URL wins),
// and checked. Deciding the mode and reading the files is postgres_tls.ts's.

import type { ConnectionOptions } from "node:tls";
import { ConfigError } from "../../core/errors.ts";
import { takeQueryParams } from "./url.ts";

// libpq's keywords db-migrate takes out of the URL, and the variables that stand in for them.
const ENV: Record<string, string | null> = {
  sslmode: "PGSSLMODE",
  sslrootcert: "PGSSLROOTCERT",
  sslcert: "PGSSLCERT",
  sslkey: "PGSSLKEY",
  sslpassword: null,
  sslsni: "PGSSLSNI",
  sslcrl: "PGSSLCRL",
  sslcrldir: "PGSSLCRLDIR",
  sslcertmode: "PGSSLCERTMODE",
  sslcompression: "PGSSLCOMPRESSION",
  ssl_min_protocol_version: "PGSSLMINPROTOCOLVERSION",
  ssl_max_protocol_version: "PGSSLMAXPROTOCOLVERSION",
};
const TLS_KEYS = new Set(Object.keys(ENV));

const PROTOCOLS = ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"] as const;

/** A keyword's value and what gave it. */
export interface Setting {
  value: string;
  /** `sslmode in POSTGRES_URL` or `PGSSLMODE`. */
  named: string;
}

/** What the keywords are read from. */
export interface KeywordSource {
  /** The database's URL. */
  url: string;
  database: string;
  /** What gave the URL, for messages: `POSTGRES_URL`. */
  urlSource: string;
  env: (name: string) => string | undefined;
}

/** One database's TLS keywords, from its URL first and the environment second. */
export interface Settings<I extends KeywordSource = KeywordSource> {
  input: I;
  /** The URL without the TLS keywords. */
  url: string;
  /** The keyword's value in the URL (not the environment), or null. */
  fromUrl(key: string): Setting | null;
  /** The keyword's value in the URL, else in its PGSSL* variable, or null. */
  get(key: string): Setting | null;
  /** The setting's value among `allowed` (any case); ConfigError naming it otherwise. */
  oneOf<T extends string>(s: Setting | null, allowed: readonly T[], what: string): T | null;
  /** A ConfigError for the database: BAD_URL when `named` is a URL parameter. */
  bad(named: string, message: string, hint: string): ConfigError;
}

/** The value, or undefined when it is empty (an empty keyword or variable counts as unset). */
export const nonEmpty = (v: string | undefined) => (v === undefined || v === "" ? undefined : v);

/**
 * Takes libpq's TLS keywords out of the URL and reads them, with their PGSSL* variables, for one
 * database. Throws ConfigError (BAD_URL) when a value is not valid percent-encoding.
 */
export function settingsOf<I extends KeywordSource>(input: I): Settings<I> {
  const { database } = input;
  let taken: ReturnType<typeof takeQueryParams>;
  try {
    taken = takeQueryParams(input.url, TLS_KEYS);
  } catch (err) {
    throw new ConfigError(
      "BAD_URL",
      `the URL of "${database}" (${input.urlSource}): ${(err as Error).message}`,
      { database },
    );
  }
  const bad = (named: string, message: string, hint: string) =>
    new ConfigError(named.includes(" in ") ? "BAD_URL" : "CONFIG", message, { database, hint });
  const fromUrl = (key: string): Setting | null => {
    const value = nonEmpty(taken.values.get(key));
    return value === undefined ? null : { value, named: `${key} in ${input.urlSource}` };
  };
  return {
    input,
    url: taken.url,
    fromUrl,
    get(key) {
      const variable = ENV[key];
      const value = variable ? nonEmpty(input.env(variable)) : undefined;
      return fromUrl(key) ?? (value === undefined ? null : { value, named: variable! });
    },
    oneOf(s, allowed, what) {
      if (s === null) return null;
      const found = allowed.find((a) => a.toLowerCase() === s.value.toLowerCase());
      if (found !== undefined) return found;
      throw bad(
        s.named,
        `${what} "${s.value}" (${s.named}) for database "${database}" is not one of ${
          allowed.join(", ")
        }`,
        `fix ${s.named}`,
      );
    },
    bad,
  };
}

/**
 * The keywords beside mode and files, checked, as node:tls options; what Deno's TLS cannot honour
 * (revocation lists, sslcertmode=require, TLS below 1.2 at most) is ConfigError (exit 2).
 */
export function tlsOptions(s: Settings): { certMode: string | null; options: ConnectionOptions } {
  const { database } = s.input;
  for (const key of ["sslcrl", "sslcrldir"]) {
    const crl = s.get(key);
    if (crl !== null) {
      throw s.bad(
        crl.named,
        `${crl.named} for database "${database}" asks for a certificate revocation list, which ` +
          "db-migrate cannot check (Deno's TLS has no CRL support)",
        `remove ${crl.named}; revoke by replacing the server's certificate and its CA`,
      );
    }
  }
  const certModeSetting = s.get("sslcertmode");
  const certMode = s.oneOf(certModeSetting, ["disable", "allow", "require"], "sslcertmode");
  if (certMode === "require") {
    throw s.bad(
      certModeSetting!.named,
      `sslcertmode=require (${certModeSetting!.named}) for database "${database}" is not supported`,
      "use sslcertmode=allow (the default): the client certificate is sent when the server asks",
    );
  }
  const sni = s.oneOf(s.get("sslsni"), ["0", "1"], "sslsni");
  s.oneOf(s.get("sslcompression"), ["0", "1"], "sslcompression"); // no TLS library compresses now
  const minVersion = s.oneOf(
    s.get("ssl_min_protocol_version"),
    PROTOCOLS,
    "ssl_min_protocol_version",
  );
  const maxSetting = s.get("ssl_max_protocol_version");
  const maxVersion = s.oneOf(maxSetting, PROTOCOLS, "ssl_max_protocol_version");
  if (maxVersion === "TLSv1" || maxVersion === "TLSv1.1") {
    throw s.bad(
      maxSetting!.named,
      `ssl_max_protocol_version=${maxVersion} (${maxSetting!.named}) for database "${database}" ` +
        "cannot be met: db-migrate speaks TLS 1.2 and 1.3 only",
      `raise ${maxSetting!.named} to TLSv1.2 or remove it`,
    );
  }
  if (minVersion === "TLSv1.3" && maxVersion === "TLSv1.2") {
    throw s.bad(
      maxSetting!.named,
      `ssl_min_protocol_version=TLSv1.3 and ssl_max_protocol_version=TLSv1.2 for database ` +
        `"${database}" leave no version to use`,
      "fix one of them",
    );
  }
  const options: ConnectionOptions = {};
  // postgres.js sets servername (SNI) to a host name; undefined turns it off, as sslsni=0 does.
  if (sni === "0") options.servername = undefined;
  if (minVersion === "TLSv1.3") options.minVersion = "TLSv1.3";
  if (maxVersion === "TLSv1.2" || maxVersion === "TLSv1.3") options.maxVersion = maxVersion;
  return { certMode, options };
}
