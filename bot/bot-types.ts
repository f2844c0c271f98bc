// The bot's own vocabulary, free of any SDK type: the activity as Teams sends it (only the
// fields the product reads), what a handler sends back, and the outbound connector.

export interface ChannelAccount {
  id: string;
  name?: string;
  aadObjectId?: string;
  role?: string;
}

export interface InboundActivity {
  type: string;
  id?: string;
  name?: string;
  text?: string;
  value?: unknown;
  action?: string;
  channelId: string;
  serviceUrl: string;
  locale?: string;
  replyToId?: string;
  conversation: {
    id: string;
    tenantId?: string;
    conversationType?: string;
    isGroup?: boolean;
    name?: string;
  };
  from: ChannelAccount;
  recipient: ChannelAccount;
  membersAdded?: ChannelAccount[];
  membersRemoved?: ChannelAccount[];
  entities?: { type?: string; text?: string; mentioned?: ChannelAccount }[];
  channelData?: {
    tenant?: { id?: string };
    team?: { id?: string; name?: string; aadGroupId?: string };
    channel?: { id?: string; name?: string };
    eventType?: string;
    settings?: { selectedChannel?: { id?: string } };
  };
}

export interface AdaptiveCardAttachment {
  contentType: 'application/vnd.microsoft.card.adaptive';
  content: Record<string, unknown>;
}

export interface OutboundMessage {
  text?: string;
  attachments?: AdaptiveCardAttachment[];
  /** Shown in notifications and the chat list. */
  summary?: string;
}

/** One turn: the validated activity and a way to answer in its conversation. */
export interface BotTurn {
  activity: InboundActivity;
  /** Sends a message to the activity's conversation (serviceUrl from the activity); returns its id. */
  send(message: OutboundMessage): Promise<string | undefined>;
  /** Replaces a message the bot posted earlier in this conversation. */
  update(activityId: string, message: OutboundMessage): Promise<void>;
}

/** An invoke's HTTP answer (status and body), e.g. the card shown to the clicker. */
export interface InvokeResult {
  status: number;
  body?: unknown;
}

export type BotLogic = (turn: BotTurn) => Promise<InvokeResult | undefined>;

export interface ConversationAddress {
  serviceUrl: string;
  conversationId: string;
  tenantId?: string;
}

/** Proactive messages and in-place card updates, outside any turn. */
export interface ConnectorSender {
  send(address: ConversationAddress, message: OutboundMessage): Promise<string>;
  update(address: ConversationAddress, activityId: string, message: OutboundMessage): Promise<void>;
}
