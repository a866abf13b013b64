// Passwords reach us inside URLs; every line we print passes through scrub(), so a driver error that
// echoes a URL or a password cannot leak one.

const secrets = new Set<string>();

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

/** A URL with its password replaced by `***` (and registered for scrub()). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) {
      registerSecret(u.password);
      u.password = "***";
    }
    return u.toString().replace("%2A%2A%2A@", "***@");
  } catch {
    // not a URL we can parse: hide anything between "//user:" and "@"
    return url.replace(/(\/\/[^:/@]*:)[^@/]*@/, "$1***@");
  }
}

/** Text with every URL password and every registered secret replaced by `***`. */
export function scrub(text: string): string {
  let out = text.replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^@/\s]+@/gi, "$1***@");
  // Longest first, so a password that contains a shorter one is hidden whole.
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) out = out.replaceAll(s, "***");
  return out;
}
