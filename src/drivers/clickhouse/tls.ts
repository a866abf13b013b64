// ClickHouse over https:// with a private CA (`<NAME>_CA_FILE`, a bundle mounted from a secret).
// @clickhouse/client-web takes a `fetch` option; Deno's fetch takes a `client` made by
// Deno.createHttpClient({ caCerts }). One such fetch serves the client and the CSV upload, which
// calls fetch itself, so both trust the same CA over the same connection pool.

import { ConfigError } from "../../core/errors.ts";
import type { TlsSetup } from "../tls_errors.ts";
import { describeFile, readPem, type ReadText } from "../tls_files.ts";

/** TLS for one ClickHouse database. */
export interface ClickHouseTls {
  /** The fetch to give the client (its `fetch` option) and to send CSV with; global fetch when no CA file is named. */
  fetch: typeof fetch;
  /** Closes the connections of the CA's HTTP client (a no-op without one). */
  close(): void;
  /** For tlsFailure(), when a request fails. */
  setup: TlsSetup;
}

/** Where one ClickHouse database's TLS comes from. */
export interface ClickHouseTlsInput {
  /** `https://host:8443` or `http://host:8123` (parseClickHouseUrl's endpoint). */
  endpoint: string;
  database: string;
  /** The variable that names this database's CA bundle: `CLICKHOUSE_CA_FILE`. */
  caFileVariable: string;
  env: (name: string) => string | undefined;
  read: ReadText;
}

/**
 * Reads `<NAME>_CA_FILE` for a ClickHouse database and returns the fetch that trusts it (beside
 * Deno's root certificates). A CA file with an http:// URL is a contradiction, and an unreadable
 * or non-PEM file an error: both ConfigError (exit 2) naming the variable and the file.
 */
export async function clickHouseTls(input: ClickHouseTlsInput): Promise<ClickHouseTls> {
  const https = input.endpoint.startsWith("https:");
  const path = input.env(input.caFileVariable);
  const setup: TlsSetup = {
    kind: "clickhouse",
    mode: "",
    checksName: true,
    ca: null,
    clientCert: null,
    caFix: `set ${input.caFileVariable} to the CA's certificate (PEM)`,
  };
  if (path === undefined || path === "") return { fetch, close: () => {}, setup };
  if (!https) {
    throw new ConfigError(
      "CONFIG",
      `${input.caFileVariable} names a CA for database "${input.database}", but its URL is ` +
        "http://, without TLS",
      {
        database: input.database,
        hint:
          `use https:// and ClickHouse's HTTPS port (8443 by default), or remove ${input.caFileVariable}`,
      },
    );
  }
  const ref = { path, named: input.caFileVariable };
  const pem = await readPem(ref, "CA certificate", { database: input.database, read: input.read });
  setup.ca = describeFile(ref);
  let client: Deno.HttpClient;
  try {
    client = Deno.createHttpClient({ caCerts: [pem] });
  } catch (err) {
    throw new ConfigError(
      "CONFIG",
      `the CA certificate ${setup.ca} for database "${input.database}" is not a valid ` +
        `certificate: ${(err as Error).message}`,
      { database: input.database, hint: `fix the file, or ${input.caFileVariable}` },
    );
  }
  return {
    fetch: (resource, init) => fetch(resource, { ...init, client }),
    close: () => client.close(),
    setup,
  };
}
