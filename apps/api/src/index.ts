export { type AgentFactory, AgentManager, type LiveAgent } from './agent-manager';
export { type ApiConfig, type Env, loadConfig, previewUrlFor } from './config';
export { createServer, type LatheServer, type ServerOptions, VERSION } from './server';
export { CLOSE_SLOW_CONSUMER } from './socket-hub';
