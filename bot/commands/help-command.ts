// `help`: every command with what it does (the manifest's command list says the same).
import type { OutboundMessage } from '../bot-types.ts';
import { USAGE } from '../command-parser.ts';
import { cardMessage } from '../replies.ts';

export const COMMAND_HELP: { usage: string; text: string }[] = [
  { usage: USAGE.status, text: 'Backup state per object type, last good backup, next run.' },
  { usage: USAGE.backup, text: 'Start a backup now (all types, or one: user, group, application…).' },
  { usage: USAGE.find, text: 'Search the backup by name, UPN, mail or id (deleted objects too).' },
  { usage: USAGE.history, text: 'Versions of a user or group, with what changed.' },
  {
    usage: USAGE.restore,
    text: 'Restore a user or group (deleted or changed) after a second admin approves.',
  },
  { usage: USAGE.changes, text: 'What changed in the directory recently (default: last 24 hours).' },
  { usage: USAGE.approvals, text: 'Restore requests waiting for approval.' },
  { usage: USAGE.settings, text: 'Backup scope, alert mode, alert channel and approval policy.' },
  { usage: USAGE.help, text: 'This list.' },
];

export function helpReply(title = 'What I can do', intro = ''): OutboundMessage {
  return cardMessage('help', { title, intro, commands: COMMAND_HELP }, [], title);
}
