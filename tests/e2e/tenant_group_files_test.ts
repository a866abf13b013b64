// The commands that read the files only (create, validate, list, verify) on a project with a tenant
// group: the group is its folder of files to them, as any database is; they never list tenants.

import assert from "node:assert/strict";
import { lastLine, runCli, withPgDatabase } from "../helpers.ts";
import { withProject } from "./_util.ts";

const config = (controlUrl: string) =>
  `databases:
  - name: control
    url: ${controlUrl}
  - name: tenant
    tenants:
      from: control
      query: SELECT id, db FROM tenants ORDER BY id
      url: postgres://nobody@127.0.0.1:1/{db}
`;

Deno.test("create, validate, list and verify take a tenant group as its folder, listing no tenant", async () => {
  await withPgDatabase(async (url) => {
    const files = {
      "db-migrate.yaml": config(url),
      // No tenants table: a command that listed tenants would fail on the query.
      "migrations/control/V1__init.sql": "CREATE TABLE IF NOT EXISTS settings (k text);\n",
      "migrations/tenant/V1__items.sql": "CREATE TABLE IF NOT EXISTS items (id int);\n",
    };
    await withProject(files, async (dir) => {
      const validate = await runCli(["validate"], { cwd: dir });
      assert.equal(validate.code, 0, validate.stdout + validate.stderr);
      assert.match(lastLine(validate.stdout), /^validate: 2 files of 2 databases valid/);

      const online = await runCli(["validate", "--online"], { cwd: dir });
      assert.equal(online.code, 0, online.stdout + online.stderr);
      assert.match(online.stdout, /^tenant: a tenant group, not compared/m);
      assert.match(online.stdout, /^control: 0 applied, 1 pending \(V1__init\.sql\)/m);

      const list = await runCli(["list", "--database=tenant"], { cwd: dir });
      assert.equal(list.code, 0, list.stdout + list.stderr);
      assert.match(list.stdout, /V1__items\.sql/);

      const create = await runCli(["create", "--database=tenant", "add_price"], { cwd: dir });
      assert.equal(create.code, 0, create.stdout + create.stderr);
      assert.match(create.stdout, /migrations\/tenant\/V2__add_price\.sql/);
      await Deno.remove(`${dir}/migrations/tenant/V2__add_price.sql`);

      const verify = await runCli(["verify", "--database=tenant"], { cwd: dir });
      assert.equal(verify.code, 0, verify.stdout + verify.stderr);
      assert.match(verify.stdout, /tenant: 1 file applied twice .*every file is idempotent/);

      // Rehearsing connects to databases, which for a group means its tenants: not yet.
      const rehearse = await runCli(["verify", "--rehearse", "--database=tenant"], { cwd: dir });
      assert.equal(rehearse.code, 2, rehearse.stdout + rehearse.stderr);
      assert.match(rehearse.stderr, /does not run across tenants/);
    });
  });
});
