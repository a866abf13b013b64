// The catalog SQL of a schema snapshot, as pure text builders: what migrations create, read so that
// two databases built by the same files give the same rows on PostgreSQL 15 to 18 (and PGlite).
// Every value is text: the snapshot is read through any client (postgres.js without type
// fetching, PGlite in process) and compared as plain data. No OID ever appears in a value: an
// object dropped and created again identically must read the same.

/** A string literal that is safe whatever standard_conforming_strings says. */
export function literal(value: string): string {
  return `E'${value.replaceAll("\\", "\\\\").replaceAll("'", "''")}'`;
}

/**
 * The session settings a snapshot reads under, local to its own transaction (one query): names
 * come out schema-qualified whatever search_path a migration left set, and values render the same
 * whatever time zone or styles a file chose.
 */
export const SNAPSHOT_SETTINGS_SQL = `select set_config('search_path', 'pg_catalog', true),
  set_config('timezone', 'UTC', true), set_config('datestyle', 'ISO, MDY', true),
  set_config('intervalstyle', 'postgres', true), set_config('extra_float_digits', '1', true),
  set_config('bytea_output', 'hex', true)`;

// Catalog rows that an extension owns are the extension's, described by its name and version.
const NOT_EXTENSION_MEMBER = (catalog: string, oid: string) =>
  `not exists (select 1 from pg_depend xd where xd.deptype = 'e' and xd.classid = '${catalog}'::regclass and xd.objid = ${oid})`;

// "a, b" from an ordered array expression, null when empty.
const list = (expr: string) => `nullif(array_to_string(array(${expr}), ', '), '')`;
const acl = (column: string) => list(`select x::text from unnest(${column}) x order by 1`);
// Storage options, less any `pg_`-prefixed entry: no option a user can set starts so, and some
// server builds keep their own bookkeeping there (a Debian PostgreSQL 15.20 here writes
// `pg_attver=<n>` into every column's attoptions, a different n per run).
const options = (column: string) =>
  list(`select o from unnest(${column}) o where o !~ '^pg_' order by 1`);
const flag = (cond: string) => `case when ${cond} then 'yes' end`;

/**
 * The catalog query: one row, one column `snapshot`, a JSON array of `{k: kind, n: name, p:
 * props}` for every user object. `exclude` names tables (in any schema) left out with everything
 * that hangs off them: the tracking table, `_schema_migrations`.
 */
