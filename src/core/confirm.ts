// The safety step of every command that changes or forgets tracking or data (undo, mark, baseline,
// reset, seed --reset, --repair): say what will happen, then ask on a terminal (type the database
// name, as GitHub asks before deleting a repository), or require --yes off one. --dry-run stops
// after saying it. Nothing has been changed when this throws. Across a tenant group it is asked
// once, about the group (type its name), before any tenant is touched.

import { ConfigError } from "./errors.ts";

/** What a command is about to do to one database, or to each tenant of a group. */
export interface ChangeRequest {
  /** The command as the user typed it, for messages: `undo`, `mark applied`, `reset`. */
  command: string;
  /** The database's name, or the tenant group's. */
  database: string;
  /** For a tenant group: how many of its tenants the run changes (actions: what, in each). */
  tenants?: number;
  /** One line per change, in the order they will be made. */
  actions: string[];
  /** --yes: the operator agreed beforehand (Jobs, scripts). */
  yes: boolean;
  /** --dry-run: say what would happen and change nothing. */
  dryRun: boolean;
}

/** Where the question is asked and answered; tests and main.ts pass a terminal, others nothing. */
export interface ConfirmIO {
  /** Whether standard input is a terminal a person can answer on. */
  isTerminal(): boolean;
  /** Writes text as is (the question goes to standard error: --json keeps standard output). */
  write(text: string): void;
  /** Reads one line, without its end; null at end of input. */
  readLine(): Promise<string | null>;
}

/** Whether to go on: true to make the changes, false for a dry run; throws when not agreed. */
export async function confirmChange(
  req: ChangeRequest,
  io: ConfirmIO = terminalIO(),
): Promise<boolean> {
  const group = req.tenants !== undefined;
  // What is changed, as the messages name it: a database, or the tenants of a group.
  const what = group
    ? `${req.tenants} ${req.tenants === 1 ? "tenant" : "tenants"} of the group "${req.database}"`
    : `"${req.database}"`;
  const plan = [
    `${req.command} on ${what} will${group ? ", in each" : ""}:`,
    ...req.actions.map((a) => `  ${a}`),
  ];
  const name = group ? "group's name" : "database name";
  if (req.dryRun) {
    io.write(`${plan.join("\n")}\n(dry run: nothing changed)\n`);
    return false;
  }
  if (req.yes) return true;
  if (req.actions.length === 0) return true;
  if (!io.isTerminal()) {
    throw new ConfigError(
      "CONFIRMATION_REQUIRED",
      `${req.command} changes ${what} and asks first, but standard input is not a ` +
        "terminal: nothing changed",
      {
        database: req.database,
        hint:
          "run it again with --yes to agree beforehand, or with --dry-run to see what it would do",
      },
    );
  }
  io.write(`${plan.join("\n")}\nType the ${name} (${req.database}) to go on: `);
  const answer = (await io.readLine())?.trim();
  if (answer !== req.database) {
    throw new ConfigError(
      "NOT_CONFIRMED",
      `${req.command} on ${what} was not confirmed${
        answer === undefined ? " (end of input)" : ` ("${answer}" is not the ${name})`
      }: nothing changed`,
      { database: req.database, hint: `type the ${name} exactly, or pass --yes` },
    );
  }
  return true;
}

/** The process's own terminal: asks on standard error, reads standard input a line at a time. */
export function terminalIO(): ConfirmIO {
  return {
    isTerminal: () => Deno.stdin.isTerminal(),
    write: (text) => {
      Deno.stderr.writeSync(new TextEncoder().encode(text));
    },
    readLine: async () => {
      const bytes: number[] = [];
      const buf = new Uint8Array(1);
      // A byte at a time so nothing after the line is consumed from a shared input.
      while (true) {
        const n = await Deno.stdin.read(buf);
        if (n === null) {
          return bytes.length === 0 ? null : new TextDecoder().decode(new Uint8Array(bytes));
        }
        if (buf[0] === 0x0a) break;
        bytes.push(buf[0]!);
      }
      return new TextDecoder().decode(new Uint8Array(bytes)).replace(/\r$/, "");
    },
  };
}
