import assert from "node:assert/strict";
import { checksum, decodeFile, fileChecksum, normalizeText } from "../../src/checksum.ts";

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

Deno.test("fileChecksum() from the bytes equals checksum() of the normalised text", () => {
  const encoder = new TextEncoder();
  for (const raw of ["SELECT 1;\n", "\uFEFFSELECT 'é😀';\n", "A;\r\nB;\r\n", "\uFEFF\r\n", ""]) {
    const bytes = encoder.encode(raw);
    const text = decodeFile(bytes);
    assert.equal(fileChecksum(bytes, text), checksum(text), JSON.stringify(raw));
  }
});
