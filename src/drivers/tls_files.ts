// Certificates and keys for TLS connections are files: a CA bundle mounted from a secret
// (`<NAME>_CA_FILE`), libpq's `sslrootcert`, `sslcert`, `sslkey`. Both drivers read them here, so a
// missing or wrong file is one kind of error (exit 2, before any database is touched) that names
// the file, the variable or parameter that named it, and the database; never a key or a password.

import { ConfigError } from "../core/errors.ts";

/** Reads a file as text; rejects (Deno.errors.NotFound, …) when it cannot. */
export type ReadText = (path: string) => Promise<string>;

/** A file named for TLS, and what named it (`POSTGRES_CA_FILE`, `sslrootcert in POSTGRES_URL`). */
export interface TlsFileRef {
  path: string;
  named: string;
}

/** The kinds of PEM content a TLS file must hold. */
export type PemKind = "CA certificate" | "client certificate" | "client key";

/** `POSTGRES_URL` → `POSTGRES_CA_FILE`: the CA bundle of the database the URL variable is for. */
export function caFileVariable(urlVariable: string): string {
  return `${urlVariable.replace(/_URL$/, "")}_CA_FILE`;
}

/** `"/run/secrets/ca.pem" (POSTGRES_CA_FILE)`, for messages. */
export function describeFile(ref: TlsFileRef): string {
  return `"${ref.path}" (${ref.named})`;
}

/** Why a file could not be read, in a few words (Deno's messages repeat the path). */
function readFailure(err: unknown): string {
  if (err instanceof Deno.errors.NotFound) return "no such file";
  if (err instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (err instanceof Deno.errors.NotCapable) {
    return "db-migrate is not allowed to read it (Deno's --allow-read)";
  }
  if (err instanceof Deno.errors.IsADirectory) return "it is a directory";
  return err instanceof Error ? err.message : String(err);
}

const PEM = {
  "CA certificate": /-----BEGIN CERTIFICATE-----/,
  "client certificate": /-----BEGIN CERTIFICATE-----/,
  "client key": /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/,
} as const;

/** Whether a PEM private key is encrypted (PKCS#8 or the older Proc-Type header). */
export function isEncryptedKey(pem: string): boolean {
  return /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type:\s*4,ENCRYPTED/.test(pem);
}

/**
 * Reads a PEM file named for TLS. Throws ConfigError (exit 2) naming the file, what named it and
 * the database when the file cannot be read or holds no PEM block of the kind.
 */
export async function readPem(
  ref: TlsFileRef,
  kind: PemKind,
  opts: { database: string; read: ReadText },
): Promise<string> {
  return (await readPemFile(ref, kind, opts, false))!;
}

/**
 * Reads one of libpq's default files (~/.postgresql/root.crt, …) when it is there: null when it is
 * absent or outside what this process may read (the container's permissions); otherwise as readPem.
 */
export function readDefaultPem(
  ref: TlsFileRef,
  kind: PemKind,
  opts: { database: string; read: ReadText },
): Promise<string | null> {
  return readPemFile(ref, kind, opts, true);
}

async function readPemFile(
  ref: TlsFileRef,
  kind: PemKind,
  opts: { database: string; read: ReadText },
  optional: boolean,
): Promise<string | null> {
  let text: string;
  try {
    text = await opts.read(ref.path);
  } catch (err) {
    const absent = err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotCapable ||
      err instanceof Deno.errors.NotADirectory;
    if (optional && absent) return null;
    throw new ConfigError(
      "CONFIG",
      `cannot read the ${kind} ${describeFile(ref)} for database "${opts.database}": ${
        readFailure(err)
      }`,
      {
        database: opts.database,
        hint: err instanceof Deno.errors.NotCapable
          ? "put the file under a path db-migrate may read (/run/secrets in the image), or run " +
            "with --allow-read"
          : `mount the file at that path, or fix ${ref.named}`,
      },
    );
  }
  if (!PEM[kind].test(text)) {
    throw new ConfigError(
      "CONFIG",
      `the ${kind} ${describeFile(ref)} for database "${opts.database}" holds no PEM ${
        kind === "client key" ? "private key" : "certificate"
      }`,
      {
        database: opts.database,
        hint: kind === "client key"
          ? "give the key in PEM (-----BEGIN PRIVATE KEY-----); convert a DER key with " +
            "`openssl pkey -inform der -in KEY -out KEY.pem`"
          : "give the certificate in PEM (-----BEGIN CERTIFICATE-----); convert a DER file with " +
            "`openssl x509 -inform der -in CERT -out CERT.pem`",
      },
    );
  }
  if (kind !== "client key") await checkCertificates(ref, kind, text, opts.database);
  return text;
}

/**
 * Parses every certificate of a PEM file: node:tls would skip a broken one with a warning and
 * then fail every handshake as if the CA were unknown.
 */
async function checkCertificates(ref: TlsFileRef, kind: PemKind, text: string, database: string) {
  const { X509Certificate } = await import("node:crypto");
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[^-]*-----END CERTIFICATE-----/g) ?? [];
  blocks.forEach((block, i) => {
    try {
      new X509Certificate(block);
    } catch (err) {
      throw new ConfigError(
        "CONFIG",
        `the ${kind} ${describeFile(ref)} for database "${database}" is not a valid ` +
          `certificate${blocks.length > 1 ? ` (certificate ${i + 1} of ${blocks.length})` : ""}: ${
            (err as Error).message
          }`,
        { database, hint: `fix the file, or ${ref.named}` },
      );
    }
  });
}
