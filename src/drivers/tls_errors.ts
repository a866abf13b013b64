// A failed TLS handshake reaches us as a terse library error: node:tls's codes
// (`SELF_SIGNED_CERT_IN_CHAIN`, `ERR_TLS_CERT_ALTNAME_INVALID`) under postgres.js, rustls's names
// (`invalid peer certificate: UnknownIssuer`) under fetch. Here it becomes what a user needs: the
// database, the cause in words, and the fix. Certificate problems do not go away by waiting, so
// they stop the connection attempts at once (exit 4) instead of retrying until --wait runs out.

import { UnreachableError } from "../core/errors.ts";

/** How a connection's TLS was set up, for the messages about it. */
export interface TlsSetup {
  kind: "postgres" | "clickhouse";
  /** PostgreSQL's TLS settings in words, `sslmode=verify-full (PGSSLMODE)`; "" for ClickHouse's https. */
  mode: string;
  /** Whether the server's name is checked against its certificate (verify-full, https). */
  checksName: boolean;
  /** The CA the certificate is checked against: `"/run/secrets/ca.pem" (POSTGRES_CA_FILE)`; null for the system's trusted CAs. */
  ca: string | null;
  /** The client certificate sent, described as `ca` is, or null when none is. */
  clientCert: string | null;
  /** How to trust the right CA, for the hint when the certificate's CA is unknown and `ca` is null. */
  caFix: string;
}

/** What went wrong, in the words the message uses. */
export type TlsProblem =
  | "unknown CA"
  | "host name mismatch"
  | "expired"
  | "not yet valid"
  | "client certificate refused"
  | "no TLS"
  | "handshake";

/** A TLS failure explained: `message` follows `cannot connect to "db" at TARGET: `. */
export interface TlsFailure {
  problem: TlsProblem;
  /** Whether waiting cannot help (a certificate problem), so the run stops at once. */
  permanent: boolean;
  message: string;
  hint: string;
}

interface Clue {
  codes: string[];
  texts: string[];
  /** node:tls's reason for a name mismatch: `Host: db. is not in the cert's altnames: DNS:x`. */
  reason?: string;
  /** The names of the certificate node:tls rejected: `DNS:localhost, IP Address:127.0.0.1`. */
  altNames?: string;
}

/** The codes and messages of an error and of its causes (fetch hides the reason in `cause`). */
function clues(err: unknown): Clue {
  const out: Clue = { codes: [], texts: [] };
  let e = err as
    | { code?: unknown; message?: unknown; reason?: unknown; cert?: unknown; cause?: unknown }
    | null;
  for (let depth = 0; e && typeof e === "object" && depth < 5; depth++) {
    if (typeof e.code === "string") out.codes.push(e.code);
    if (typeof e.message === "string") out.texts.push(e.message);
    if (typeof e.reason === "string" && out.reason === undefined) out.reason = e.reason;
    const names = (e.cert as { subjectaltname?: unknown } | undefined)?.subjectaltname;
    if (typeof names === "string" && out.altNames === undefined) out.altNames = names;
    e = e.cause as typeof e;
  }
  return out;
}

const UNKNOWN_CA_CODES = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_SIGNATURE_FAILURE",
]);

/** Which problem the clues show, or null when the error is no TLS failure. */
function problemOf(c: Clue): TlsProblem | null {
  const text = c.texts.join("\n");
  const has = (code: string) => c.codes.includes(code);
  if (c.codes.some((code) => UNKNOWN_CA_CODES.has(code))) return "unknown CA";
  if (/invalid peer certificate: (?:UnknownIssuer|BadSignature)/.test(text)) return "unknown CA";
  if (has("ERR_TLS_CERT_ALTNAME_INVALID") || /NotValidForName|not valid for name/.test(text)) {
    return "host name mismatch";
  }
  if (
    has("CERT_HAS_EXPIRED") || /invalid peer certificate: Expired|certificate expired/.test(text)
  ) {
    return "expired";
  }
  if (has("CERT_NOT_YET_VALID") || /NotValidYet|certificate not valid yet/.test(text)) {
    return "not yet valid";
  }
  // The server's verdict on our certificate: a TLS alert, or PostgreSQL's refusal after it.
  if (
    /received fatal alert: (?:UnknownCA|BadCertificate|CertificateRequired|CertificateUnknown|CertificateExpired|CertificateRevoked|AccessDenied)/
      .test(text) ||
    /connection requires a valid client certificate|certificate authentication failed/.test(text)
  ) {
    return "client certificate refused";
  }
  // The server answered in plain text (or hung up) where TLS was expected.
  if (
    /before secure TLS connection was established/.test(text) ||
    /InvalidContentType|corrupt message|wrong version number|packet length too long/.test(text)
  ) {
    return "no TLS";
  }
  if (
    c.codes.some((code) => /^ERR_(?:SSL|TLS)_/.test(code)) ||
    /invalid peer certificate|received fatal alert|handshake failure|tls handshake/i.test(text)
  ) {
    return "handshake";
  }
  return null;
}