export function catalogSql(exclude: readonly string[]): string {
  const skipNames = exclude.length === 0
    ? "array[]::text[]"
    : `array[${exclude.map(literal).join(", ")}]::text[]`;
  return `with ns as (
  select quote_ident(n.nspname) as q, n.*
  from pg_namespace n
  where n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')
    and n.nspname !~ '^pg_(toast_)?temp_'
    and ${NOT_EXTENSION_MEMBER("pg_namespace", "n.oid")}
),
skip as (
  select c.oid from pg_class c join ns on ns.oid = c.relnamespace
  where c.relname = any(${skipNames}) and c.relkind in ('r', 'p')
),
rel as (
  select ns.q || '.' || quote_ident(c.relname) as name, c.*
  from pg_class c join ns on ns.oid = c.relnamespace
  where c.relkind in ('r', 'p', 'v', 'm', 'f', 'S')
    and c.oid not in (select oid from skip)
    and ${NOT_EXTENSION_MEMBER("pg_class", "c.oid")}
    -- the sequences of the skipped tables' serial and identity columns
    and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass
      and d.objid = c.oid and d.deptype in ('a', 'i') and d.refobjid in (select oid from skip))
),
typ as (
  select ns.q || '.' || quote_ident(t.typname) as name, t.*
  from pg_type t join ns on ns.oid = t.typnamespace
  where t.typtype in ('b', 'c', 'd', 'e', 'r')
    and (t.typrelid = 0 or (select c.relkind from pg_class c where c.oid = t.typrelid) = 'c')
    and not exists (select 1 from pg_type arr where arr.typarray = t.oid)
    and ${NOT_EXTENSION_MEMBER("pg_type", "t.oid")}
),
objects as (
  select 'schema' as k, q as n, json_build_object(
    'owner', pg_get_userbyid(nspowner),
    'privileges', ${acl("nspacl")},
    'comment', obj_description(oid, 'pg_namespace')) as p
  from ns

  union all
  select 'extension', quote_ident(x.extname), json_build_object(
    'version', x.extversion,
    'schema', quote_ident(n.nspname))
  from pg_extension x join pg_namespace n on n.oid = x.extnamespace

  union all
  select case relkind when 'v' then 'view' when 'm' then 'materialized view'
    when 'f' then 'foreign table' when 'S' then 'sequence' else 'table' end,
    rel.name, json_build_object(
    'partitioned by', case when relkind = 'p' then pg_get_partkeydef(rel.oid) end,
    'partition of', case when relispartition then (
      select quote_ident(pn.nspname) || '.' || quote_ident(pc.relname) || ' ' ||
        pg_get_expr(rel.relpartbound, rel.oid)
      from pg_inherits i join pg_class pc on pc.oid = i.inhparent
      join pg_namespace pn on pn.oid = pc.relnamespace
      where i.inhrelid = rel.oid) end,
    'inherits', case when not relispartition then ${
    list(`select i.inhparent::regclass::text from pg_inherits i
      where i.inhrelid = rel.oid order by i.inhseqno`)
  } end,
    'unlogged', ${flag("relpersistence = 'u'")},
    'options', ${options("reloptions")},
    'row level security', case when relrowsecurity and relforcerowsecurity then 'enabled, forced'
      when relrowsecurity then 'enabled' when relforcerowsecurity then 'forced' end,
    'replica identity', case when relkind in ('r', 'p') then case relreplident when 'n' then 'nothing' when 'f' then 'full'
      when 'i' then 'index' end end,
    'access method', (select a.amname from pg_am a
      where a.oid = rel.relam and a.amname <> 'heap' and relkind <> 'S'),
    'definition', case when relkind in ('v', 'm') then pg_get_viewdef(rel.oid) end,
    'populated', case when relkind = 'm' and not relispopulated then 'no' end,
    'server', (select quote_ident(s.srvname) from pg_foreign_table ft
      join pg_foreign_server s on s.oid = ft.ftserver where ft.ftrelid = rel.oid),
    'sequence', (select concat_ws(' ', format_type(s.seqtypid, null),
        'start', s.seqstart, 'increment', s.seqincrement, 'min', s.seqmin, 'max', s.seqmax,
        'cache', s.seqcache, case when s.seqcycle then 'cycle' end)
      from pg_sequence s where s.seqrelid = rel.oid),
    'owned by', case when relkind = 'S' then (
      select d.refobjid::regclass::text || '.' || quote_ident(a.attname)
      from pg_depend d join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
      where d.classid = 'pg_class'::regclass and d.objid = rel.oid and d.deptype in ('a', 'i')
        and d.refclassid = 'pg_class'::regclass) end,
    'owner', pg_get_userbyid(relowner),
    'privileges', ${acl("relacl")},
    'comment', obj_description(rel.oid, 'pg_class'))
  from rel

  union all
  select 'column', rel.name || '.' || quote_ident(a.attname), json_build_object(
    'position', row_number() over (partition by a.attrelid order by a.attnum)::text,
    'type', format_type(a.atttypid, a.atttypmod),
    'not null', ${flag("a.attnotnull")},
    'default', case when a.attgenerated = '' then pg_get_expr(d.adbin, d.adrelid) end,
    'generated', case a.attgenerated when 's' then 'stored: ' when 'v' then 'virtual: ' end ||
      pg_get_expr(d.adbin, d.adrelid),
    'identity', case a.attidentity when 'a' then 'always' when 'd' then 'by default' end,
    'collation', (select quote_ident(cn.nspname) || '.' || quote_ident(co.collname)
      from pg_collation co join pg_namespace cn on cn.oid = co.collnamespace
      where co.oid = a.attcollation
        and a.attcollation <> (select t.typcollation from pg_type t where t.oid = a.atttypid)),
    'storage', (select case a.attstorage when 'p' then 'plain' when 'e' then 'external'
        when 'm' then 'main' when 'x' then 'extended' end
      from pg_type t where t.oid = a.atttypid and t.typstorage <> a.attstorage),
    'options', ${options("a.attoptions")},
    'privileges', ${acl("a.attacl")},
    'comment', col_description(a.attrelid, a.attnum))
  from rel join pg_attribute a on a.attrelid = rel.oid
  left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
  where rel.relkind <> 'S' and a.attnum > 0 and not a.attisdropped

  -- NOT NULL constraints (contype n, PostgreSQL 18) are the columns' "not null".
  union all
  select 'constraint', rel.name || '.' || quote_ident(c.conname), json_build_object(
    'definition', pg_get_constraintdef(c.oid),
    'comment', obj_description(c.oid, 'pg_constraint'))
  from rel join pg_constraint c on c.conrelid = rel.oid
  where c.contype <> 'n'

  union all
  select 'constraint', typ.name || '.' || quote_ident(c.conname), json_build_object(
    'definition', pg_get_constraintdef(c.oid),
    'comment', obj_description(c.oid, 'pg_constraint'))
  from typ join pg_constraint c on c.contypid = typ.oid
  where c.contype <> 'n'

  -- Indexes that back a primary key, unique or exclusion constraint are that constraint.
  union all
  select 'index', (select q from ns where ns.oid = ic.relnamespace) || '.' || quote_ident(ic.relname),
    json_build_object(
    'table', rel.name,
    'definition', pg_get_indexdef(i.indexrelid),
    'invalid', ${flag("not i.indisvalid")},
    'clustered', ${flag("i.indisclustered")},
    'options', ${options("ic.reloptions")},
    'comment', obj_description(ic.oid, 'pg_class'))
  from rel join pg_index i on i.indrelid = rel.oid
  join pg_class ic on ic.oid = i.indexrelid
  where not exists (select 1 from pg_constraint c
    where c.conindid = i.indexrelid and c.conrelid = i.indrelid and c.contype in ('p', 'u', 'x'))

  union all
  select 'trigger', rel.name || '.' || quote_ident(t.tgname), json_build_object(
    'definition', pg_get_triggerdef(t.oid),
    'enabled', case t.tgenabled when 'D' then 'disabled' when 'R' then 'replica'
      when 'A' then 'always' end,
    'comment', obj_description(t.oid, 'pg_trigger'))
  from rel join pg_trigger t on t.tgrelid = rel.oid
  where not t.tgisinternal

  union all
  select 'rule', rel.name || '.' || quote_ident(r.rulename), json_build_object(
    'definition', pg_get_ruledef(r.oid),
    'comment', obj_description(r.oid, 'pg_rewrite'))
  from rel join pg_rewrite r on r.ev_class = rel.oid
  where r.rulename <> '_RETURN'

  union all
  select 'policy', rel.name || '.' || quote_ident(p.polname), json_build_object(
    'command', case p.polcmd when 'r' then 'select' when 'a' then 'insert' when 'w' then 'update'
      when 'd' then 'delete' else 'all' end,
    'permissive', case when p.polpermissive then 'permissive' else 'restrictive' end,
    'roles', ${
    list(`select case when r = 0 then 'public' else quote_ident(pg_get_userbyid(r)) end
      from unnest(p.polroles) r order by 1`)
  },
    'using', pg_get_expr(p.polqual, p.polrelid),
    'with check', pg_get_expr(p.polwithcheck, p.polrelid),
    'comment', obj_description(p.oid, 'pg_policy'))
  from rel join pg_policy p on p.polrelid = rel.oid

  union all
  select case p.prokind when 'p' then 'procedure' when 'a' then 'aggregate' else 'function' end,
    ns.q || '.' || quote_ident(p.proname) || '(' || pg_get_function_identity_arguments(p.oid) || ')',
    json_build_object(
    'definition', case when p.prokind <> 'a' then pg_get_functiondef(p.oid) else (
      select concat_ws(' ', 'returns ' || format_type(p.prorettype, null),
        'sfunc ' || a.aggtransfn::text, 'stype ' || format_type(a.aggtranstype, null),
        'finalfunc ' || nullif(a.aggfinalfn::text, '-'),
        'combinefunc ' || nullif(a.aggcombinefn::text, '-'),
        'initcond ' || a.agginitval, 'sortop ' || nullif(a.aggsortop, 0)::regoperator::text)
      from pg_aggregate a where a.aggfnoid = p.oid) end,
    'owner', pg_get_userbyid(p.proowner),
    'privileges', ${acl("p.proacl")},
    'comment', obj_description(p.oid, 'pg_proc'))
  from pg_proc p join ns on ns.oid = p.pronamespace
  where ${NOT_EXTENSION_MEMBER("pg_proc", "p.oid")}
    -- the constructors that CREATE TYPE ... AS RANGE makes are part of the type
    and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass
      and d.objid = p.oid and d.deptype = 'i')

  union all
  select case typtype when 'e' then 'enum' when 'd' then 'domain' when 'r' then 'range'
    when 'c' then 'type' else 'base type' end,
    typ.name, json_build_object(
    'labels', case when typtype = 'e' then ${
    list(
      "select quote_literal(e.enumlabel) from pg_enum e where e.enumtypid = typ.oid " +
        "order by e.enumsortorder",
    )
  } end,
    'type', case when typtype = 'd' then format_type(typbasetype, typtypmod) end,
    'not null', case when typtype = 'd' then ${flag("typnotnull")} end,
    'default', typdefault,
    'attributes', case when typtype = 'c' then ${
    list(`select quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod)
      from pg_attribute a where a.attrelid = typ.typrelid and a.attnum > 0 and not a.attisdropped
      order by a.attnum`)
  } end,
    'subtype', (select format_type(r.rngsubtype, null) from pg_range r where r.rngtypid = typ.oid),
    'input', case when typtype = 'b' then typinput::text end,
    'owner', pg_get_userbyid(typowner),
    'privileges', ${acl("typacl")},
    'comment', obj_description(typ.oid, 'pg_type'))
  from typ

  union all
  select 'statistics', ns.q || '.' || quote_ident(s.stxname), json_build_object(
    'definition', pg_get_statisticsobjdef(s.oid),
    'comment', obj_description(s.oid, 'pg_statistic_ext'))
  from pg_statistic_ext s join ns on ns.oid = s.stxnamespace

  union all
  select 'event trigger', quote_ident(e.evtname), json_build_object(
    'event', e.evtevent,
    'function', e.evtfoid::regprocedure::text,
    'tags', array_to_string(e.evttags, ', '),
    'enabled', case e.evtenabled when 'D' then 'disabled' when 'R' then 'replica'
      when 'A' then 'always' end)
  from pg_event_trigger e
  where ${NOT_EXTENSION_MEMBER("pg_event_trigger", "e.oid")}
)
select coalesce(json_agg(json_build_object('k', k, 'n', n, 'p', json_strip_nulls(p))), '[]')::text
  as snapshot
from objects`;
}

