// Reading the deployment files the way Docker, Compose and Kustomize read them, for the tests in
// tests/deploy/. Not a test file itself: deno test skips `_deploy.ts`.
// deno-lint-ignore no-import-prefix -- test-only: kept out of deno.json (tests/deploy/_packages.ts)
import { DockerfileParser, Env, type Instruction } from "npm:dockerfile-ast@0.7.1";
import { join, relative } from "node:path";
import { parse, parseAllDocuments } from "yaml";
import { ROOT } from "../helpers.ts";

/** A plain YAML/JSON mapping. */
export type Obj = Record<string, unknown>;

/** Whether v is a mapping (not an array, not null). */
export function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

// --- Dockerfile --------------------------------------------------------------------------------

/** The parts of the Dockerfile the tests check and run. */
export interface DockerfileInfo {
  text: string;
  instructions: Instruction[];
  from: { image: string; tag: string | undefined; digest: string | undefined; raw: string };
  /** ENV of the final stage, in order. */
  env: Record<string, string>;
  workdir: string;
  /** The last USER before ENTRYPOINT, or null. */
  user: string | null;
  /** Exec-form ENTRYPOINT and CMD (null when the instruction is missing or in shell form). */
  entrypoint: string[] | null;
  cmd: string[] | null;
  /** COPY instructions as [sources, destination], relative to the context and WORKDIR. */
  copies: { sources: string[]; dest: string; flags: string[] }[];
  runs: string[];
}

/** Parses an instruction's arguments as an exec-form JSON array of strings, or returns null. */
export function execForm(instruction: Instruction): string[] | null {
  const content = instruction.getArgumentsContent()?.trim() ?? "";
  if (!content.startsWith("[")) return null;
  try {
    const parsed: unknown = JSON.parse(content);
    return Array.isArray(parsed) && parsed.every((a) => typeof a === "string") ? parsed : null;
  } catch {
    return null;
  }
}

/** Reads ROOT/Dockerfile with dockerfile-ast. */
export async function readDockerfile(path = join(ROOT, "Dockerfile")): Promise<DockerfileInfo> {
  const text = await Deno.readTextFile(path);
  const df = DockerfileParser.parse(text);
  const instructions = df.getInstructions();
  const froms = df.getFROMs();
  const last = froms[froms.length - 1];
  if (!last) throw new Error(`${path} has no FROM`);
  const info: DockerfileInfo = {
    text,
    instructions,
    from: {
      image: last.getImageName() ?? "",
      tag: last.getImageTag() ?? undefined,
      digest: last.getImageDigest() ?? undefined,
      raw: last.getArgumentsContent() ?? "",
    },
    env: {},
    workdir: "/",
    user: null,
    entrypoint: null,
    cmd: null,
    copies: [],
    runs: [],
  };
  const finalStage = instructions.slice(instructions.indexOf(last));
  for (const ins of finalStage) {
    const keyword = ins.getKeyword();
    const args = ins.getArguments().map((a) => a.getValue());
    if (keyword === "ENV") {
      for (const p of ins instanceof Env ? ins.getProperties() : []) {
        info.env[p.getName()] = p.getValue() ?? "";
      }
    } else if (keyword === "WORKDIR") {
      info.workdir = args[0]!.startsWith("/") ? args[0]! : join(info.workdir, args[0]!);
    } else if (keyword === "USER") {
      info.user = args[0] ?? null;
    } else if (keyword === "ENTRYPOINT") {
      info.entrypoint = execForm(ins);
      info.cmd = null; // an ENTRYPOINT resets an inherited CMD
    } else if (keyword === "CMD") {
      info.cmd = execForm(ins);
    } else if (keyword === "COPY" || keyword === "ADD") {
      const flags = args.filter((a) => a.startsWith("--"));
      const rest = args.filter((a) => !a.startsWith("--"));
      info.copies.push({ sources: rest.slice(0, -1), dest: rest[rest.length - 1]!, flags });
    } else if (keyword === "RUN") {
      info.runs.push(ins.getArgumentsContent() ?? "");
    }
  }
  return info;
}

