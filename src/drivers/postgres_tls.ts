// libpq's TLS settings (`sslmode`, `sslrootcert`, `sslcert`, `sslkey`, … in the URL's query, or
// PGSSLMODE, PGSSLROOTCERT, … in the environment), plus `<NAME>_CA_FILE`, turned into postgres.js's
// `ssl` option. postgres.js knows `sslmode` but not the files, and would send the other parameters
// to the server as settings (`unrecognized configuration parameter "sslrootcert"`), so every TLS
// parameter is taken out of the URL here. What libpq does and where we differ: docs/tls-design.md.

import { checkServerIdentity, type ConnectionOptions, type PeerCertificate } from "node:tls";
import { ConfigError } from "../errors.ts";
import { takeQueryParams } from "./postgres_url.ts";
import type { TlsSetup } from "./tls_errors.ts";
import {
  describeFile,
  isEncryptedKey,
  readDefaultPem,
  readPem,
  type ReadText,
  type TlsFileRef,
} from "./tls_files.ts";

/** libpq's sslmode values, weakest first. */
export const SSL_MODES = [
  "disable",
  "allow",
  "prefer",
  "require",
  "verify-ca",
  "verify-full",
] as const;

/** One of libpq's sslmode values. */
export type SslMode = typeof SSL_MODES[number];

/** What postgres.js takes as its `ssl` option. */
export type PgSsl = false | "prefer" | "require" | ConnectionOptions;

/** Where the TLS settings of one PostgreSQL database come from. */
export interface PgTlsInput {
  /** The database's URL (with or without its login parameters). */
  url: string;
  database: string;
  /** What gave the URL, for messages: `POSTGRES_URL`, `POSTGRES_URL_FILE`. */
  urlSource: string;
  /** The variable that names this database's CA bundle: `POSTGRES_CA_FILE`. */
  caFileVariable: string;
  env: (name: string) => string | undefined;
  read: ReadText;
  /** The home directory, for libpq's default files under ~/.postgresql; none when undefined. */
  home?: string | undefined;
}

/** TLS for postgres.js: the URL without TLS parameters, the `ssl` option, and what it means. */
export interface PgTls {
  url: string;
  ssl: PgSsl;
  /** The mode in force: `require` with a CA is `verify-ca`, as in libpq. */
  mode: SslMode;
  /** For tlsFailure(), when the connection fails. */
  setup: TlsSetup;
}

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

interface Setting {
  value: string;
  /** `sslmode in POSTGRES_URL` or `PGSSLMODE`. */
  named: string;
}

/**
 * The hosts a URL names (several when comma-separated, as postgres.js and libpq allow), without
 * ports; PGHOST or `localhost` when it names none. A host with a `/` is a Unix socket directory.
 */
