// The bot's turn logic: messages (commands), card actions, installs. SDK-free: it sees the
// validated activity and answers through the BotTurn it is given.
import type { AppContext } from '../src/app-context.ts';
import { AdminCheckUnavailableError, isTenantAdmin } from '../src/auth/tenant-admin.ts';
import { type BotEnv, botLinks } from './bot-env.ts';
import type { BotLogic, BotTurn, ConnectorSender, InvokeResult, OutboundMessage } from './bot-types.ts';
import { cardResponse, errorResponse, handleCardAction } from './card-actions.ts';
import { attachment } from './cards/render-card.ts';
import { type Command, MAX_COMMAND_LENGTH, parseCommand } from './command-parser.ts';
import { approvalsReply } from './commands/approvals-command.ts';
import { backupReply } from './commands/backup-command.ts';
import { changesReply } from './commands/changes-command.ts';
import { findReply } from './commands/find-command.ts';
import { helpReply } from './commands/help-command.ts';
import { historyReply } from './commands/history-command.ts';
import { restoreReply } from './commands/restore-command.ts';
import { settingsShow } from './commands/settings-command.ts';
import { statusReply } from './commands/status-command.ts';
import { handleInstallActivity } from './install-handler.ts';
import { notAdmin, notice, noticeCard } from './replies.ts';
import { principalOf } from './turn-identity.ts';

export function createActivityHandler(ctx: AppContext, connector: ConnectorSender): BotLogic {
  const links = botLinks(ctx);
  return async (turn: BotTurn): Promise<InvokeResult | undefined> => {
    const activity = turn.activity;
    try {
      switch (activity.type) {
        case 'message':
          await onMessage(ctx, connector, links, turn);
          return undefined;
        case 'invoke': {
          if (activity.name !== 'adaptiveCard/action') return { status: 501 };
          const who = principalOf(activity);
          if (!who.ok) return errorResponse(401, 'Unauthorized', who.reason);
          return await handleCardAction(
            { ctx, principal: who.principal, activity, connector, links },
            activity.value,
          );
        }
        case 'installationUpdate':
        case 'conversationUpdate':
          await handleInstallActivity(ctx, turn);
          return undefined;
        default:
          return undefined;
      }
    } catch (error) {
      // Graph too slow or failing to confirm the admin role: not a "no", and not our failure.
      if (error instanceof AdminCheckUnavailableError) {
        ctx.log.warn({ type: activity.type, err: error.message }, 'bot: admin check unavailable');
        if (activity.type === 'invoke')
          return cardResponse(noticeCard('Try again in a moment', error.message, '', 'warning'));
        if (activity.type === 'message')
          await turn
            .send(notice('Try again in a moment', error.message, '', 'warning'))
            .catch(() => undefined);
        return undefined;
      }
      ctx.log.error(
        { err: error instanceof Error ? error.message : String(error), type: activity.type },
        'bot: turn failed',
      );
      if (activity.type === 'invoke')
        return errorResponse(
          500,
          'InternalError',
          'Something went wrong on our side; nothing was changed. Try again in a moment.',
        );
      if (activity.type === 'message') {
        await turn
          .send(
            notice('Something went wrong', 'I could not complete that; try again in a moment.', '', 'error'),
          )
          .catch(() => undefined);
      }
      return undefined;
    }
  };
}

async function onMessage(
  ctx: AppContext,
  connector: ConnectorSender,
  links: BotEnv['links'],
  turn: BotTurn,
): Promise<void> {
  const activity = turn.activity;
  // Older clients submit card inputs as messages with a value and no text: nothing to run.
  if (typeof activity.text !== 'string' || !activity.text.trim()) {
    if (activity.value === undefined) await turn.send(helpReply());
    return;
  }
  const command = parseCommand(activity.text);
  if (command.kind === 'help' || command.kind === 'empty') return void (await turn.send(helpReply()));
  if (command.kind === 'too-long') {
    return void (await turn.send(
      notice(
        'That message is too long',
        `Commands are at most ${MAX_COMMAND_LENGTH} characters. Type "help" for the commands.`,
        '',
        'warning',
      ),
    ));
  }
  if (command.kind === 'unknown') {
    return void (await turn.send(
      helpReply(
        `I don't know "${command.word}"`,
        `Did you mean "${command.suggestion}"? Here is what I can do:`,
      ),
    ));
  }
  if (command.kind === 'invalid') {
    return void (await turn.send(
      notice(`Usage: ${command.usage}`, command.message, 'Type "help" for all commands.', 'warning'),
    ));
  }
  const who = principalOf(activity);
  if (!who.ok) return void (await turn.send(notice('I cannot tell who you are', who.reason, '', 'error')));
  const principal = who.principal;
  if (!(await isTenantAdmin(ctx, principal.tenantId, principal.objectId))) {
    await ctx.store.appendAudit({
      tenantId: principal.tenantId,
      actor: principal,
      action: 'bot.refused',
      details: { command: command.kind, reason: 'not-admin' },
    });
    return void (await turn.send(notAdmin()));
  }
  const env: BotEnv = { ctx, principal, activity, connector, links };
  await ctx.store.appendAudit({
    tenantId: principal.tenantId,
    actor: principal,
    action: 'bot.command',
    details: auditDetails(command),
  });
  await turn.send(await run(env, command));
}

async function run(
  env: BotEnv,
  command: Exclude<Command, { kind: 'help' | 'empty' | 'too-long' | 'unknown' | 'invalid' }>,
): Promise<OutboundMessage> {
  switch (command.kind) {
    case 'status':
      return statusReply(env);
    case 'backup':
      return backupReply(env, command.objectType);
    case 'find':
      return findReply(env, command.text);
    case 'history':
      return historyReply(env, command.objectType, command.name);
    case 'restore':
      return restoreReply(env, command.objectType, command.name, command.at);
    case 'changes':
      return changesReply(env, command.sinceMs, command.sinceText);
    case 'approvals':
      return approvalsReply(env);
    case 'settings':
      return { attachments: [attachment(await settingsShow(env))], summary: 'Settings' };
  }
}

function auditDetails(command: Command): Record<string, unknown> {
  const details: Record<string, unknown> = { command: command.kind };
  if (command.kind === 'find') details.text = command.text.slice(0, 100);
  if (command.kind === 'history' || command.kind === 'restore') {
    details.objectType = command.objectType;
    details.name = command.name.slice(0, 100);
  }
  if (command.kind === 'backup' && command.objectType) details.objectType = command.objectType;
  return details;
}
