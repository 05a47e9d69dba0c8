import { toErrorInfo } from '@lathe/protocol';
import { loadConfig } from './config';
import { createServer, type LatheServer } from './server';

/** `bun apps/api/src/main.ts`: one clear line and exit 1 on any startup problem. */
async function main(): Promise<void> {
  let server: LatheServer;
  try {
    server = await createServer(loadConfig(process.env));
  } catch (e) {
    console.error(`lathe: cannot start: ${toErrorInfo(e).message.split('\n')[0]}`);
    process.exit(1);
  }
  console.log(`lathe: listening on ${server.url} (IDE at ${server.ctx.config.publicUrl})`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`lathe: ${signal}, shutting down`);
    try {
      await server.stop();
      process.exit(0);
    } catch (e) {
      console.error(`lathe: shutdown failed: ${toErrorInfo(e).message}`);
      process.exit(1);
    }
  };
  // A failed background task is a bug to log, not a reason to drop every user's session.
  process.on('unhandledRejection', (e) => console.error(`lathe: unhandled rejection: ${toErrorInfo(e).message}`));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

await main();
