import { completionBody, promptTokens, SseWriter, sendJson, startChatServer, streamText, tokenize } from './http';
import { offlineAnswer } from './respond';

export interface OfflineModelOptions {
  /** Default 0: any free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Streaming rate; default 200, 0 = no delay. */
  tokensPerSecond?: number;
}

export interface OfflineModel {
  /** Base URL ending in /v1, for the `openai` SDK's baseURL. */
  url: string;
  close(): Promise<void>;
}

/**
 * Starts Lathe's built-in offline model: an OpenAI-compatible endpoint that answers Lathe's
 * designer and implementer prompts with real, working apps from a small library.
 */
export function startOfflineModel(options: OfflineModelOptions = {}): Promise<OfflineModel> {
  const rate = options.tokensPerSecond ?? 200;
  return startChatServer(options, async (chat, res) => {
    const text = offlineAnswer(chat.messages, chat.latheContext);
    const prompt = promptTokens(chat);
    if (!chat.stream) {
      sendJson(res, 200, completionBody(chat.model, text, prompt));
      return;
    }
    const writer = new SseWriter(res, chat.model);
    writer.open();
    await streamText(writer, text, rate);
    if (!writer.closed) writer.finish({ prompt, completion: tokenize(text).length });
  });
}
