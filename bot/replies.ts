// Small builders for the bot's answers, so every reply is a card rendered from a template.
import type { OutboundMessage } from './bot-types.ts';
import { attachment, type CardData, type CardTemplate, renderCardWithin } from './cards/render-card.ts';

export function cardMessage(
  name: CardTemplate,
  data: CardData,
  listKeys: string[] = [],
  summary?: string,
): OutboundMessage {
  return {
    attachments: [attachment(renderCardWithin(name, data, listKeys))],
    ...(summary ? { summary } : {}),
  };
}

export function noticeCard(
  title: string,
  message: string,
  hint = '',
  tone: 'info' | 'warning' | 'error' = 'info',
) {
  return renderCardWithin('notice', { title, message, hint, tone });
}

export function notice(
  title: string,
  message: string,
  hint = '',
  tone: 'info' | 'warning' | 'error' = 'info',
): OutboundMessage {
  return { attachments: [attachment(noticeCard(title, message, hint, tone))], summary: title };
}

export const NOT_ADMIN_TITLE = 'Only tenant admins can do this';
export const NOT_ADMIN_TEXT =
  'Sorry — this is limited to admins of this tenant (members of its admin group or holders of its admin roles). Ask an admin for help, or type "help".';

export function notAdmin(): OutboundMessage {
  return notice(NOT_ADMIN_TITLE, NOT_ADMIN_TEXT, '', 'warning');
}
