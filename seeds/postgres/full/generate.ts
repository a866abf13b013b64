// Writes the CSV files of the `full` example data set beside this script: 500 organizations,
// 2,500 users, their memberships and 1,500 projects (about 7,000 rows). Ids are uuids derived from
// the row number, so the output is the same on every run and the projects and memberships can
// name their organization and user. Regenerate with:
//   deno run --allow-read --allow-write seeds/postgres/full/generate.ts

const ORGS = 500, USERS = 2500, PROJECTS_PER_ORG = 3;
const dir = new URL(".", import.meta.url);

/** A version-4-shaped uuid from a label, the same every time. */
async function uuid(label: string): Promise<string> {
  const d = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`db-migrate example ${label}`)),
  );
  d[6] = (d[6]! & 0x0f) | 0x40;
  d[8] = (d[8]! & 0x3f) | 0x80;
  const h = Array.from(d.subarray(0, 16), (b) => b.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** One CSV field: quoted when it holds a comma, quote or line break; null is an empty field. */
function field(v: string | number | boolean | null): string {
  if (v === null) return "";
  const s = String(v);
  return /[",\n\r]/.test(s) || s === "" ? `"${s.replaceAll('"', '""')}"` : s;
}

async function write(name: string, header: string[], rows: (string | number | boolean | null)[][]) {
  const text = [header, ...rows].map((r) => r.map(field).join(",")).join("\n") + "\n";
  await Deno.writeTextFile(new URL(name, dir), text);
  console.log(`${name}: ${rows.length} rows, ${text.length} bytes`);
}

const pad = (n: number, w = 4) => String(n).padStart(w, "0");
const at = (minutes: number) =>
  new Date(Date.UTC(2024, 1, 1) + minutes * 60_000).toISOString().replace(".000Z", "Z");
const PLANS = ["free", "pro", "enterprise"];
const REGIONS = ["eu-west-1", "us-east-1", "ap-southeast-2"];
const ROLES = ["developer", "viewer", "admin", "developer", "billing"];

const orgIds: string[] = [];
const orgRows = [];
for (let n = 1; n <= ORGS; n++) {
  const id = await uuid(`organization ${n}`);
  orgIds.push(id);
  orgRows.push([
    id,
    `gen-org-${pad(n)}`,
    `Generated Org ${n}`,
    PLANS[n % 3]!,
    `billing+${n}@gen.test`,
    JSON.stringify({ region: REGIONS[n % 3], sso: n % 7 === 0 }),
    at(n),
  ]);
}
await write("010_organizations.csv", [
  "id",
  "slug",
  "name",
  "plan",
  "billing_email",
  "settings",
  "created_at",
], orgRows);

const userIds: string[] = [];
const userRows = [];
for (let n = 1; n <= USERS; n++) {
  const id = await uuid(`user ${n}`);
  userIds.push(id);
  // SSO-only accounts: no password_hash column at all, so it stays NULL.
  userRows.push([
    id,
    `user${pad(n)}@gen.test`,
    `Generated User ${n}`,
    n % 25 !== 0,
    n % 10 === 0 ? null : at(1000 + n),
  ]);
}
await write("020_users.csv", ["id", "email", "name", "is_active", "email_verified_at"], userRows);

// User n belongs to organization 1 + (n - 1) % ORGS; the first user of each organization owns it.
const memberRows = [];
for (let n = 1; n <= USERS; n++) {
  const org = (n - 1) % ORGS;
  const role = n <= ORGS ? "owner" : ROLES[n % ROLES.length]!;
  const invited = n % 50 === 0;
  memberRows.push([
    orgIds[org]!,
    userIds[n - 1]!,
    role,
    invited ? "invited" : "active",
    invited ? null : at(2000 + n),
    n <= ORGS ? null : userIds[org]!,
  ]);
}
await write("030_memberships.csv", [
  "organization_id",
  "user_id",
  "role",
  "status",
  "accepted_at",
  "invited_by",
], memberRows);

const projectRows = [];
for (let o = 1; o <= ORGS; o++) {
  for (let p = 1; p <= PROJECTS_PER_ORG; p++) {
    projectRows.push([
      await uuid(`project ${o}.${p}`),
      orgIds[o - 1]!,
      `svc-${p}`,
      `Service ${p}, org ${o}`,
      p === 1 ? 'The "main" service.' : "",
      userIds[o - 1]!,
    ]);
  }
}
await write("040_projects.csv", [
  "id",
  "organization_id",
  "slug",
  "name",
  "description",
  "created_by",
], projectRows);
