// Passwords reach us inside URLs; every line we print passes through scrub(), so a driver error that
// echoes a URL or a password cannot leak one. Redact first, parse after: a URL is taken apart here
// as plain text, so a string that is no URL at all (no scheme, an unencoded `@` in the password)
// has its password hidden too, and so have `?password=` query parameters.

const secrets = new Set<string>();

// Query parameters that carry a secret, in libpq, ClickHouse and common drivers.
const SECRET_PARAM = String
  .raw`(?:password|passwd|pwd|pass|sslpassword|secret|token|access_token|auth_token|api_?key)`;
const SECRET_KEY = new RegExp(`^${SECRET_PARAM}$`, "i");
// A value already hidden (`***`) is left alone, and punctuation that ends a sentence after a value
// (`?password=x: refused`) is kept.
const SECRET_PARAMS = new RegExp(
  String.raw`([?&;]${SECRET_PARAM}=)(?!\*\*\*)[^&#\s"'<>]*?(?=[:,.;)]?(?:[&#\s"'<>]|$))`,
  "gi",
);
// `scheme://user:` then the password up to the last `@` of the authority.
const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)[^\s/?#]*@/gi;

/** Remembers a secret so that scrub() hides it wherever it appears. */
export function registerSecret(secret: string): void {
  if (secret.length >= 1) {
    secrets.add(secret);
    try {
      const decoded = decodeURIComponent(secret);
      if (decoded !== secret) secrets.add(decoded);
    } catch {
      // a password that is not valid percent-encoding is only registered as written
    }
  }
}

/** Where the password of a URL-like string is, as [start, end) offsets, or null. Pure text. */
function passwordSpan(url: string): [number, number] | null {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url);
  const from = scheme ? scheme[0].length : 0;
  const stop = url.slice(from).search(/[/?#\s]/);
  const authorityEnd = stop < 0 ? url.length : from + stop;
  let at = url.lastIndexOf("@", authorityEnd - 1);
  if (at < from) {
    // No `@` before the first `/`: still a password when the `:` part is no port and an `@`
    // follows, as in `postgres://user:pa/ss@host/db`.
    const colon = url.indexOf(":", from);
    if (colon < 0 || colon >= authorityEnd) return null;
    if (/^\d*$/.test(url.slice(colon + 1, authorityEnd))) return null;
    const ws = url.slice(from).search(/\s/);
    at = url.lastIndexOf("@", ws < 0 ? url.length : from + ws);
    if (at < authorityEnd) return null;
  }
  const colon = url.indexOf(":", from);
  if (colon < 0 || colon > at) return null;
  return [colon + 1, at];
}

/** Registers every secret a URL-like string holds: its password and `?password=`-like parameters. */
export function registerUrlSecrets(url: string): void {
  const span = passwordSpan(url);
  if (span && span[1] > span[0]) registerSecret(url.slice(span[0], span[1]));
  const q = url.indexOf("?");
  if (q < 0) return;
  for (const pair of url.slice(q + 1).split(/[&#]/)) {
    const eq = pair.indexOf("=");
    if (eq > 0 && SECRET_KEY.test(pair.slice(0, eq)) && eq < pair.length - 1) {
      registerSecret(pair.slice(eq + 1));
    }
  }
}

/** A URL (or a string meant as one) with its password and secret parameters replaced by `***`; registers them for scrub(). */
export function redactUrl(url: string): string {
  registerUrlSecrets(url);
  const span = passwordSpan(url);
  const out = span && span[1] > span[0] ? `${url.slice(0, span[0])}***${url.slice(span[1])}` : url;
  return out.replace(SECRET_PARAMS, "$1***");
}

/** Text with every URL password, every secret query parameter and every registered secret replaced by `***`. */
export function scrub(text: string): string {
  let out = text.replace(URL_PASSWORD, "$1***@").replace(SECRET_PARAMS, "$1***");
  // Longest first, so a password that contains a shorter one is hidden whole.
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) out = out.replaceAll(s, "***");
  return out;
}
