// libpq's TLS settings (`sslmode`, `sslrootcert`, `sslcert`, `sslkey`, … in the URL's query, or
// PGSSLMODE, PGSSLROOTCERT, … in the environment), plus `<NAME>_CA_FILE`, turned into postgres.js's
// `ssl` option, with the files they name read. The keywords themselves are read and checked in
// postgres_tls_keywords.ts. What libpq does and where we differ: docs/tls-design.md.

import { checkServerIdentity, type ConnectionOptions, type PeerCertificate } from "node:tls";
import { nonEmpty, type Setting, type Settings, settingsOf, tlsOptions } from "./tls_keywords.ts";
import type { TlsSetup } from "../tls_errors.ts";
import {
  describeFile,
  isEncryptedKey,
  readDefaultPem,
  readPem,
  type ReadText,
  type TlsFileRef,
} from "../tls_files.ts";

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

/** The mode and where the CA comes from, with libpq's rules and our contradictions checked. */
function modeAndRoot(s: Settings<PgTlsInput>) {
  const { database, caFileVariable } = s.input;
  // The CA: the URL's sslrootcert, else this database's <NAME>_CA_FILE, else PGSSLROOTCERT (else
  // libpq's ~/.postgresql/root.crt, read later). The first two are this database's own: they make
  // verify-full the default, and a mode that would not use them is a contradiction.
  const urlRoot = s.fromUrl("sslrootcert");
  const varRoot = nonEmpty(s.input.env(caFileVariable));
  const envRoot = nonEmpty(s.input.env("PGSSLROOTCERT"));
  const root: Setting | null = urlRoot ??
    (varRoot !== undefined
      ? { value: varRoot, named: caFileVariable }
      : envRoot !== undefined
      ? { value: envRoot, named: "PGSSLROOTCERT" }
      : null);
  const ownRoot = urlRoot !== null || varRoot !== undefined;
  // sslrootcert=system is a keyword, not a file; <NAME>_CA_FILE always names a file.
  const system = root !== null && root.value === "system" && root.named !== caFileVariable;

  const modeSetting = s.get("sslmode");
  const mode: SslMode = s.oneOf(modeSetting, SSL_MODES, "sslmode") ??
    (ownRoot || system ? "verify-full" : "prefer");
  const words = `sslmode=${mode} (${
    modeSetting !== null
      ? modeSetting.named
      : system
      ? "the default with sslrootcert=system"
      : ownRoot
      ? "the default when a CA is named"
      : "libpq's default"
  })`;

  if (system && mode !== "verify-full") {
    throw s.bad(
      root!.named,
      `sslrootcert=system (${root!.named}) for database "${database}" needs sslmode=verify-full, ` +
        `not ${mode}: any certificate a public CA issued would pass a weaker check`,
      "use sslmode=verify-full, or name the CA's file instead of system",
    );
  }
  if (ownRoot && (mode === "disable" || mode === "allow" || mode === "prefer")) {
    throw s.bad(
      modeSetting?.named ?? root!.named,
      `${root!.named} names a CA for database "${database}", but ${words} does not check ` +
        "the server's certificate",
      `use sslmode=verify-full (or verify-ca) to check it, or remove ${root!.named}`,
    );
  }
  const caFix = urlRoot !== null && system
    ? "name the CA's file with sslrootcert=FILE in the URL instead of sslrootcert=system"
    : `set ${caFileVariable} to the CA's certificate (PEM), or name it with sslrootcert in the URL`;
  return { mode, modeSetting, words, root, system, caFix };
}

/** The CA's PEM and its file (root, else ~/.postgresql/root.crt), or null when there is none. */
async function readCa(s: Settings<PgTlsInput>, root: Setting | null) {
  const files = { database: s.input.database, read: s.input.read };
  if (root !== null) {
    const ref = { path: root.value, named: root.named };
    return { pem: await readPem(ref, "CA certificate", files), ref };
  }
  if (s.input.home === undefined) return null;
  const ref = {
    path: `${s.input.home}/.postgresql/root.crt`,
    named: "libpq's default sslrootcert",
  };
  const pem = await readDefaultPem(ref, "CA certificate", files);
  return pem === null ? null : { pem, ref };
}

/**
 * The client certificate and key: sslcert (or PGSSLCERT), else ~/.postgresql/postgresql.crt when
 * `defaults` (the mode requires TLS); null when there is none. Unlike libpq, a certificate named
 * but missing is an error, not ignored.
 */