/** The Deno version the tests pin (DENO_VERSION in tests/services.sh). */
export async function pinnedDenoVersion(): Promise<string> {
  const text = await Deno.readTextFile(join(ROOT, "tests/services.sh"));
  const m = /^export DENO_VERSION=(\S+)$/m.exec(text);
  if (!m) throw new Error("tests/services.sh does not export DENO_VERSION");
  return m[1]!;
}

// --- .dockerignore -----------------------------------------------------------------------------

interface IgnoreRule {
  negate: boolean;
  regex: RegExp;
  /** The pattern's literal start, up to its first wildcard. */
  prefix: string;
}

function globToRegExp(pattern: string): RegExp {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*" && pattern[i + 1] === "*") {
      // `**/` matches any number of directories, including none
      if (pattern[i + 2] === "/") {
        re += "(?:.*/)?";
        i += 2;
      } else {
        re += ".*";
        i += 1;
      }
    } else if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  // A pattern that names a directory also covers everything under it.
  return new RegExp(`^${re}(?:/.*)?$`);
}

/** Parses .dockerignore the way Docker does: patterns are cleaned paths, the last match wins. */
export function parseDockerignore(text: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (const raw of text.split("\n")) {
    let line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const negate = line.startsWith("!");
    if (negate) line = line.slice(1).trim();
    line = line.replace(/^\/+/, "").replace(/\/+$/, "");
    if (line === "") continue;
    rules.push({ negate, regex: globToRegExp(line), prefix: line.split(/[*?[]/)[0]! });
  }
  return rules;
}

/** Whether a context-relative path is left out of the build context. */
export function isIgnored(rules: IgnoreRule[], path: string): boolean {
  let ignored = false;
  for (const r of rules) if (r.regex.test(path)) ignored = !r.negate;
  return ignored;
}

/** Every file of the build context (ROOT less .dockerignore), as context-relative paths. */
export async function buildContext(root = ROOT): Promise<string[]> {
  const rules = parseDockerignore(await Deno.readTextFile(join(root, ".dockerignore")));
  const out: string[] = [];
  async function walk(dir: string): Promise<void> {
    for await (const e of Deno.readDir(dir)) {
      const abs = join(dir, e.name);
      const rel = relative(root, abs);
      if (e.isDirectory) {
        // An ignored directory is walked only when a `!` pattern may bring back part of it.
        const mayReturn = rules.some((r) =>
          r.negate && (r.prefix.startsWith(`${rel}/`) || `${rel}/`.startsWith(r.prefix))
        );
        if (!isIgnored(rules, rel) || mayReturn) await walk(abs);
      } else if (!isIgnored(rules, rel)) out.push(rel);
    }
  }
  await walk(root);
  return out.sort();
}

// --- deno.json's permission set ----------------------------------------------------------------

/** The name of the permission set the image runs with. */
export const PERMISSION_SET = "container";

/** A deno.json permission set: each kind is a list of values, true (all) or false/absent (none). */
export type PermissionSet = Record<string, boolean | string[] | undefined>;

/** Reads deno.json's permissions[name]. */
export async function readPermissionSet(
  name = PERMISSION_SET,
  configPath = join(ROOT, "deno.json"),
): Promise<PermissionSet> {
  const config = JSON.parse(await Deno.readTextFile(configPath));
  const set = config.permissions?.[name];
  if (!isObj(set)) throw new Error(`${configPath} has no permissions.${name}`);
  return set as PermissionSet;
}

/** Whether an env permission list grants name (exact names, or a prefix ending in `*`). */
export function envGranted(list: PermissionSet[string], name: string): boolean {
  if (list === true) return true;
  if (!Array.isArray(list)) return false;
  return list.some((p) => p.endsWith("*") ? name.startsWith(p.slice(0, -1)) : p === name);
}

// --- Compose -----------------------------------------------------------------------------------

/** Reads one Compose file as plain data. */
export async function readCompose(file: string): Promise<Obj> {
  const doc = parse(await Deno.readTextFile(join(ROOT, file)));
  if (!isObj(doc)) throw new Error(`${file} is not a mapping`);
  return doc;
}

/**
 * Merges a Compose overlay into a base the way `docker compose -f base -f overlay` does for the
 * shapes these files use: mappings merge key by key, scalars are replaced. A sequence defined in
 * both is refused rather than guessed at (Compose merges some by key, appends others).
 */
export function mergeCompose(base: unknown, overlay: unknown, path = ""): unknown {
  if (isObj(base) && isObj(overlay)) {
    const out: Obj = { ...base };
    for (const [k, v] of Object.entries(overlay)) {
      out[k] = k in base ? mergeCompose(base[k], v, `${path}.${k}`) : v;
    }
    return out;
  }
  if (Array.isArray(base) && Array.isArray(overlay)) {
    throw new Error(`mergeCompose: both files set the sequence ${path}; merge it by hand`);
  }
  return overlay;
}

/**
 * Resolves Compose interpolation (`${VAR}`, `${VAR:-default}`, `${VAR-default}`, `$VAR`, `$$`) in a
 * string, with defaults nested, against vars.
 */
export function interpolate(text: string, vars: Record<string, string | undefined>): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== "$") {
      out += c;
      continue;
    }
    const next = text[i + 1];
    if (next === "$") {
      out += "$";
      i++;
    } else if (next === "{") {
      let depth = 1, j = i + 2;
      for (; j < text.length && depth > 0; j++) {
        if (text[j] === "{") depth++;
        else if (text[j] === "}") depth--;
      }
      if (depth !== 0) throw new Error(`unclosed \${ in ${JSON.stringify(text)}`);
      const body = text.slice(i + 2, j - 1);
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)(.*))?$/s.exec(body);
      if (!m) throw new Error(`unsupported interpolation \${${body}}`);
      const value = vars[m[1]!];
      const useDefault = m[2] === ":-" ? !value : m[2] === "-" ? value === undefined : false;
      out += useDefault ? interpolate(m[3] ?? "", vars) : value ?? "";
      i = j - 1;
    } else {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1));
      if (!m) throw new Error(`a lone $ in ${JSON.stringify(text)}`);
      out += vars[m[0]] ?? "";
      i += m[0].length;
    }
  }
  return out;
}

