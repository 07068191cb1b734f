/** The conversation a generate request stands for, in the chat shape the HTTP backends send. */
import type { ChatMessage, GenerateRequest } from './backend';

export function chatMessages(req: GenerateRequest): ChatMessage[] {
  if (req.messages && req.messages.length > 0) return req.messages;
  const messages: ChatMessage[] = req.system ? [{ role: 'system', content: req.system }] : [];
  messages.push({ role: 'user', content: req.prompt });
  return messages;
}

/** The conversation as one plain-text prompt, for models without a chat template. */
export function renderConversation(messages: readonly ChatMessage[]): string {
  const names = { system: 'System', user: 'User', assistant: 'Assistant' } as const;
  return `${messages.map((m) => `${names[m.role]}: ${m.content}`).join('\n\n')}\n\nAssistant:`;
}
