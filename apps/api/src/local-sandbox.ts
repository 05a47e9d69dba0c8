import { LatheError } from '@lathe/protocol';
import { probeLocalConfinement } from '@lathe/sandbox';
import { type ApiConfig, isLoopbackHost } from './config';
import type { Log } from './context';

/**
 * Without bubblewrap the local provider runs generated code as the server's own user, able to read
 * its secrets, database and every project: acceptable for one person on their own machine, not for
 * a server others can reach. Refuses that combination unless the operator says otherwise.
 */
export async function checkLocalSandbox(config: ApiConfig, log: Log): Promise<void> {
  if (config.sandbox !== 'local') return;
  const probe = await probeLocalConfinement(config.env);
  if (probe.confined) return;
  if (!isLoopbackHost(config.host) && !config.unsafeLocalSandbox) {
    throw new LatheError(
      'bad_config',
      `HOST=${config.host} opens the server to other machines, but local sandboxes cannot be confined here (${probe.reason}), so generated code could read the server's secrets and every project: install bubblewrap, use LATHE_SANDBOX=docker, or set LATHE_UNSAFE_LOCAL_SANDBOX=1 to accept the risk`,
    );
  }
  log(`local sandboxes are not confined (${probe.reason}): generated code runs as this server's user`);
}
