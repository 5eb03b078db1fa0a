import type { SendMessageDeps } from '../chat/message/send-message';
import { buildChatDeps } from './http-chat';

/** `send` over the WebSocket: the same stores and fan-out queue as the HTTP chat routes. */
export function buildSendDeps(): Omit<SendMessageDeps, 'metrics'> {
  return buildChatDeps();
}
