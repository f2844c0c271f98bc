// Turns what an admin typed into a command. Pure: no I/O, never throws. Teams wraps a channel
// mention in <at>…</at> and may send HTML; both are stripped. Words are case-insensitive;
// unknown words get the closest command.
import { OBJECT_TYPES, type ObjectType } from '../src/domain.ts';
import { stripUnsafeCharacters } from './text-safety.ts';

export const COMMAND_NAMES = [
  'help',
  'status',
  'backup now',
  'find',
  'history',
  'restore',
  'changes',
  'approvals',
  'settings',
] as const;

/** The longest command text accepted; longer input is refused before any parsing. */
export const MAX_COMMAND_LENGTH = 1000;

export type ObjectKind = 'user' | 'group';

export type Command =
  | { kind: 'help' }
  | { kind: 'status' }
  | { kind: 'backup'; objectType?: ObjectType }
  | { kind: 'find'; text: string }
  | { kind: 'history'; objectType: ObjectKind; name: string }
  | { kind: 'restore'; objectType: ObjectKind; name: string; at?: string }
  | { kind: 'changes'; sinceMs: number; sinceText: string }
  | { kind: 'approvals' }
  | { kind: 'settings' }
  | { kind: 'empty' }
  | { kind: 'too-long'; length: number }
  | { kind: 'invalid'; command: string; message: string; usage: string }
  | { kind: 'unknown'; word: string; suggestion: string };

export const USAGE: Record<string, string> = {
  help: 'help',
  status: 'status',
  backup: 'backup now [type]',
  find: 'find <text>',
  history: 'history user|group <name>',
  restore: 'restore user|group <name|upn|id> [at <date>]',
  changes: 'changes [since <duration, e.g. 24h, 7d>]',
  approvals: 'approvals',
  settings: 'settings',
};

