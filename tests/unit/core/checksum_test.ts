import assert from "node:assert/strict";
import {
  checksum,
  decodeFile,
  fileContent,
  firstInvalidUtf8,
  normalizeBytes,
  normalizeText,
  Utf8Error,
} from "../../../src/core/checksum.ts";

const enc = (s: string) => new TextEncoder().encode(s);

Deno.test("checksum() is the lower-case hex SHA-256 of the text", () => {
  // sha256("abc"), from FIPS 180-2
  assert.equal(
    checksum("abc"),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
});

Deno.test("a leading BOM and CRLF line ends do not change the checksum", () => {
  const unix = decodeFile(enc("select 1;\nselect 2;\n"));
  const windows = decodeFile(enc("\uFEFFselect 1;\r\nselect 2;\r\n"));
  assert.equal(windows, unix);
  assert.equal(checksum(windows), checksum(unix));
});

Deno.test("normalizeText() keeps a lone CR and a BOM that is not leading", () => {
  assert.equal(normalizeText("a\rb"), "a\rb");
  assert.equal(normalizeText("a\uFEFFb"), "a\uFEFFb");
});

Deno.test("any other change to the text changes the checksum", () => {
  assert.notEqual(checksum("select 1;\n"), checksum("select 1; \n"));
});

Deno.test("decodeFile() refuses invalid UTF-8, naming the line and column of the first bad byte", () => {
  // `'\xff\xfe\xc3('` on line 2, after `x = ` and a two-byte é: column 6 counts characters.
  const bytes = new Uint8Array([
    ...enc("select 1;\nx = é'"),
    0xff,
    0xfe,
    0xc3,
    0x28,
    ...enc("';\n"),
  ]);
  assert.throws(
    () => decodeFile(bytes),
    (err: unknown) =>
      err instanceof Utf8Error && err.line === 2 && err.column === 7 && err.byte === 0xff &&
      err.offset === 17 && /line 2, column 7/.test(err.message) && /0xff/.test(err.message),
  );
});

Deno.test("firstInvalidUtf8() finds truncated, overlong, surrogate and out-of-range sequences", () => {
  const cases: [number[], number][] = [
    [[0x61, 0x62], -1],
    [[0xe2, 0x82, 0xac], -1], // €
    [[0xf0, 0x9f, 0x98, 0x80], -1], // 😀
    [[0x61, 0xc3], 1], // truncated at the end
    [[0xc3, 0x28], 0], // a lead byte without its continuation
    [[0xc0, 0xaf], 0], // overlong `/`
    [[0xe0, 0x80, 0xaf], 0], // overlong
    [[0xed, 0xa0, 0x80], 0], // a UTF-16 surrogate
    [[0xf4, 0x90, 0x80, 0x80], 0], // above U+10FFFF
    [[0x61, 0x80], 1], // a lone continuation byte
    [[0xfe], 0],
  ];
  for (const [bytes, at] of cases) {
    assert.equal(firstInvalidUtf8(new Uint8Array(bytes)), at, JSON.stringify(bytes));
    // It agrees with the platform's own strict decoder.
    const strict = new TextDecoder("utf-8", { fatal: true });
    let valid = true;
    try {
      strict.decode(new Uint8Array(bytes));
    } catch {
      valid = false;
    }
    assert.equal(valid, at === -1, JSON.stringify(bytes));
  }
});

Deno.test("decodeFile() counts a BOM as no column and CRLF as one line break in error positions", () => {
  const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...enc("a;\r\nbc"), 0xff]);
  assert.throws(
    () => decodeFile(bytes),
    (err: unknown) => err instanceof Utf8Error && err.line === 2 && err.column === 3,
  );
});

/** The checksum as versions before strict decoding computed it: lossy decoding, then the text. */
function previousChecksum(bytes: Uint8Array): string {
  return checksum(normalizeText(new TextDecoder("utf-8").decode(bytes)));
}

Deno.test("fileContent() hashes the normalised bytes: a BOM removed, CRLF turned into LF", () => {
  const plain = fileContent(enc("select 1;\nselect 'é';\n"));
  const windows = fileContent(enc("\uFEFFselect 1;\r\nselect 'é';\r\n"));
  assert.equal(windows.checksum, plain.checksum);
  assert.equal(windows.text, plain.text);
  // `printf 'select 1;\n' | sha256sum`
  assert.equal(
    fileContent(enc("\uFEFFselect 1;\r\n")).checksum,
    "4a45092ccf992ea92250053a80b931b787924ba61648f420555511b84f10ab6c",
  );
  assert.equal(normalizeBytes(enc("a\rb\r\nc\r")).length, enc("a\rb\nc\r").length);
  assert.deepEqual(normalizeBytes(enc("a\rb\r\nc\r")), enc("a\rb\nc\r"));
});

Deno.test("the checksum of any valid file is the one earlier versions recorded", () => {
  const samples = [
    "",
    "select 1;",
    "\uFEFF",
    "\uFEFF\uFEFFselect 1;\r\n", // two BOMs: earlier versions dropped both
    "a\uFEFFb\r\r\n\n",
    "line\r\nbreaks\rmixed\n",
    "ünïcödé 😀 €\r\n",
  ];
  for (const text of samples) {
    const bytes = enc(text);
    assert.equal(fileContent(bytes).checksum, previousChecksum(bytes), JSON.stringify(text));
    assert.equal(fileContent(bytes).text, normalizeText(new TextDecoder().decode(bytes)));
  }
});