/**
 * The names a certificate holds: node:tls attaches the rejected certificate (`DNS:a, IP Address:b`);
 * else from the reason, node:tls's (`... cert's list: b`) or rustls's (`only valid for
 * DnsName("a") or IpAddress(b)`).
 */
function certNames(c: Clue, text: string): string[] {
  const rustls = text.match(/only valid for (.*)$/m)?.[1];
  if (c.altNames === undefined && rustls !== undefined) {
    return [...rustls.matchAll(/(?:DnsName|IpAddress)\("?([^")]+)"?\)/g)].map((m) => m[1]!);
  }
  const list = c.altNames ?? c.reason?.match(/(?:altnames|cert's list|cert's CN): (.*)$/)?.[1];
  if (!list) return [];
  return list.split(", ").map((n) => n.replace(/^(?:DNS|IP Address):/, "").replace(/"$/, ""));
}

/** The host the certificate was checked for: node:tls's `Host: db.` / `IP: 1.2.3.4`, rustls's `name "db"`. */
function checkedHost(c: Clue, text: string): string | null {
  const m = c.reason?.match(/^(?:Host|IP): (.*?)\.? is not/) ??
    text.match(/valid for name "([^"]+)"/);
  return m?.[1] ?? null;
}

/** The library's own words, last cause first, for after the explanation. */
function detail(c: Clue): string {
  const text = c.texts.at(-1) ?? "";
  // fetch's text repeats the URL with a random query_id; keep what follows it.
  const short = text.replace(/^.*client error \((?:Connect|SendRequest)\): /s, "");
  const code = c.codes.find((x) => !short.includes(x));
  return code ? `${short} (${code})` : short;
}

/**
 * Explains a connection error that is a TLS failure (unknown CA, host name mismatch, expired
 * certificate, refused client certificate, no TLS on the server), or returns null for any other
 * error. Pure: the driver calls it where a connection attempt fails.
 */
export function tlsFailure(err: unknown, setup: TlsSetup): TlsFailure | null {
  const c = clues(err);
  const problem = problemOf(c);
  if (problem === null) return null;
  const text = c.texts.join("\n");
  const pg = setup.kind === "postgres";
  // The cause, the library's words, then the settings that asked for the check.
  const say = (cause: string) =>
    `${cause}: ${detail(c)}${setup.mode === "" ? "" : `; TLS settings: ${setup.mode}`}`;
  switch (problem) {
    case "unknown CA":
      return {
        problem,
        permanent: true,
        message: say(
          `the server's TLS certificate is not signed by ${
            setup.ca === null ? "a CA this machine trusts" : `the CA in ${setup.ca}`
          }`,
        ),
        hint: setup.ca === null
          ? setup.caFix
          : "use the CA that signed the server's certificate (a file may hold several PEM " +
            "certificates)",
      };
    case "host name mismatch": {
      const names = certNames(c, text);
      const host = checkedHost(c, text);
      return {
        problem,
        permanent: true,
        message: say(
          `the server's TLS certificate is not for ${
            host === null ? "the host in the URL" : `"${host}"`
          }${names.length > 0 ? ` (it names ${names.join(", ")})` : ""}`,
        ),
        hint: "connect by a name the certificate holds, or have the certificate issued for this " +
          `name${pg ? "; sslmode=verify-ca checks the CA but not the name" : ""}`,
      };
    }
    case "expired":
      return {
        problem,
        permanent: true,
        message: say("the server's TLS certificate has expired"),
        hint: "renew the server's certificate; if it is new, check this machine's clock",
      };
    case "not yet valid":
      return {
        problem,
        permanent: true,
        message: say("the server's TLS certificate is not valid yet"),
        hint: "check this machine's clock and the certificate's start date",
      };
    case "client certificate refused":
      return {
        problem,
        permanent: true,
        message: say(
          setup.clientCert === null
            ? "the server requires a TLS client certificate and none was sent"
            : `the server refused the client certificate ${setup.clientCert}`,
        ),
        hint: pg
          ? "give a certificate signed by a CA the server trusts (its ssl_ca_file), whose CN is " +
            "the user name, with sslcert and sslkey in the URL (or PGSSLCERT and PGSSLKEY)"
          : "give a client certificate the server trusts",
      };
    case "no TLS":
      return {
        problem,
        permanent: false,
        message: say("the server does not speak TLS there"),
        hint: pg
          ? "turn on ssl in the server, or use sslmode=prefer or disable to connect without TLS"
          : "use the server's HTTPS port (8443 by default), or http:// to connect without TLS",
      };
    case "handshake":
      return {
        problem,
        permanent: true,
        message: say("the TLS handshake with the server failed"),
        hint: setup.clientCert === null
          ? "check the server's TLS setup and the CA"
          : "check that the client certificate and key belong together, and the server's TLS setup",
      };
  }
}

/** The exit-4 error for a TLS failure: `cannot connect to "db" at TARGET: <message>`, with its fix. */
export function tlsUnreachable(
  database: string,
  target: string,
  failure: TlsFailure,
): UnreachableError {
  return new UnreachableError(
    "DB_UNREACHABLE",
    database,
    `cannot connect to "${database}" at ${target}: ${failure.message}`,
    failure.hint,
  );
}