/** Removes mentions, HTML and control characters; collapses whitespace. */
export function cleanText(raw: string): string {
  return (
    stripUnsafeCharacters(raw)
      .replace(/<at>[\s\S]*?<\/at>/gi, ' ')
      .replace(/<[^>]{0,200}>/g, ' ')
      .replace(/&nbsp;/gi, ' ')
      .replace(/&lt;/gi, '<')
      .replace(/&gt;/gi, '>')
      .replace(/&quot;/gi, '"')
      .replace(/&#39;/gi, "'")
      .replace(/&amp;/gi, '&')
      // C0/C1 controls, zero-width and bidi controls: never part of a command or a name.
      .replace(/\s+/g, ' ')
      .trim()
  );
}

export function parseCommand(raw: string | undefined | null): Command {
  const input = typeof raw === 'string' ? raw : '';
  if (input.length > MAX_COMMAND_LENGTH * 4) return { kind: 'too-long', length: input.length };
  const text = cleanText(input);
  if (text.length > MAX_COMMAND_LENGTH) return { kind: 'too-long', length: text.length };
  if (!text) return { kind: 'empty' };
  const words = text.split(' ');
  const head = words[0].toLowerCase().replace(/^\//, '');
  const rest = words.slice(1);
  switch (head) {
    case 'help':
    case '?':
      return { kind: 'help' };
    case 'status':
      return { kind: 'status' };
    case 'approvals':
      return { kind: 'approvals' };
    case 'settings':
      return { kind: 'settings' };
    case 'backup':
      return parseBackup(rest);
    case 'find':
    case 'search': {
      const query = rest.join(' ').trim();
      if (!query) return invalid('find', 'Say what to look for.');
      return { kind: 'find', text: query.slice(0, 200) };
    }
    case 'history':
      return parseObjectCommand('history', rest);
    case 'restore':
      return parseObjectCommand('restore', rest);
    case 'changes':
      return parseChanges(rest);
    default:
      return { kind: 'unknown', word: words[0].slice(0, 50), suggestion: closestCommand(text) };
  }
}

function invalid(command: string, message: string): Command {
  return { kind: 'invalid', command, message, usage: USAGE[command] };
}

function typeFromWord(word: string): ObjectType | undefined {
  const w = word.toLowerCase().replace(/s$/, '');
  const aliases: Record<string, ObjectType> = {
    user: 'user',
    group: 'group',
    app: 'application',
    application: 'application',
    serviceprincipal: 'servicePrincipal',
    sp: 'servicePrincipal',
    role: 'directoryRole',
    directoryrole: 'directoryRole',
    roledefinition: 'roleDefinition',
    roleassignment: 'roleAssignment',
    device: 'device',
    administrativeunit: 'administrativeUnit',
    au: 'administrativeUnit',
    signin: 'signIn',
    conditionalaccesspolicy: 'conditionalAccessPolicy',
    ca: 'conditionalAccessPolicy',
    policy: 'conditionalAccessPolicy',
    policie: 'conditionalAccessPolicy',
    authenticationmethod: 'authenticationMethods',
  };
  return aliases[w] ?? OBJECT_TYPES.find((t) => t.toLowerCase() === w);
}

function parseBackup(rest: string[]): Command {
  if (rest[0]?.toLowerCase() !== 'now') return invalid('backup', 'Did you mean "backup now"?');
  if (rest.length === 1) return { kind: 'backup' };
  if (rest.length > 2) return invalid('backup', 'Name at most one object type.');
  const objectType = typeFromWord(rest[1]);
  if (!objectType)
    return invalid('backup', `"${rest[1].slice(0, 40)}" is not an object type (${OBJECT_TYPES.join(', ')}).`);
  return { kind: 'backup', objectType };
}

function parseObjectCommand(command: 'history' | 'restore', rest: string[]): Command {
  const kind = rest[0]?.toLowerCase().replace(/s$/, '');
  if (kind !== 'user' && kind !== 'group') return invalid(command, 'Say "user" or "group" first.');
  let nameWords = rest.slice(1);
  let at: string | undefined;
  if (command === 'restore') {
    const atIndex = nameWords.map((w) => w.toLowerCase()).lastIndexOf('at');
    if (atIndex >= 1) {
      const when = parseWhen(nameWords.slice(atIndex + 1).join(' '));
      if (!when)
        return invalid(
          command,
          `"${nameWords
            .slice(atIndex + 1)
            .join(' ')
            .slice(0, 40)}" is not a date (use e.g. 2026-11-20 or 2026-11-20T14:00Z).`,
        );
      at = when;
      nameWords = nameWords.slice(0, atIndex);
    }
  }
  const name = nameWords.join(' ').trim();
  if (!name) return invalid(command, `Say which ${kind}: a name, part of the UPN, or the object id.`);
  if (name.length > 256) return invalid(command, 'That name is too long.');
  return command === 'restore'
    ? { kind: 'restore', objectType: kind, name, ...(at ? { at } : {}) }
    : { kind: 'history', objectType: kind, name };
}

/** ISO date or date-time; a bare date means the end of that day (UTC). */
export function parseWhen(text: string): string | undefined {
  const t = text.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(t)) {
    const d = new Date(`${t}T23:59:59.999Z`);
    return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
  }
  if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?$/i.test(t)) {
    const normalized = t.replace(' ', 'T');
    const d = new Date(/[zZ]|[+-]\d{2}:?\d{2}$/.test(normalized) ? normalized : `${normalized}Z`);
    return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
  }
  return undefined;
}

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

function parseChanges(rest: string[]): Command {
  if (rest.length === 0) return { kind: 'changes', sinceMs: UNIT_MS.d, sinceText: '24h' };
  const words = rest[0].toLowerCase() === 'since' ? rest.slice(1) : rest;
  const match = /^(\d{1,4})\s*(m|min|mins|minutes?|h|hours?|d|days?|w|weeks?)$/i.exec(words.join(''));
  if (!match) return invalid('changes', 'Give a duration such as 30m, 24h, 7d or 2w.');
  const amount = Number(match[1]);
  const unit = match[2][0].toLowerCase();
  const sinceMs = amount * UNIT_MS[unit];
  if (amount < 1 || sinceMs > 366 * UNIT_MS.d)
    return invalid('changes', 'The duration must be between 1 minute and one year.');
  return { kind: 'changes', sinceMs, sinceText: `${amount}${unit}` };
}

/** Edit distance, bounded to short strings (commands are short). */
export function editDistance(a: string, b: string): number {
  const s = a.slice(0, 40);
  const t = b.slice(0, 40);
  const row = Array.from({ length: t.length + 1 }, (_, i) => i);
  for (let i = 1; i <= s.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= t.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (s[i - 1] === t[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[t.length];
}

export function closestCommand(text: string): string {
  const word = text.toLowerCase().split(' ')[0] ?? '';
  let best: string = COMMAND_NAMES[0];
  let bestScore = Number.POSITIVE_INFINITY;
  for (const name of COMMAND_NAMES) {
    const score = Math.min(
      editDistance(word, name.split(' ')[0]),
      editDistance(text.toLowerCase().slice(0, name.length), name),
    );
    if (score < bestScore) {
      bestScore = score;
      best = name;
    }
  }
  return best;
}
