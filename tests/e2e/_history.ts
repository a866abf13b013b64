// Helpers for the tests of undo, mark, baseline and info: the CLI on a terminal (through
// `script`, so that standard input is a TTY a person could answer on). Not a test file itself.
import { join } from "node:path";
import { type CliResult, ROOT } from "../helpers.ts";

/** A shell word: single-quoted. */
function sh(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * Runs the CLI with a terminal for standard input (`script -qec CMD /dev/null`), typing `answer`
 * and a newline into it. Standard output and standard error both come back in stdout, as on a
 * terminal.
 */
export async function runOnTerminal(
  args: string[],
  opts: { cwd: string; env: Record<string, string>; answer: string },
): Promise<CliResult> {
  const env: Record<string, string> = { NO_COLOR: "1" };
  for (const key of ["PATH", "HOME", "DENO_DIR"]) {
    const value = Deno.env.get(key);
    if (value !== undefined) env[key] = value;
  }
  Object.assign(env, opts.env);
  const cmd = [
    Deno.execPath(),
    "run",
    "-A",
    "--config",
    join(ROOT, "deno.json"),
    join(ROOT, "src/main.ts"),
    ...args,
  ].map(sh).join(" ");
  const child = new Deno.Command("script", {
    args: ["-qec", cmd, "/dev/null"],
    cwd: opts.cwd,
    env,
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(`${opts.answer}\n`));
  await writer.close();
  const out = await child.output();
  const decoder = new TextDecoder();
  return {
    code: out.code,
    stdout: decoder.decode(out.stdout).replaceAll("\r\n", "\n"),
    stderr: decoder.decode(out.stderr),
  };
}
