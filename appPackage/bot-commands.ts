// The bot's commands: one list shared by the bot (bot/, parsing and `help`), the Teams manifest's
// command menu (appPackage/manifest.json) and the package test that keeps the two equal.

export interface BotCommandSpec {
  /** What the user types first (case-insensitive); the title Teams shows in the command menu. */
  readonly title: string;
  /** Arguments after the title, in the syntax `help` prints ('' when none). */
  readonly usage: string;
  /** One short line: what the command does. */
  readonly summary: string;
}

export const BOT_COMMANDS: readonly BotCommandSpec[] = [
  { title: 'help', usage: '', summary: 'What I can do and how to ask' },
  { title: 'status', usage: '', summary: 'Last backup per object type, next run, anything failing' },
  { title: 'backup now', usage: '[type]', summary: 'Start a backup now, of everything in scope or one type' },
  { title: 'find', usage: '<text>', summary: 'Search backed-up objects by name, UPN, mail or id' },
  { title: 'history', usage: 'user|group <name>', summary: 'Versions of a user or group and what changed' },
  {
    title: 'restore',
    usage: 'user|group <name|upn|id> [at <date>]',
    summary: 'Restore a deleted or changed user or group (needs approval)',
  },
  {
    title: 'changes',
    usage: '[since <duration>]',
    summary: 'What changed in the directory recently (default 24h)',
  },
  { title: 'approvals', usage: '', summary: 'Restore requests waiting for approval' },
  { title: 'settings', usage: '', summary: 'Backup scope, schedule, alerts, approval policy, consent' },
] as const;

export const BOT_COMMAND_TITLES: readonly string[] = BOT_COMMANDS.map((command) => command.title);

/** The full syntax line of a command, e.g. `restore user|group <name|upn|id> [at <date>]`. */
export function commandSyntax(command: BotCommandSpec): string {
  return command.usage ? `${command.title} ${command.usage}` : command.title;
}

/** The manifest's `commandLists[].commands`: Teams shows the description under the title. */
export function manifestCommands(): { title: string; description: string }[] {
  return BOT_COMMANDS.map((command) => ({
    title: command.title,
    description: command.usage ? `${command.summary}: ${commandSyntax(command)}` : command.summary,
  }));
}
