// The only module that touches the Microsoft 365 Agents SDK (@microsoft/agents-hosting).
// The SDK runs the turn (TurnContext, invoke responses, connector client for replies and
// updates); the product keeps two things for itself (see docs/BOT-SDK.md):
// - inbound JWT validation (src/auth/bot-token-validator.ts) runs before this module, because
//   the SDK's authorizeJWT is Express-shaped and reads Bot Framework keys from a hard-coded URL;
// - the outbound token comes from the product's provider (src/auth/bot-connector-token.ts),
//   so dev and tests get it from the local token issuer instead of login.microsoftonline.com.
import { Activity } from '@microsoft/agents-activity';
import { CloudAdapter, ConnectorClient, type TurnContext } from '@microsoft/agents-hosting';
import type { ConnectorTokenProvider } from '../src/auth/bot-connector-token.ts';
import type {
  BotLogic,
  ConnectorSender,
  ConversationAddress,
  InboundActivity,
  InvokeResult,
  OutboundMessage,
} from './bot-types.ts';

export interface AgentsSdkBot {
  /** Runs one validated activity through the SDK; resolves with the HTTP answer. */
  process(activity: InboundActivity, logic: BotLogic): Promise<InvokeResult>;
  connector: ConnectorSender;
}

class ProductCloudAdapter extends CloudAdapter {
  constructor(
    appId: string | undefined,
    private readonly tokenProvider: ConnectorTokenProvider,
  ) {
    super({ clientId: appId ?? '' } as ConstructorParameters<typeof CloudAdapter>[0]);
  }

  // Replies and updates go to the activity's serviceUrl with the product's bot token.
  protected override async createConnectorClientWithIdentity(
    _identity: unknown,
    activity: Activity,
  ): Promise<ConnectorClient> {
    const token = await this.tokenProvider();
    return ConnectorClient.createClientWithToken(String(activity.serviceUrl), token ?? '');
  }
}

interface SdkResponse {
  statusCode: number;
  body: unknown;
  headersSent: boolean;
  writableEnded: boolean;
  status(code: number): SdkResponse;
  setHeader(name: string, value: string): void;
  send(body: unknown): SdkResponse;
  end(): void;
}

// The SDK writes its answer Express-style; this captures it so restify writes it once.
function captureResponse(): SdkResponse {
  const res: SdkResponse = {
    statusCode: 200,
    body: undefined,
    headersSent: false,
    writableEnded: false,
    status(code) {
      res.statusCode = code;
      return res;
    },
    setHeader() {},
    send(body) {
      res.body = body;
      return res;
    },
    end() {
      res.writableEnded = true;
    },
  };
  return res;
}

function toSdkActivity(message: OutboundMessage): Activity {
  return Activity.fromObject({ type: 'message', ...message });
}

export function createAgentsSdkBot(
  appId: string | undefined,
  tokenProvider: ConnectorTokenProvider,
): AgentsSdkBot {
  const adapter = new ProductCloudAdapter(appId, tokenProvider);
  adapter.onTurnError = async (_context, error) => {
    throw error;
  };

  async function client(serviceUrl: string): Promise<ConnectorClient> {
    const token = await tokenProvider();
    return ConnectorClient.createClientWithToken(serviceUrl, token ?? '');
  }

  const connector: ConnectorSender = {
    async send(address: ConversationAddress, message: OutboundMessage) {
      const activity = toSdkActivity(message);
      activity.conversation = {
        id: address.conversationId,
        ...(address.tenantId ? { tenantId: address.tenantId } : {}),
      } as Activity['conversation'];
      const response = await (await client(address.serviceUrl)).sendToConversation(
        address.conversationId,
        activity,
      );
      return response?.id ?? '';
    },
    async update(address, activityId, message) {
      const activity = toSdkActivity(message);
      activity.id = activityId;
      activity.conversation = { id: address.conversationId } as Activity['conversation'];
      await (await client(address.serviceUrl)).updateActivity(address.conversationId, activityId, activity);
    },
  };

  return {
    connector,
    async process(inbound, logic) {
      const res = captureResponse();
      const identity = appId ? { aud: appId } : undefined;
      const request = { body: inbound, headers: {}, method: 'POST', user: identity };
      await adapter.process(request as never, res as never, async (context: TurnContext) => {
        const result = await logic({
          activity: inbound,
          async send(message) {
            const response = await context.sendActivity(toSdkActivity(message));
            return response?.id;
          },
          async update(activityId, message) {
            const activity = toSdkActivity(message);
            activity.id = activityId;
            activity.conversation = context.activity.conversation;
            activity.serviceUrl = context.activity.serviceUrl;
            await context.updateActivity(activity);
          },
        });
        if (inbound.type === 'invoke') {
          await context.sendActivity(
            Activity.fromObject({ type: 'invokeResponse', value: result ?? { status: 200 } }),
          );
        }
      });
      return { status: res.statusCode, body: res.body };
    },
  };
}
