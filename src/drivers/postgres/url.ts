// libpq reads connection keywords from a URL's query (`postgres://app@db/app?password=…`), and
// users write URLs for libpq; postgres.js would instead send unknown parameters to the server as
// settings (`unrecognized configuration parameter "password"`). The keywords db-migrate handles
// itself (login here, TLS in postgres_tls.ts) are taken out and handed to postgres.js as options.

/** A PostgreSQL URL split for postgres.js: the URL without login parameters, and their values. */
export interface PgLogin {
  /** The URL with `user` and `password` removed from its query. */
  url: string;
  /** From `?user=`, which wins over the user before the `@`, as in libpq. */
  user?: string;
  /** From `?password=`, which wins over the password before the `@`, as in libpq. */
  password?: string;
}

const LOGIN_KEYS = new Set(["user", "password"]);

/**
 * Takes the query parameters named in `keys` out of a URL: the URL without them, and their values
 * (the last one wins when a key repeats, as in libpq). Values are percent-decoded only, as libpq
 * does (a `+` stays a `+`). Throws an Error whose message names the key, never the value.
 */
export function takeQueryParams(
  url: string,
  keys: ReadonlySet<string>,
): { url: string; values: Map<string, string> } {
  const values = new Map<string, string>();
  const q = url.indexOf("?");
  if (q < 0) return { url, values };
  const hash = url.indexOf("#", q);
  const query = url.slice(q + 1, hash < 0 ? url.length : hash);
  const kept: string[] = [];
  for (const pair of query.split("&")) {
    const eq = pair.indexOf("=");
    const key = eq < 0 ? pair : pair.slice(0, eq);
    if (!keys.has(key)) {
      if (pair !== "") kept.push(pair);
      continue;
    }
    try {
      values.set(key, decodeURIComponent(eq < 0 ? "" : pair.slice(eq + 1)));
    } catch {
      throw new Error(`the URL's ${key} parameter is not valid percent-encoding`);
    }
  }
  const rest = url.slice(0, q) + (kept.length > 0 ? `?${kept.join("&")}` : "") +
    (hash < 0 ? "" : url.slice(hash));
  return { url: rest, values };
}

/**
 * Takes libpq's `user` and `password` query parameters out of a URL. Values are percent-decoded
 * only, as libpq does (a `+` stays a `+`). Throws an Error whose message holds no value.
 */
export function pgLogin(url: string): PgLogin {
  const taken = takeQueryParams(url, LOGIN_KEYS);
  const out: PgLogin = { url: taken.url };
  const user = taken.values.get("user");
  const password = taken.values.get("password");
  if (user !== undefined) out.user = user;
  if (password !== undefined) out.password = password;
  return out;
}