/** A service's environment as a map, interpolated against vars (a list form is accepted too). */
export function serviceEnv(service: Obj, vars: Record<string, string | undefined> = {}) {
  const env: Record<string, string> = {};
  const raw = service.environment ?? {};
  const entries: [string, unknown][] = Array.isArray(raw)
    ? raw.map((e: string) => {
      const i = e.indexOf("=");
      return i < 0 ? [e, vars[e]] : [e.slice(0, i), e.slice(i + 1)];
    })
    : Object.entries(raw as Obj);
  for (const [k, v] of entries) {
    if (v === null || v === undefined) continue;
    env[k] = interpolate(String(v), vars);
  }
  return env;
}

// --- Kustomize ---------------------------------------------------------------------------------

const KUSTOMIZATION_KEYS = new Set(["apiVersion", "kind", "resources", "patches"]);

function deepMerge(target: Obj, patch: Obj, path: string): Obj {
  const out: Obj = { ...target };
  for (const [k, v] of Object.entries(patch)) {
    if (Array.isArray(v)) {
      // Strategic merge merges lists by key (containers by name, env by name...): not emulated.
      throw new Error(`kustomize: the patch sets the list ${path}.${k}; use kubectl kustomize`);
    }
    out[k] = isObj(v) && isObj(target[k]) ? deepMerge(target[k] as Obj, v, `${path}.${k}`) : v;
  }
  return out;
}

