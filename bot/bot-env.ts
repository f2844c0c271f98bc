// What every command and card action is given: the product context, the acting admin (from the
// validated activity), the activity itself, the connector for posting elsewhere, and links.
import type { AppContext } from '../src/app-context.ts';
import type { Principal } from '../src/domain.ts';
import type { ConnectorSender, InboundActivity } from './bot-types.ts';

export interface BotLinks {
  dashboardUrl: string;
  settingsUrl: string;
  restoresUrl: string;
}

export interface BotEnv {
  ctx: AppContext;
  principal: Principal;
  activity: InboundActivity;
  connector: ConnectorSender;
  links: BotLinks;
}

export function botLinks(ctx: AppContext): BotLinks {
  const base = (ctx.config.PUBLIC_URL ?? `http://localhost:${ctx.config.PORT}`).replace(/\/+$/, '');
  return {
    dashboardUrl: `${base}/tab/`,
    settingsUrl: `${base}/tab/#/settings`,
    restoresUrl: `${base}/tab/#/restores`,
  };
}

/** Short UTC time for cards: 2026-11-20 14:05 UTC. */
export function formatTime(iso: string | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** A value as one short line for a card. */
export function shortValue(value: unknown, max = 120): string {
  if (value === null || value === undefined) return '(empty)';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
