// The image's filesystem without a Docker engine: the Dockerfile's COPY instructions applied to the
// build context (.dockerignore honoured) under a temp dir that stands for the container's /, the
// repository's node_modules standing in for the RUN `deno install`, and a runner for the ENTRYPOINT
// as the Dockerfile's USER. Not a test file itself.
import { dirname, join, posix } from "node:path";
import { ROOT } from "../helpers.ts";
import {
  buildContext,
  type DockerfileInfo,
  isObj,
  PERMISSION_SET,
  type PermissionSet,
  readDockerfile,
} from "./_deploy.ts";

/** What the base image (denoland/deno) sets that the Dockerfile relies on. */
export const BASE_IMAGE_ENV: Record<string, string> = { DENO_DIR: "/deno-dir" };

/** A staged image: its files under `root`, and how to run its entry point. */
export interface StagedImage {
  /** The temp dir that stands for the container's /. */
  root: string;
  dockerfile: DockerfileInfo;
  /** The staged path of a path inside the container. */
  path(containerPath: string): string;
  /** Writes a file the way Docker and Kubernetes mount a secret (read-only, group of the user). */
  mountSecret(containerPath: string, content: string): Promise<void>;
  /** Replaces a directory the way a mounted volume would (read-only, like the image's own). */
  mountDir(containerPath: string, files: Record<string, string>): Promise<void>;
  /** The container's argv: ENTRYPOINT, then args (Compose `command`, Kubernetes `args`) or CMD. */
  argv(args?: string[]): string[];
  /**
   * The ENTRYPOINT as a process: Deno.execPath() for `deno`, as the image's USER when we are root;
   * with `pid1`, as PID 1 of a new PID namespace, as a container without an init runs it (root only).
   */
  command(opts: { args?: string[]; env: Record<string, string>; pid1?: boolean }): Deno.Command;
  cleanup(): Promise<void>;
}

async function chmodTree(path: string, fileMode: number, dirMode: number): Promise<void> {
  const info = await Deno.lstat(path);
  if (info.isSymlink) return;
  if (info.isDirectory) {
    for await (const e of Deno.readDir(path)) {
      await chmodTree(join(path, e.name), fileMode, dirMode);
    }
    await Deno.chmod(path, dirMode);
  } else {
    await Deno.chmod(path, fileMode);
  }
}

/** The uid and gid of a Dockerfile USER such as `1993:1993` (numeric only). */
export function numericUser(user: string | null): { uid: number; gid: number } | null {
  const m = /^(\d+)(?::(\d+))?$/.exec(user ?? "");
  return m ? { uid: Number(m[1]), gid: Number(m[2] ?? m[1]) } : null;
}

/**
 * Stages the image. `permissions` may change the permission set after its absolute paths are mapped
 * into the staged root (to show that the harness enforces it).
 */
