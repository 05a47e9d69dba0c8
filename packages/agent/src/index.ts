export {
  type AgentConfig,
  type LlmRole,
  loadAgentConfig,
  OFFLINE_MODEL_NAME,
  OPENAI_BASE_URL,
  OPENROUTER_BASE_URL,
  type RoleModel,
  withOfflineModel,
} from './config';
export {
  type CallUsage,
  type ChatMessage,
  createLlmClientFromConfig,
  createOpenAiLlmClient,
  type LlmClient,
  type RetryPolicy,
  type StreamRequest,
  type StreamResult,
} from './llm';
export { type Effect, type MachineEvent, RESTING_STATES, type Rules, type Transition, transition } from './machine';
export { type ScriptedModel, type ScriptedModelOptions, type ScriptStep, startScriptedModel } from './offline/scripted';
export { type OfflineModel, type OfflineModelOptions, startOfflineModel } from './offline/server';
export {
  heredoc,
  pathAttackScript,
  phaseJson,
  SAFE_APP,
  TYPE_ERROR_APP,
  TYPE_ERROR_FIXED_APP,
  typeErrorScript,
} from './offline/transcripts';
export { createHeredocParser, type HeredocParser, type ParserItem, parseHeredoc } from './parser';
export {
  costOf,
  DEFAULT_PRICES,
  type ModelPrice,
  type PriceTable,
  parsePriceTable,
  priceOf,
} from './pricing';
export { type AgentListener, type AgentOptions, type AgentSandbox, CodeGeneratorAgent } from './runner';
export { type AgentRepositories, type AgentStore, createDbAgentStore, isBinary, type StoredFile } from './store';
