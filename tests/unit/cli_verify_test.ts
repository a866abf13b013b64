// The verify command's flags, parsed by src/cli.ts.
import assert from "node:assert/strict";
import { parseOptions } from "../../src/cli.ts";
import { UsageError } from "../../src/core/errors.ts";

const noEnv = () => undefined;

Deno.test("parseOptions() reads verify, --against and --rehearse", () => {
  const plain = parseOptions(["verify", "--seed=sample"], noEnv);
  assert.equal(plain.command, "verify");
  assert.equal(plain.mode, "verify");
  assert.equal(plain.against, null);
  assert.equal(plain.rehearse, false);
  const against = parseOptions(["verify", "--against=postgres://u@h/db"], noEnv);
  assert.equal(against.against, "postgres://u@h/db");
  assert.equal(parseOptions(["--rehearse", "verify"], noEnv).rehearse, true);
  // Every other command leaves them unset.
  const migrate = parseOptions([], noEnv);
  assert.equal(migrate.against, null);
  assert.equal(migrate.rehearse, false);
});

Deno.test("parseOptions() refuses --against and --rehearse outside verify, together, or empty", () => {
  const refused: [string[], RegExp][] = [
    [["--against=postgres://h/db"], /--against belongs to the verify command/],
    [["plan", "--rehearse"], /--rehearse belongs to the verify command/],
    [["verify", "--rehearse", "--against=postgres://h/db"], /cannot be used together/],
    [["verify", "--against="], /--against needs a URL/],
    [["verify", "--repair"], /verify changes nothing/],
    [["verify", "--dry-run"], /--dry-run cannot be used with the verify command/],
    [["verify", "--status"], /--status cannot be used with the verify command/],
    [["verify", "--resolve-unknown=q1=applied"], /--resolve-unknown decides for a real run/],
  ];
  for (const [args, message] of refused) {
    assert.throws(() => parseOptions(args, noEnv), (err: unknown) => {
      assert.ok(err instanceof UsageError, args.join(" "));
      assert.match((err as Error).message, message, args.join(" "));
      return true;
    });
  }
});