/**
 * The content query for tables (quoted qualified names): per table its row count and an
 * order-independent hash of its rows as text (the sum of 60-bit pieces of each row's MD5, so a
 * duplicated row counts twice). ONLY: a partition's rows are its own, never its parent's.
 */
export function contentSql(tables: readonly string[]): string {
  if (tables.length === 0) {
    return "select null::text as t, null::text as n, null::text as h limit 0";
  }
  return tables.map((t) =>
    `select ${literal(t)} as t, count(*)::text as n, coalesce(sum(('x' || ` +
    `substr(md5(r::text), 1, 15))::bit(60)::bigint::numeric), 0)::text as h from only ${t} r`
  ).join("\nunion all\n");
}

// The catalogs the snapshot reads. A row inserted or updated gets a newer xmin and a row deleted
// lowers the count, so (count, max xmin) moves whenever the catalog changed. It also moves when a
// statement rewrites a row identically (COMMENT ON, CREATE OR REPLACE): the full snapshot decides.
// Rows of objects created after initdb only (FirstNormalObjectId): fewer rows to read, and those
// that initdb made never change what the snapshot shows, but for schema public and its comment.
// Roles are left out (pg_authid is shared and readable by superusers only): a role renamed by a
// migration changes owners and grants as the snapshot words them without moving these.
const USER = "16384";
const FINGERPRINT_CATALOGS = [
  "pg_namespace",
  `pg_class where oid >= ${USER}`,
  `pg_attribute where attrelid >= ${USER}`,
  "pg_attrdef",
  "pg_constraint",
  `pg_index where indrelid >= ${USER}`,
  "pg_inherits",
  "pg_partitioned_table",
  `pg_proc where oid >= ${USER}`,
  `pg_aggregate where aggfnoid >= ${USER}`,
  `pg_trigger where tgrelid >= ${USER}`,
  `pg_rewrite where ev_class >= ${USER}`,
  "pg_policy",
  `pg_type where oid >= ${USER}`,
  "pg_enum",
  `pg_range where rngtypid >= ${USER}`,
  "pg_sequence",
  "pg_extension",
  `pg_description where objoid >= ${USER} or classoid = 'pg_namespace'::regclass`,
  "pg_statistic_ext",
  "pg_event_trigger",
  "pg_foreign_table",
  "pg_foreign_server",
  `pg_collation where oid >= ${USER}`,
  `pg_am where oid >= ${USER}`,
  `pg_depend where objid >= ${USER}`,
];

// Each piece is numbered so that the order is fixed; string_agg, not concat_ws, which takes at
// most 100 arguments.
const versions = (froms: readonly string[]) =>
  `select md5(string_agg(v, ';' order by i)) as fingerprint from (\n  ${
    froms.map((f, i) =>
      `select ${i} as i, count(*) || ':' || coalesce(max(xmin::text::bigint), 0) as v from ${f}`
    ).join("\n  union all ")
  }\n) versions`;

/** One row, one column `fingerprint`: what moves whenever the catalogs the snapshot reads change. */
export const CATALOG_FINGERPRINT_SQL: string = versions(FINGERPRINT_CATALOGS);

/**
 * One row, one column `fingerprint`: what moves whenever a row of these tables is written or
 * deleted (valid while the catalog fingerprint holds, so the tables still exist).
 */
export function contentFingerprintSql(tables: readonly string[]): string {
  if (tables.length === 0) return "select '' as fingerprint";
  return versions(tables.map((t) => `only ${t}`));
}