export function pgHosts(url: string, env: (name: string) => string | undefined): string[] {
  const scheme = url.indexOf("://");
  const rest = scheme < 0 ? "" : url.slice(scheme + 3);
  const end = rest.search(/[/?#]/);
  const authority = end < 0 ? rest : rest.slice(0, end);
  let hostPart = authority.slice(authority.lastIndexOf("@") + 1);
  try {
    hostPart = decodeURIComponent(hostPart);
  } catch {
    // left as written; the URL's own check reports it
  }
  const hosts = hostPart.split(",").map((h) =>
    h.startsWith("[") ? h.slice(1, Math.max(1, h.indexOf("]"))) : h.replace(/:\d*$/, "")
  ).filter((h) => h !== "");
  if (hosts.length > 0) return hosts;
  const fromEnv = env("PGHOST")?.split(",").filter((h) => h !== "") ?? [];
  return fromEnv.length > 0 ? fromEnv : ["localhost"];
}

/**
 * verify-full's name check against every host of the URL: postgres.js hands node:tls no host for
 * an IP address, so node:tls would check the certificate against `localhost`. With several hosts,
 * the certificate must name one of them (node:tls does not say which one the socket reached).
 */
function hostCheck(hosts: string[]) {
  return (_name: string, cert: PeerCertificate): Error | undefined => {
    let first: Error | undefined;
    for (const host of hosts) {
      const err = checkServerIdentity(host, cert);
      if (err === undefined) return undefined;
      first ??= err;
    }
    return first;
  };
}

/**
 * Reads libpq's TLS settings for one database from its URL and the environment, reads the files
 * they name (CA, client certificate and key), and returns postgres.js's `ssl` option with the URL
 * stripped of them. Bad values, contradictions and unreadable files are ConfigError (exit 2),
 * naming the file, the parameter or variable and the database, never a key or a password.
 */
export async function pgTls(input: PgTlsInput): Promise<PgTls> {
  const { database } = input;
  const bad = (named: string, message: string, hint: string) =>
    new ConfigError(named.includes(" in ") ? "BAD_URL" : "CONFIG", message, { database, hint });

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
  const nonEmpty = (v: string | undefined) => (v === undefined || v === "" ? undefined : v);
  const fromUrl = (key: string): Setting | null => {
    const value = nonEmpty(taken.values.get(key));
    return value === undefined ? null : { value, named: `${key} in ${input.urlSource}` };
  };
  const get = (key: string): Setting | null => {
    const variable = ENV[key];
    const value = variable ? nonEmpty(input.env(variable)) : undefined;
    return fromUrl(key) ?? (value === undefined ? null : { value, named: variable! });
  };
  const oneOf = <T extends string>(s: Setting | null, allowed: readonly T[], what: string) => {
    if (s === null) return null;
    const found = allowed.find((a) => a.toLowerCase() === s.value.toLowerCase());
    if (found === undefined) {
      throw bad(
        s.named,
        `${what} "${s.value}" (${s.named}) for database "${database}" is not one of ${
          allowed.join(", ")
        }`,
        `fix ${s.named}`,
      );
    }
    return found;
  };

  // --- what the settings say ---------------------------------------------------------------------

  for (const key of ["sslcrl", "sslcrldir"]) {
    const s = get(key);
    if (s !== null) {
      throw bad(
        s.named,
        `${s.named} for database "${database}" asks for a certificate revocation list, which ` +
          "db-migrate cannot check (Deno's TLS has no CRL support)",
        `remove ${s.named}; revoke by replacing the server's certificate and its CA`,
      );
    }
  }
  const certMode = oneOf(get("sslcertmode"), ["disable", "allow", "require"], "sslcertmode");
  if (certMode === "require") {
    const s = get("sslcertmode")!;
    throw bad(
      s.named,
      `sslcertmode=require (${s.named}) for database "${database}" is not supported`,
      "use sslcertmode=allow (the default): the client certificate is sent when the server asks",
    );
  }
  const sni = oneOf(get("sslsni"), ["0", "1"], "sslsni");
  oneOf(get("sslcompression"), ["0", "1"], "sslcompression"); // no TLS library compresses anymore
  const minVersion = oneOf(get("ssl_min_protocol_version"), PROTOCOLS, "ssl_min_protocol_version");
  const maxSetting = get("ssl_max_protocol_version");
  const maxVersion = oneOf(maxSetting, PROTOCOLS, "ssl_max_protocol_version");
  if (maxVersion === "TLSv1" || maxVersion === "TLSv1.1") {
    throw bad(
      maxSetting!.named,
      `ssl_max_protocol_version=${maxVersion} (${maxSetting!.named}) for database "${database}" ` +
        "cannot be met: db-migrate speaks TLS 1.2 and 1.3 only",
      `raise ${maxSetting!.named} to TLSv1.2 or remove it`,
    );
  }
  if (minVersion === "TLSv1.3" && maxVersion === "TLSv1.2") {
    throw bad(
      maxSetting!.named,
      `ssl_min_protocol_version=TLSv1.3 and ssl_max_protocol_version=TLSv1.2 for database ` +
        `"${database}" leave no version to use`,
      "fix one of them",
    );
  }

  // The CA: the URL's sslrootcert, else this database's <NAME>_CA_FILE, else PGSSLROOTCERT, else
  // libpq's ~/.postgresql/root.crt. The first two are this database's own: they make verify-full
  // the default, and a mode that would not use them is a contradiction.
  const urlRoot = fromUrl("sslrootcert");
  const varRoot = nonEmpty(input.env(input.caFileVariable));
  const envRoot = nonEmpty(input.env("PGSSLROOTCERT"));
  const root: Setting | null = urlRoot ??
    (varRoot !== undefined
      ? { value: varRoot, named: input.caFileVariable }
      : envRoot !== undefined
      ? { value: envRoot, named: "PGSSLROOTCERT" }
      : null);
  const ownRoot = urlRoot !== null || varRoot !== undefined;
  // sslrootcert=system is a keyword, not a file; <NAME>_CA_FILE always names a file.
  const system = root !== null && root.value === "system" && root.named !== input.caFileVariable;

  const modeSetting = get("sslmode");
  const mode: SslMode = oneOf(modeSetting, SSL_MODES, "sslmode") ??
    (ownRoot || system ? "verify-full" : "prefer");
  const modeWords = `sslmode=${mode} (${
    modeSetting !== null
      ? modeSetting.named
      : system
      ? "the default with sslrootcert=system"
      : ownRoot
      ? "the default when a CA is named"
      : "libpq's default"
  })`;

  if (system && mode !== "verify-full") {
    throw bad(
      root!.named,
      `sslrootcert=system (${root!.named}) for database "${database}" needs sslmode=verify-full, ` +
        `not ${mode}: any certificate a public CA issued would pass a weaker check`,
      "use sslmode=verify-full, or name the CA's file instead of system",
    );
  }
  if (ownRoot && (mode === "disable" || mode === "allow" || mode === "prefer")) {
    throw bad(
      modeSetting?.named ?? root!.named,
      `${root!.named} names a CA for database "${database}", but ${modeWords} does not check ` +
        "the server's certificate",
      `use sslmode=verify-full (or verify-ca) to check it, or remove ${root!.named}`,
    );
  }

  const hosts = pgHosts(taken.url, input.env);
  const setup: TlsSetup = {
    kind: "postgres",
    mode: modeWords,
    checksName: mode === "verify-full",
    ca: null,
    clientCert: null,
    caFix: urlRoot !== null && system
      ? "name the CA's file with sslrootcert=FILE in the URL instead of sslrootcert=system"
      : `set ${input.caFileVariable} to the CA's certificate (PEM), or name it with sslrootcert ` +
        "in the URL",
  };
  // libpq never uses TLS on a Unix socket; neither does postgres.js (it would try, and fail).
  if (mode === "disable" || hosts.every((h) => h.includes("/"))) {
    return { url: taken.url, ssl: false, mode, setup };
  }
  const files = { database, read: input.read };
  const home = input.home;

  // --- the files ---------------------------------------------------------------------------------

  const checks = mode === "require" || mode === "verify-ca" || mode === "verify-full";
  let ca: string | null = null;
  if (checks && !system) {
    let ref: TlsFileRef | null = null;
    if (root !== null) {
      ref = { path: root.value, named: root.named };
      ca = await readPem(ref, "CA certificate", files);
    } else if (home !== undefined) {
      ref = { path: `${home}/.postgresql/root.crt`, named: "libpq's default sslrootcert" };
      ca = await readDefaultPem(ref, "CA certificate", files);
    }
    if (ca !== null) setup.ca = describeFile(ref!);
    if (ca === null && mode !== "require") {
      throw bad(
        modeSetting?.named ?? "PGSSLMODE",
        `${modeWords} for database "${database}" checks the server's certificate against a CA, ` +
          "and none is named",
        `set ${input.caFileVariable} to the CA's certificate (PEM), or add sslrootcert=FILE to ` +
          "the URL (sslrootcert=system trusts the system's CAs)",
      );
    }
  }
  const effective: SslMode = mode === "require" && ca !== null ? "verify-ca" : mode;
  if (effective !== mode) setup.mode = `${modeWords}, checked as verify-ca since a CA is named`;

  // The client certificate: sslcert (or PGSSLCERT), else ~/.postgresql/postgresql.crt when the
  // mode requires TLS. Unlike libpq, a certificate named but missing is an error, not ignored.
  let cert: string | null = null;
  let key: string | null = null;
  let passphrase: string | undefined;
  const certSetting = get("sslcert");
  if (certMode !== "disable") {
    let certRef: TlsFileRef | null = null;
    if (certSetting !== null) {
      certRef = { path: certSetting.value, named: certSetting.named };
      cert = await readPem(certRef, "client certificate", files);
    } else if (checks && home !== undefined) {
      certRef = { path: `${home}/.postgresql/postgresql.crt`, named: "libpq's default sslcert" };
      cert = await readDefaultPem(certRef, "client certificate", files);
    }
    if (cert !== null) {
      setup.clientCert = describeFile(certRef!);
      const keySetting = get("sslkey");
      const keyRef: TlsFileRef | null = keySetting !== null
        ? { path: keySetting.value, named: keySetting.named }
        : home !== undefined
        ? { path: `${home}/.postgresql/postgresql.key`, named: "libpq's default sslkey" }
        : null;
      key = keyRef === null
        ? null
        : keySetting !== null
        ? await readPem(keyRef, "client key", files)
        : await readDefaultPem(keyRef, "client key", files);
      if (key === null) {
        throw bad(
          certRef!.named,
          `the client certificate ${describeFile(certRef!)} for database "${database}" has no ` +
            `key${keyRef === null ? "" : `: ${describeFile(keyRef)} is missing`}`,
          "name the key's file with sslkey in the URL (or PGSSLKEY)",
        );
      }
      passphrase = nonEmpty(taken.values.get("sslpassword"));
      if (isEncryptedKey(key) && passphrase === undefined) {
        throw bad(
          keyRef!.named,
          `the client key ${describeFile(keyRef!)} for database "${database}" is encrypted, ` +
            "and no sslpassword is given",
          "add sslpassword=… to the URL (it is never printed), or decrypt the key with " +
            "`openssl pkey -in KEY -out KEY.plain`",
        );
      }
    }
  }

  // --- postgres.js's option ----------------------------------------------------------------------

  const options: ConnectionOptions = {};
  if (cert !== null && key !== null) {
    options.cert = cert;
    options.key = key;
    if (passphrase !== undefined) options.passphrase = passphrase;
  }
  // postgres.js sets servername (SNI) to a host name; undefined turns it off, as sslsni=0 does.
  if (sni === "0") options.servername = undefined;
  if (minVersion === "TLSv1.3") options.minVersion = "TLSv1.3";
  if (maxVersion === "TLSv1.2" || maxVersion === "TLSv1.3") options.maxVersion = maxVersion;
  const plain = Object.keys(options).length === 0;

  let ssl: PgSsl;
  switch (effective) {
    case "allow":
    case "prefer":
      // postgres.js's "prefer" falls back to plain text when the server has no TLS, and checks
      // nothing, as libpq's prefer without a CA. A client certificate needs TLS, so it asks for it.
      ssl = cert === null ? "prefer" : { ...options, rejectUnauthorized: false };
      break;
    case "require":
      ssl = plain ? "require" : { ...options, rejectUnauthorized: false };
      break;
    case "verify-ca":
      ssl = { ...options, ca: ca!, checkServerIdentity: () => undefined };
      break;
    default:
      ssl = { ...options, ...(ca === null ? {} : { ca }), checkServerIdentity: hostCheck(hosts) };
  }
  if (system) setup.ca = null;
  return { url: taken.url, ssl, mode: effective, setup };
}
