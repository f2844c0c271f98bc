// Expands the Adaptive Card templates of this folder (adaptivecards-templating) and keeps every
// card under Teams' 28 KB message limit: lists are shortened (and say so) until the card fits.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ACData from 'adaptivecards-templating';
import type { AdaptiveCardAttachment } from '../bot-types.ts';
import { stripUnsafeCharacters } from '../text-safety.ts';

export const CARD_TEMPLATES = [
  'approval',
  'help',
  'history',
  'notice',
  'object-list',
  'restore',
  'run-result',
  'settings',
  'status',
  'welcome',
] as const;
export type CardTemplate = (typeof CARD_TEMPLATES)[number];

/** Teams refuses messages over 28 KB; keep room for the activity envelope. */
export const MAX_CARD_BYTES = 26 * 1024;

const CARDS_DIR = path.dirname(fileURLToPath(import.meta.url));
const cache = new Map<CardTemplate, unknown>();
// Preparing a template (parsing every `${…}` into an expression) costs 10-20 ms per card; a
// prepared Template is bound to new data on each expand (the library's intended reuse), so each
// template is prepared once per process.
const prepared = new Map<CardTemplate, ACData.Template>();

export function loadTemplate(name: CardTemplate): unknown {
  let template = cache.get(name);
  if (!template) {
    template = JSON.parse(readFileSync(path.join(CARDS_DIR, `${name}.json`), 'utf8'));
    cache.set(name, template);
  }
  return template;
}

export class CardTooLargeError extends Error {
  override readonly name = 'CardTooLargeError';
}

export type CardData = Record<string, unknown>;

/** Expands a template. Text values are sanitised so user data can never become an expression. */
export function renderCard(name: CardTemplate, data: CardData): Record<string, unknown> {
  return preparedTemplate(name).expand({ $root: sanitize(data) }) as Record<string, unknown>;
}

function preparedTemplate(name: CardTemplate): ACData.Template {
  let template = prepared.get(name);
  if (!template) {
    template = new ACData.Template(loadTemplate(name));
    prepared.set(name, template);
  }
  return template;
}

/** Prepares every template now (at start), so no one's first command pays for it. */
export function prepareCardTemplates(): void {
  for (const name of CARD_TEMPLATES) preparedTemplate(name);
}

/**
 * Renders and shortens the named list fields (longest first) until the card fits; the card's
 * `footer` (when the template has one) says how many items were left out.
 */
export function renderCardWithin(
  name: CardTemplate,
  data: CardData,
  listKeys: string[] = [],
  maxBytes = MAX_CARD_BYTES,
): Record<string, unknown> {
  const working: CardData = { ...data };
  let dropped = 0;
  for (let round = 0; round < 40; round++) {
    const card = renderCard(name, working);
    if (cardBytes(card) <= maxBytes) return card;
    const key = listKeys
      .filter((k) => Array.isArray(working[k]) && (working[k] as unknown[]).length > 0)
      .sort((a, b) => (working[b] as unknown[]).length - (working[a] as unknown[]).length)[0];
    if (!key) break;
    const list = working[key] as unknown[];
    const keep = Math.floor(list.length / 2);
    dropped += list.length - keep;
    working[key] = list.slice(0, keep);
    working.footer = `${dropped} more not shown here (Teams limits a card to 28 KB): open the dashboard for the full list.`;
  }
  throw new CardTooLargeError(`card ${name} does not fit in ${maxBytes} bytes`);
}

export function cardBytes(card: unknown): number {
  return Buffer.byteLength(JSON.stringify(card), 'utf8');
}

export function attachment(card: Record<string, unknown>): AdaptiveCardAttachment {
  return { contentType: 'application/vnd.microsoft.card.adaptive', content: card };
}

// `${` in user-controlled text would otherwise be read as a template expression on re-render;
// controls are removed, and very long values are cut.
function sanitize(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') {
    const cleaned = stripUnsafeCharacters(value, '\n').replace(/\$\{/g, '$ {');
    return cleaned.length > 2000 ? `${cleaned.slice(0, 2000)}…` : cleaned;
  }
  if (depth > 8) return undefined;
  if (Array.isArray(value)) return value.map((v) => sanitize(v, depth + 1));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, sanitize(v, depth + 1)]));
  }
  return value;
}