export async function stageImage(
  opts: { permissions?: (set: PermissionSet) => PermissionSet } = {},
): Promise<StagedImage> {
  const dockerfile = await readDockerfile();
  const user = numericUser(dockerfile.user);
  if (!user) throw new Error(`the Dockerfile's USER is not numeric: ${dockerfile.user}`);
  const root = await Deno.makeTempDir({ prefix: "dbm_image_" });
  await Deno.chmod(root, 0o755);
  const path = (p: string) => join(root, posix.resolve(dockerfile.workdir, p));

  // COPY: every context file under each source, to the destination (relative to WORKDIR).
  const context = await buildContext();
  for (const copy of dockerfile.copies) {
    if (copy.flags.some((f) => f.startsWith("--from"))) continue;
    for (const source of copy.sources) {
      const src = source.replace(/^\.\//, "").replace(/\/+$/, "");
      const files = context.filter((f) => f === src || f.startsWith(`${src}/`));
      if (files.length === 0) throw new Error(`COPY ${source}: nothing in the build context`);
      for (const f of files) {
        const isDirCopy = f !== src;
        const target = isDirCopy
          ? posix.join(copy.dest, f.slice(src.length + 1))
          : copy.dest.endsWith("/")
          ? posix.join(copy.dest, posix.basename(f))
          : copy.dest;
        const out = path(target);
        await Deno.mkdir(dirname(out), { recursive: true });
        await Deno.copyFile(join(ROOT, f), out);
      }
    }
  }
  const app = path(dockerfile.workdir);
  // RUN deno install --frozen: the packages deno.lock pins, as installed in the repository.
  await Deno.symlink(join(ROOT, "node_modules"), join(app, "node_modules"));

  // The permission set's absolute paths point into the staged root; relative ones already do.
  const configPath = join(app, "deno.json");
  const config = JSON.parse(await Deno.readTextFile(configPath));
  const set = config.permissions?.[PERMISSION_SET];
  if (!isObj(set)) throw new Error(`the staged deno.json has no permissions.${PERMISSION_SET}`);
  for (const kind of ["read", "write"]) {
    const list = set[kind];
    if (Array.isArray(list)) {
      set[kind] = list.map((p: string) => p.startsWith("/") ? join(root, p) : p);
    }
  }
  config.permissions[PERMISSION_SET] = opts.permissions
    ? opts.permissions(set as PermissionSet)
    : set;
  await Deno.writeTextFile(configPath, JSON.stringify(config, null, 2));

  // What the base image and the platform provide: an empty DENO_DIR (ours is not even warmed up),
  // the kubelet's termination log file, a home directory that does not exist.
  const denoDir = path(BASE_IMAGE_ENV.DENO_DIR!);
  await Deno.mkdir(denoDir, { recursive: true });
  await Deno.mkdir(path("/dev"), { recursive: true });
  await Deno.writeTextFile(path("/dev/termination-log"), "");
  await Deno.chmod(path("/dev/termination-log"), 0o666);

  // Image content belongs to root and is read-only for everyone.
  await chmodTree(app, 0o444, 0o555);
  await Deno.chmod(denoDir, 0o555);

  const asRoot = Deno.uid() === 0;
  const argv = (args?: string[]) => {
    if (!dockerfile.entrypoint) throw new Error("the Dockerfile has no exec-form ENTRYPOINT");
    return [...dockerfile.entrypoint, ...(args ?? dockerfile.cmd ?? [])];
  };
  return {
    root,
    dockerfile,
    path,
    async mountSecret(containerPath, content) {
      const out = path(containerPath);
      await Deno.mkdir(dirname(out), { recursive: true });
      await Deno.writeTextFile(out, content);
      // Kubernetes: defaultMode 0440 with fsGroup; Docker: a bind mount of the host file.
      if (asRoot) await Deno.chown(out, 0, user.gid);
      await Deno.chmod(out, asRoot ? 0o440 : 0o444);
    },
    async mountDir(containerPath, files) {
      const dir = path(containerPath);
      const parent = dirname(dir);
      const parentMode = (await Deno.stat(parent)).mode! & 0o777;
      await Deno.chmod(parent, 0o755);
      await chmodTree(dir, 0o644, 0o755).catch(() => {});
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      await Deno.mkdir(dir, { recursive: true });
      for (const [name, content] of Object.entries(files)) {
        await Deno.mkdir(dirname(join(dir, name)), { recursive: true });
        await Deno.writeTextFile(join(dir, name), content);
      }
      await chmodTree(dir, 0o444, 0o555);
      await Deno.chmod(parent, parentMode);
    },
    argv,
    command({ args, env, pid1 }) {
      const [program, ...rest] = argv(args);
      if (program !== "deno") throw new Error(`the ENTRYPOINT runs ${program}, not deno`);
      const full = [Deno.execPath(), ...rest];
      // As root, run as the image's USER (uid and gid 1993): the image's files are then really
      // read-only for the program, as in the container.
      let cmd = asRoot
        ? ["setpriv", `--reuid=${user.uid}`, `--regid=${user.gid}`, "--clear-groups", ...full]
        : full;
      if (pid1) {
        if (!asRoot) throw new Error("running as PID 1 of a new PID namespace needs root");
        cmd = ["unshare", "--pid", "--fork", "--kill-child", ...cmd];
      }
      return new Deno.Command(cmd[0]!, {
        args: cmd.slice(1),
        cwd: app,
        clearEnv: true,
        env: {
          PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
          HOME: path("/home/deno"),
          ...dockerfile.env,
          DENO_DIR: denoDir,
          ...env,
        },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      });
    },
    async cleanup() {
      await chmodTree(root, 0o644, 0o755).catch(() => {});
      await Deno.remove(root, { recursive: true }).catch(() => {});
    },
  };
}

/** Exit code and output of one run of the image. */
export interface ImageRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the image's entry point to the end. */
export async function runImage(
  image: StagedImage,
  opts: { args?: string[]; env: Record<string, string> },
): Promise<ImageRun> {
  const out = await image.command(opts).output();
  const d = new TextDecoder();
  return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
}

/**
 * The process that runs as PID 1 inside the namespace `unshare --pid --fork` (pid) made: its only
 * child, once it exists.
 */
export async function namespaceInit(unsharePid: number, timeoutMs = 5000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const children = (await Deno.readTextFile(`/proc/${unsharePid}/task/${unsharePid}/children`))
        .trim();
      if (children) return Number(children.split(/\s+/)[0]);
    } catch {
      // not there yet
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`unshare (pid ${unsharePid}) started no child within ${timeoutMs} ms`);
}
