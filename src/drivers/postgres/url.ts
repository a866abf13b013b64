// libpq reads connection keywords from a URL's query (`postgres://app@db/app?password=…`), and
// users write URLs for libpq; postgres.js would instead send unknown parameters to the server as
// settings (`unrecognized configuration parameter "password"`). The login keywords are taken out
// here and handed to postgres.js as options.

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
 * Takes libpq's `user` and `password` query parameters out of a URL. Values are percent-decoded
 * only, as libpq does (a `+` stays a `+`). Throws an Error whose message holds no value.
 */
export function pgLogin(url: string): PgLogin {
  const q = url.indexOf("?");
  if (q < 0) return { url };
  const hash = url.indexOf("#", q);
  const query = url.slice(q + 1, hash < 0 ? url.length : hash);
  const kept: string[] = [];
  const out: PgLogin = { url };
  for (const pair of query.split("&")) {
    const eq = pair.indexOf("=");
    const key = eq < 0 ? pair : pair.slice(0, eq);
    if (!LOGIN_KEYS.has(key)) {
      if (pair !== "") kept.push(pair);
      continue;
    }
    let value: string;
    try {
      value = decodeURIComponent(eq < 0 ? "" : pair.slice(eq + 1));
    } catch {
      throw new Error(`the URL's ${key} parameter is not valid percent-encoding`);
    }
    if (key === "user") out.user = value;
    else out.password = value;
  }
  out.url = url.slice(0, q) + (kept.length > 0 ? `?${kept.join("&")}` : "") +
    (hash < 0 ? "" : url.slice(hash));
  return out;
}