async function readClientCert(s: Settings<PgTlsInput>, defaults: boolean) {
  const { database, home } = s.input;
  const files = { database, read: s.input.read };
  const certSetting = s.get("sslcert");
  let certRef: TlsFileRef;
  let cert: string | null;
  if (certSetting !== null) {
    certRef = { path: certSetting.value, named: certSetting.named };
    cert = await readPem(certRef, "client certificate", files);
  } else if (defaults && home !== undefined) {
    certRef = { path: `${home}/.postgresql/postgresql.crt`, named: "libpq's default sslcert" };
    cert = await readDefaultPem(certRef, "client certificate", files);
  } else {
    return null;
  }
  if (cert === null) return null;
  const keySetting = s.get("sslkey");
  const keyRef: TlsFileRef | null = keySetting !== null
    ? { path: keySetting.value, named: keySetting.named }
    : home !== undefined
    ? { path: `${home}/.postgresql/postgresql.key`, named: "libpq's default sslkey" }
    : null;
  const key = keyRef === null
    ? null
    : keySetting !== null
    ? await readPem(keyRef, "client key", files)
    : await readDefaultPem(keyRef, "client key", files);
  if (key === null) {
    throw s.bad(
      certRef.named,
      `the client certificate ${describeFile(certRef)} for database "${database}" has no key${
        keyRef === null ? "" : `: ${describeFile(keyRef)} is missing`
      }`,
      "name the key's file with sslkey in the URL (or PGSSLKEY)",
    );
  }
  const passphrase = nonEmpty(s.fromUrl("sslpassword")?.value);
  if (isEncryptedKey(key) && passphrase === undefined) {
    throw s.bad(
      keyRef!.named,
      `the client key ${describeFile(keyRef!)} for database "${database}" is encrypted, and no ` +
        "sslpassword is given",
      "add sslpassword=… to the URL (it is never printed), or decrypt the key with " +
        "`openssl pkey -in KEY -out KEY.plain`",
    );
  }
  return { cert, key, ...(passphrase === undefined ? {} : { passphrase }), ref: certRef };
}

/**
 * Reads libpq's TLS settings for one database from its URL and the environment, reads the files
 * they name (CA, client certificate and key), and returns postgres.js's `ssl` option with the URL
 * stripped of them. Bad values, contradictions and unreadable files are ConfigError (exit 2),
 * naming the file, the parameter or variable and the database, never a key or a password.
 */
export async function pgTls(input: PgTlsInput): Promise<PgTls> {
  const s = settingsOf(input);
  const { certMode, options } = tlsOptions(s);
  const { mode, modeSetting, words, root, system, caFix } = modeAndRoot(s);
  const hosts = pgHosts(s.url, input.env);
  const setup: TlsSetup = {
    kind: "postgres",
    mode: words,
    checksName: mode === "verify-full",
    ca: null,
    clientCert: null,
    caFix,
  };
  // libpq never uses TLS on a Unix socket; neither does postgres.js (it would try, and fail).
  if (mode === "disable" || hosts.every((h) => h.includes("/"))) {
    return { url: s.url, ssl: false, mode, setup };
  }

  const checks = mode === "require" || mode === "verify-ca" || mode === "verify-full";
  const ca = checks && !system ? await readCa(s, root) : null;
  if (ca !== null) setup.ca = describeFile(ca.ref);
  if (ca === null && !system && (mode === "verify-ca" || mode === "verify-full")) {
    throw s.bad(
      modeSetting!.named,
      `${words} for database "${input.database}" checks the server's certificate against a CA, ` +
        "and none is named",
      `set ${input.caFileVariable} to the CA's certificate (PEM), or add sslrootcert=FILE to ` +
        "the URL (sslrootcert=system trusts the system's CAs)",
    );
  }
  // libpq checks require as verify-ca when a CA is there.
  const effective: SslMode = mode === "require" && ca !== null ? "verify-ca" : mode;
  if (effective !== mode) setup.mode = `${words}, checked as verify-ca since a CA is named`;

  const client = certMode === "disable" ? null : await readClientCert(s, checks);
  if (client !== null) {
    setup.clientCert = describeFile(client.ref);
    options.cert = client.cert;
    options.key = client.key;
    if (client.passphrase !== undefined) options.passphrase = client.passphrase;
  }

  let ssl: PgSsl;
  switch (effective) {
    case "allow":
    case "prefer":
      // postgres.js's "prefer" falls back to plain text when the server has no TLS, and checks
      // nothing, as libpq's prefer without a CA. A client certificate needs TLS, so it asks for it.
      ssl = client === null ? "prefer" : { ...options, rejectUnauthorized: false };
      break;
    case "require":
      ssl = Object.keys(options).length === 0
        ? "require"
        : { ...options, rejectUnauthorized: false };
      break;
    case "verify-ca":
      ssl = { ...options, ca: ca!.pem, checkServerIdentity: () => undefined };
      break;
    default:
      ssl = {
        ...options,
        ...(ca === null ? {} : { ca: ca.pem }),
        checkServerIdentity: hostCheck(hosts),
      };
  }
  return { url: s.url, ssl, mode: effective, setup };
}