// Migrations never change once applied, so their checksums are fixed: these are the ones tracked
// databases hold (computed by db-migrate before strict decoding, equal to `sha256sum`).
const EXAMPLE_MIGRATIONS: Record<string, string> = {
  "aiml-postgres/V001__extensions.sql":
    "ab02963ac11faea85e0ea62b8baa471cdda9f16407cca5e27003d91a4993d977",
  "aiml-postgres/V002__agents.sql":
    "f25bbde2e792e63de0ac70faea0491c4997a42df78a6706d672673ab8d2a1dc1",
  "aiml-postgres/V003__knowledge_bases.sql":
    "2a9797ddbe3c95f236528b30ff0926750c6e9b4c18ea85ae595546d1ac915f5e",
  "aiml-postgres/V004__entity_types.sql":
    "f2e3b62a9c1cddaabdb86e46545b7f33e4514a65d87f38eb6a86bd5919d64e87",
  "aiml-postgres/V005__entities_relationships.sql":
    "967c1625f18056a105a1c1b46e2cba229bc42c5f7e3090c6cf00a8dfb6f7a6a7",
  "aiml-postgres/V006__indexes.sql":
    "bd33d8dd4c4ebacbea5c63def4bca32d0ee712c49cb728b447bf974a1344d301",
  "clickhouse/V001__traces.sql": "348f88519127517acf31d584c194924db7448efb4ea15f2821c20f0ef63aadee",
  "clickhouse/V002__spans.sql": "bd0ef8a8b98a3e298148d8506a4f2ad322bd6942ef1e5c13f74151fbef69325f",
  "clickhouse/V003__scores.sql": "31958b9ff872c4c9e4dab5937a6b033549af98701b50d97bac5deec31abbee9e",
  "clickhouse/V004__daily_rollups.sql":
    "45499943c76cb37e94e3825ea2baf3d0debd83635261934a09811061e5441fc1",
  "clickhouse/V005__model_prices.sql":
    "6517182b907ff3553dfb110236f97eb132a7ccf39b8603c841ce226e562c745d",
  "postgres/V001__extensions.sql":
    "27a3d5a642e53a0814dff81ecc0b58d2644826d896e05fee8a40d780c8c32efc",
  "postgres/V002__audit_schema.sql":
    "3051888d0543c51d380bfd510faaec3bd3767dac39afa665a3f4480d939b0e2d",
  "postgres/V003__organizations.sql":
    "9e562662a4fa1499f38560d19e7d4286c128743c5805787513c93bc2fc7d5a8d",
  "postgres/V004__users.sql": "f2335d666cff233fba5d8b2b3580853f8c7dc5ab223ba9a74a4885e06920203b",
  "postgres/V005__roles_permissions.sql":
    "73dcd772ae5c0885f05522b353cd8c99d425b39a61104f0d3715874460560684",
  "postgres/V006__memberships.sql":
    "d9d7ab5aa94a97e1187ae8002c4d36363483c8e38de7b384cc294abad1f038c6",
  "postgres/V007__projects.sql": "4274475a2948ff0fc26f26dc20fa8343c52752436139717dbe1aef0316c3858a",
  "postgres/V008__api_keys.sql": "6163abb2f1df7fa3f8526f7c5967dfbaaf50e8401f91fabb388a799196055b03",
  "postgres/V009__indexes.sql": "0c16c5713b199b5233087b4812f8f513834a209480676610cae4cef62edaf18e",
  "postgres/V010__updated_at_triggers.sql":
    "4d6ec226cf8c86cfb94a79916c3e3224336d4a64de8e188c03ad6ac701b47850",
  "postgres/V011__audit_events_created_at_index.sql":
    "1115c6603bd93954e4b48e4506bdcb1dbde984f05aaedcf0e73d1321bbcee77d",
  "postgres/V012__onboarding_questions.sql":
    "f1c48c12f6c45d36103e0a214766a3994348590ad2b0627cca21ef63b39897c8",
};

Deno.test("the example migrations keep their known checksums, and every example file the checksum earlier versions gave it", async () => {
  const root = new URL("../../..", import.meta.url).pathname;
  const seen = new Set<string>();
  for (const top of ["migrations", "seeds"]) {
    const walk = async (dir: string, rel: string) => {
      for await (const e of Deno.readDir(dir)) {
        const path = `${dir}/${e.name}`;
        if (e.isDirectory) await walk(path, `${rel}${e.name}/`);
        else if (e.isFile) {
          const bytes = await Deno.readFile(path);
          const sum = fileContent(bytes).checksum;
          assert.equal(sum, previousChecksum(bytes), `${top}/${rel}${e.name}`);
          if (top === "migrations" && e.name.endsWith(".sql")) {
            const known = EXAMPLE_MIGRATIONS[`${rel}${e.name}`];
            assert.equal(sum, known, `migrations/${rel}${e.name}`);
            seen.add(`${rel}${e.name}`);
          }
        }
      }
    };
    await walk(`${root}${top}`, "");
  }
  assert.deepEqual([...seen].sort(), Object.keys(EXAMPLE_MIGRATIONS).sort());
});