function matches(resource: Obj, target: Obj): boolean {
  const [group, version] = String(resource.apiVersion).includes("/")
    ? String(resource.apiVersion).split("/")
    : ["", String(resource.apiVersion)];
  const name = (resource.metadata as Obj | undefined)?.name;
  return (target.group === undefined || target.group === group) &&
    (target.version === undefined || target.version === version) &&
    (target.kind === undefined || target.kind === resource.kind) &&
    (target.name === undefined || target.name === name);
}

/**
 * Builds a Kustomize directory the way `kubectl kustomize DIR` does for the features these
 * manifests use (resources, strategic-merge patches of mappings); anything else is refused.
 */
export async function kustomize(dir: string): Promise<Obj[]> {
  const path = join(dir, "kustomization.yaml");
  const k = parse(await Deno.readTextFile(path));
  if (!isObj(k)) throw new Error(`${path} is not a mapping`);
  for (const key of Object.keys(k)) {
    if (!KUSTOMIZATION_KEYS.has(key)) throw new Error(`kustomize: ${path} uses "${key}"`);
  }
  let resources: Obj[] = [];
  for (const r of (k.resources ?? []) as string[]) {
    const abs = join(dir, r);
    if ((await Deno.stat(abs)).isDirectory) resources.push(...await kustomize(abs));
    else resources.push(...await readManifests(abs));
  }
  for (const p of (k.patches ?? []) as Obj[]) {
    const text = typeof p.patch === "string"
      ? p.patch
      : await Deno.readTextFile(join(dir, String(p.path)));
    const patch = parse(text) as Obj;
    const target: Obj = isObj(p.target) ? p.target : {
      kind: patch.kind,
      name: (patch.metadata as Obj | undefined)?.name,
    };
    const hits = resources.filter((r) => matches(r, target));
    if (hits.length === 0) throw new Error(`kustomize: a patch in ${path} matches no resource`);
    resources = resources.map((r) => {
      if (!hits.includes(r)) return r;
      const { apiVersion: _a, kind: _k, ...rest } = patch;
      return deepMerge(r, rest, String(r.kind));
    });
  }
  return resources;
}

/** Every YAML document of a manifest file. */
export async function readManifests(file: string): Promise<Obj[]> {
  const docs = parseAllDocuments(await Deno.readTextFile(file));
  return docs.map((d) => {
    if (d.errors.length) throw new Error(`${file}: ${d.errors[0]!.message}`);
    return d.toJS() as Obj;
  }).filter((d) => d !== null);
}

/** The directories under k8s/ that have a kustomization.yaml: the base and each overlay. */
export async function kustomizeDirs(root = join(ROOT, "k8s")): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string): Promise<void> {
    for await (const e of Deno.readDir(dir)) {
      if (!e.isDirectory) continue;
      const abs = join(dir, e.name);
      try {
        await Deno.stat(join(abs, "kustomization.yaml"));
        out.push(abs);
      } catch {
        // not a kustomization; look deeper
      }
      await walk(abs);
    }
  }
  await walk(root);
  return out.sort();
}

/** The Job of a set of resources (exactly one is expected). */
export function theJob(resources: Obj[]): Obj {
  const jobs = resources.filter((r) => r.kind === "Job");
  if (jobs.length !== 1) throw new Error(`expected one Job, found ${jobs.length}`);
  return jobs[0]!;
}

/** Walks into nested mappings by keys, failing with the path when one is missing. */
export function at(obj: unknown, ...keys: (string | number)[]): unknown {
  let cur: unknown = obj;
  for (const [i, k] of keys.entries()) {
    if (cur === null || typeof cur !== "object" || !(k in (cur as Obj))) {
      throw new Error(`missing ${keys.slice(0, i + 1).join(".")}`);
    }
    cur = (cur as Record<string | number, unknown>)[k];
  }
  return cur;
}

/** Path of a file under ROOT, for messages. */
export function rel(path: string): string {
  return relative(ROOT, path) || ".";
}
