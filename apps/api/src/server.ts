import { loadAgentConfig, startOfflineModel, withOfflineModel } from '@lathe/agent';
import { createDatabase, createGitRepositories, createRepositories, type Database, type ProjectRow } from '@lathe/db';
import { LatheError } from '@lathe/protocol';
import { createSandboxProvider, type SandboxProvider, sandboxConfigFromEnv } from '@lathe/sandbox';
import type { Server, ServerWebSocket } from 'bun';
import { AgentManager } from './agent-manager';
import { createAgentFactory } from './agent-runtime';
import { createAuth, handleAuth, SerialQueue, Sessions } from './auth';
import { limitBody } from './body-limit';
import { clientIp } from './client-ip';
import { type ApiConfig, previewUrlFor } from './config';
import type { AppContext, Log } from './context';
import { startRound } from './context';
import { type SocketGrant, SocketTokens } from './crypto';
import { errorResponse } from './errors';
import { loadGitConfig } from './git/config';
import { GitService } from './git/service';
import { DEFAULT_EDIT_BURST_MAX_MS, editBurstMsFromEnv, History } from './history';
import { createApiHandler } from './http';
import { IdleSandboxes } from './idle-sandboxes';
import { checkLocalSandbox } from './local-sandbox';
import { createModelsResolver } from './models';
import { type PreviewSocketData, previewError, previewSocketHandlers, previewTokenOf, proxyHttp, upstreamSocketUrl } from './preview';
import { PREVIEW_AUTH_PATH, PreviewAccess, type PreviewGrant, previewSetCookie, safeNextPath } from './preview-access';
import { LocalProjectLocks, PostgresProjectLocks, type ProjectLocks } from './project-locks';
import { checkSandboxQuota, QuotaError } from './quotas';
import { GenerationLimiter, SignInLimiter } from './rate-limit';
import { loadSecrets } from './secrets';
import { withIdeHeaders } from './security-headers';
import { CLOSE_SIGNED_OUT, ProjectHub, type ProjectSocketData } from './socket-hub';
import { TerminalHub, type TerminalSocketData } from './terminal-hub';
import { loadPriceTable } from './usage';
import { createWebHandler, createWebProxy } from './web';

export const VERSION = '0.1.0';

/** JSON bodies above this are refused, counted as they stream (a 1 MiB file JSON-escaped, with room). */
const MAX_BODY_BYTES = 4 * 1024 * 1024;
/** Beyond this a refused body is no longer drained: the connection is dropped instead. */
const HARD_BODY_BYTES = 32 * 1024 * 1024;
/** How often sockets watching a project run by another process look for its new events. */
const REMOTE_POLL_MS = 250;
/** How long a preview cookie's session check is trusted, and how often socket sessions are checked. */
const SESSION_CHECK_MS = 5_000;
const PROJECT_SOCKET_PATH = /^\/api\/projects\/([0-9a-f-]{36})\/(ws|terminal)$/i;
/** Output a terminal socket may have queued before more is left out. */
const TERMINAL_MAX_BUFFERED_BYTES = 1024 * 1024;

type SocketData = ProjectSocketData | PreviewSocketData | TerminalSocketData;

export interface LatheServer {
  /** The port actually bound (useful with PORT=0). */
  port: number;
  /** http://host:port of this process. */
  url: string;
  ctx: AppContext;
  /** Stop accepting, stop agents (state is persisted), stop sandboxes, close the database. */
  stop(): Promise<void>;
}

export interface ServerOptions {
  log?: Log;
}

/** Opens everything the server needs and listens; throws LatheError with a one-line message on failure. */
export async function createServer(config: ApiConfig, options: ServerOptions = {}): Promise<LatheServer> {
  const log: Log = options.log ?? ((line) => console.log(`lathe: ${line}`));
  const cleanups: (() => Promise<unknown>)[] = [];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await fn().catch((e: unknown) => log(`shutdown step failed: ${(e as Error).message}`));
  };
  try {
    await checkLocalSandbox(config, log);
    const prices = await loadPriceTable(config.env, process.cwd());
    const secrets = await loadSecrets(config.env, config.dataDir);
    const db: Database = await createDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
    cleanups.push(() => db.close());
    const repos = createRepositories(db);
    const git = new GitService({
      config: loadGitConfig(config),
      repos,
      git: createGitRepositories(db),
      encryptionKey: secrets.encryptionKey,
      log,
    });
    cleanups.push(() => git.close());

    let agentConfig = loadAgentConfig(config.env);
    if (agentConfig.offline) {
      const model = await startOfflineModel({ tokensPerSecond: agentConfig.offlineTokensPerSecond });
      cleanups.push(() => model.close());
      agentConfig = withOfflineModel(agentConfig, model.url);
    }
    const finalAgentConfig = agentConfig;

    const sandboxes: SandboxProvider = createSandboxProvider(sandboxConfigFromEnv(config.env, config.sandboxDir));
    cleanups.push(() => sandboxes.shutdown());
    const locks: ProjectLocks = config.databaseUrl ? new PostgresProjectLocks(config.databaseUrl) : new LocalProjectLocks();
    cleanups.push(() => locks.close());

    const trustedOrigins = new Set([config.publicUrl, `http://127.0.0.1:${config.port}`, `http://localhost:${config.port}`]);
    // Browsers name the page's origin: a request from any other site (a preview app included)
    // must not act with the IDE's cookies. Clients without an Origin (CLIs, tests) are unaffected.
    const foreignOrigin = (request: Request): boolean => {
      const origin = request.headers.get('origin');
      return origin !== null && !trustedOrigins.has(origin);
    };
    const auth = createAuth({
      db,
      secret: secrets.authSecret,
      publicUrl: config.publicUrl,
      trustedOrigins: [...trustedOrigins],
      signup: config.signup,
      users: repos.users,
    });
    const signUps = new SerialQueue();

    const signInLimiter = new SignInLimiter(config.signInLimits);
    const models = createModelsResolver(repos, config.env, finalAgentConfig, config.allowedModels);

    // The hub and the manager refer to each other through these late-bound closures.
    let hub: ProjectHub | null = null;
    // One shell per project, in its sandbox; the commands typed go to the project's logs.
    const terminals = new TerminalHub({
      openShell: async (projectId, size, onOutput) => {
        const project = await repos.projects.getAny(projectId);
        if (!project) throw new LatheError('not_found', 'project not found');
        const sandbox = await agents.sandboxFor(project);
        return sandbox.openShell({ ...size, onOutput });
      },
      command: (projectId, line) => {
        repos.events
          .append(projectId, { type: 'log', payload: { source: 'exec', stream: 'stdout', text: `$ ${line}` } })
          .then((event) => hub?.publish(event))
          .catch((e: unknown) => log(`logging a terminal command of ${projectId} failed: ${(e as Error).message}`));
      },
      idleMs: config.terminalIdleMs,
      maxBufferedBytes: TERMINAL_MAX_BUFFERED_BYTES,
      log,
    });
    // Version history: phases, edit bursts and restores; restores wait while a round runs.
    const history: History = new History({
      repos,
      sandboxes,
      isBusy: (projectId): boolean => agents.isBusy(projectId),
      publish: (event) => hub?.publish(event),
      burstMs: editBurstMsFromEnv(config.env),
      burstMaxMs: DEFAULT_EDIT_BURST_MAX_MS,
      log,
    });
    cleanups.push(() => history.flush());
    // A restore is a git commit too (phases and edit bursts are committed by the git service's own triggers).
    history.onVersion((projectId, version) => {
      if (version.kind !== 'restore') return;
      void git
        .commitStored(projectId, version.label)
        .catch((e: unknown) => log(`git commit of the restore in ${projectId} failed: ${(e as Error).message}`));
    });
    const agents = new AgentManager({
      repos,
      sandboxes,
      locks,
      offlineModel: finalAgentConfig.offline,
      createAgent: createAgentFactory({
        repos,
        sandboxes,
        agentConfig: finalAgentConfig,
        prices,
        encryptionKey: secrets.encryptionKey,
        allowedModels: config.allowedModels,
        previewUrl: (token) => previewUrlFor(config, token),
        env: config.env,
        git,
        history,
        log,
      }),
      publish: (event) => hub?.publish(event),
      viewers: (projectId) => hub?.viewerCount(projectId) ?? 0,
      closeViewers: (projectId) => {
        hub?.closeProject(projectId, 4004, 'project deleted');
        terminals.closeProject(projectId, 4004, 'project deleted');
      },
      idleMs: config.agentIdleMs,
      logRing: config.logRing,
      log,
    });
    cleanups.push(() => agents.shutdown());

    // Late-bound like the hub: watched by an IDE socket, a preview socket, or a running round.
    const previewSockets = new Set<ServerWebSocket<PreviewSocketData>>();
    const activity = new IdleSandboxes({
      sandboxes,
      idleMs: config.sandboxIdleMs ?? Number.POSITIVE_INFINITY,
      watched: (projectId) =>
        (hub?.viewerCount(projectId) ?? 0) > 0 ||
        terminals.has(projectId) ||
        agents.isBusy(projectId) ||
        [...previewSockets].some((ws) => ws.data.projectId === projectId),
      log,
    });

    const ctx: AppContext = {
      config,
      version: VERSION,
      db,
      repos,
      sessions: new Sessions(auth),
      sandboxes,
      agents,
      limiter: new GenerationLimiter(config.generationsPerHour, config.maxActiveGenerations),
      socketTokens: new SocketTokens(secrets.authSecret),
      previewAccess: new PreviewAccess(secrets.authSecret),
      encryptionKey: secrets.encryptionKey,
      llmOffline: finalAgentConfig.offline,
      models,
      sandboxActivity: activity,
      git,
      history,
      publish: (event) => hub?.publish(event),
      log,
    };

    const projectHub = new ProjectHub(
      repos.events,
      {
        snapshotFrame: async (projectId) => {
          const project = await repos.projects.getAny(projectId);
          if (!project) throw new LatheError('not_found', 'project not found');
          return { frame: 'snapshot', snapshot: await agents.snapshot(project) };
        },
        command: async (socket, message) => {
          const project = await repos.projects.get(socket.projectId, socket.userId);
          if (!project) throw new LatheError('not_found', 'project not found');
          if (message.type === 'cancel') await agents.cancel(project);
          else if (message.type === 'generate') await startRound(ctx, socket.userId, project, 'generate', message.description);
          else await startRound(ctx, socket.userId, project, 'message', message.text);
        },
      },
      config.wsMaxBufferedBytes,
      log,
      // Several processes share a PostgreSQL: follow the log of projects another one runs.
      config.databaseUrl ? { isLocal: (projectId) => agents.isLive(projectId), intervalMs: REMOTE_POLL_MS } : null,
    );
    hub = projectHub;
    cleanups.push(async () => projectHub.closeAll(1001, 'server shutting down'));
    cleanups.push(() => terminals.closeAll(1001, 'server shutting down'));

    const api = await createApiHandler(ctx);
    const web = config.webUrl ? createWebProxy(config.webUrl, log) : await createWebHandler(config.webDistDir, log);
    let accepting = true;

    const fetch = async (request: Request, server: Server<SocketData>): Promise<Response | undefined> => {
      const token = previewTokenOf(request.headers.get('host'), config.previewDomain);
      if (token) return handlePreview(request, server, token);
      const response = await handleIde(request, server);
      return response && withIdeHeaders(response);
    };

    const handleIde = async (request: Request, server: Server<SocketData>): Promise<Response | undefined> => {
      const url = new URL(request.url);
      if (!accepting) return errorResponse(503, 'shutting_down', 'the server is shutting down');
      const path = url.pathname;
      const socketMatch = PROJECT_SOCKET_PATH.exec(path);
      if (socketMatch?.[1] && request.headers.get('upgrade')?.toLowerCase() === 'websocket') {
        return socketMatch[2] === 'terminal'
          ? upgradeTerminalSocket(request, server, socketMatch[1], url)
          : upgradeProjectSocket(request, server, socketMatch[1], url);
      }
      const isApi =
        path === '/api' || path.startsWith('/api/') || path === '/health' || path === '/openapi.json' || path.startsWith('/docs');
      if (!isApi) return web(request);
      // Only a trusted proxy's X-Forwarded-For is believed; anyone else is their socket address.
      const ip = clientIp(server.requestIP(request)?.address ?? null, request.headers.get('x-forwarded-for'), config.trustedProxies);
      const limited = await limitBody(request, MAX_BODY_BYTES, HARD_BODY_BYTES);
      if (!limited.ok) {
        if (limited.reason === 'aborted') return errorResponse(400, 'bad_request', 'the request body ended early');
        return errorResponse(413, 'payload_too_large', `request bodies may hold at most ${MAX_BODY_BYTES} bytes`);
      }
      const buffered = limited.request;
      if (path.startsWith('/api/auth/')) return handleAuth(auth, signInLimiter, signUps, buffered, ip);
      if (buffered.method !== 'GET' && buffered.method !== 'HEAD' && foreignOrigin(buffered)) {
        return errorResponse(403, 'forbidden', 'requests from this origin are not accepted');
      }
      return api(buffered);
    };

    /** The owner's grant and project for a project or terminal socket, or the refusal to answer. */
    const authorizeSocket = async (
      request: Request,
      projectId: string,
      url: URL,
    ): Promise<{ grant: SocketGrant; project: ProjectRow } | Response> => {
      const ticket = url.searchParams.get('token');
      // A token is a bearer credential; a cookie is only honoured from the IDE's own origin.
      if (!ticket && foreignOrigin(request)) return errorResponse(403, 'forbidden', 'this origin may not open project sockets');
      const grant = ticket ? await tokenGrant(ticket, projectId) : await cookieGrant(request.headers);
      if (!grant) return errorResponse(401, 'unauthorized', 'sign in first (or pass a fresh ?token= from /ws-token)');
      const project = await repos.projects.get(projectId.toLowerCase(), grant.userId);
      if (!project) return errorResponse(404, 'not_found', 'project not found');
      return { grant, project };
    };

    const upgradeTerminalSocket = async (
      request: Request,
      server: Server<SocketData>,
      projectId: string,
      url: URL,
    ): Promise<Response | undefined> => {
      const size = (name: string, fallback: number, max: number) => {
        const raw = url.searchParams.get(name);
        if (raw === null) return fallback;
        return /^\d{1,3}$/.test(raw) && Number(raw) >= 1 && Number(raw) <= max ? Number(raw) : -1;
      };
      const cols = size('cols', 80, 500);
      const rows = size('rows', 24, 200);
      if (cols < 2 || rows < 1)
        return errorResponse(422, 'validation_failed', 'query cols and rows: terminal size in cells (2–500, 1–200)');
      const allowed = await authorizeSocket(request, projectId, url);
      if (allowed instanceof Response) return allowed;
      const { grant, project } = allowed;
      const data: TerminalSocketData = {
        kind: 'terminal',
        projectId: project.id,
        userId: grant.userId,
        sessionId: grant.sessionId,
        cols,
        rows,
      };
      if (server.upgrade(request, { data })) return undefined;
      return errorResponse(400, 'bad_request', 'WebSocket upgrade failed');
    };

    const upgradeProjectSocket = async (
      request: Request,
      server: Server<SocketData>,
      projectId: string,
      url: URL,
    ): Promise<Response | undefined> => {
      const afterRaw = url.searchParams.get('after') ?? '0';
      const afterSeq = /^\d{1,15}$/.test(afterRaw) ? Number(afterRaw) : -1;
      if (afterSeq < 0) return errorResponse(422, 'validation_failed', 'query after: expected a non-negative integer');
      const allowed = await authorizeSocket(request, projectId, url);
      if (allowed instanceof Response) return allowed;
      const { grant, project } = allowed;
      const data: ProjectSocketData = {
        kind: 'project',
        projectId: project.id,
        userId: grant.userId,
        sessionId: grant.sessionId,
        afterSeq,
      };
      if (server.upgrade(request, { data })) return undefined;
      return errorResponse(400, 'bad_request', 'WebSocket upgrade failed');
    };

    /** A token's grant, spent, if its session is still signed in. */
    const tokenGrant = async (ticket: string, projectId: string): Promise<SocketGrant | null> => {
      const grant = ctx.socketTokens.redeem(ticket, projectId);
      return grant && (await repos.sessions.activeUntil(grant.sessionId, grant.userId)) ? grant : null;
    };
    const cookieGrant = async (headers: Headers): Promise<SocketGrant | null> => {
      const user = await ctx.sessions.user(headers);
      return user ? { userId: user.id, sessionId: user.sessionId } : null;
    };

    // Project and preview sockets live as long as their sign-in session: checked every few seconds.
    let sweeping = false;
    const sweepSessions = async (): Promise<void> => {
      if (sweeping) return;
      sweeping = true;
      try {
        const sessions = new Map([...projectHub.sessions(), ...terminals.sessions()].map((s) => [s.sessionId, s.userId]));
        for (const ws of previewSockets) sessions.set(ws.data.sessionId, ws.data.userId);
        for (const [sessionId, userId] of sessions) {
          if ((await repos.sessions.activeUntil(sessionId, userId)) !== null) continue;
          projectHub.closeSession(sessionId, CLOSE_SIGNED_OUT, 'signed out: sign in again');
          terminals.closeSession(sessionId, CLOSE_SIGNED_OUT, 'signed out: sign in again');
          for (const ws of previewSockets) if (ws.data.sessionId === sessionId) ws.close(CLOSE_SIGNED_OUT, 'signed out: sign in again');
        }
      } catch (e) {
        log(`checking socket sessions failed: ${(e as Error).message}`);
      } finally {
        sweeping = false;
      }
    };
    const sessionSweep = setInterval(() => void sweepSessions(), SESSION_CHECK_MS);
    cleanups.push(async () => clearInterval(sessionSweep));

    // Dev servers nobody watches give their memory back; the next preview request starts them again.
    const idleMs = config.sandboxIdleMs;
    if (idleMs !== null) {
      let idleSweeping = false;
      const sweepIdle = async (): Promise<void> => {
        if (idleSweeping) return;
        idleSweeping = true;
        await activity.sweep().catch((e: unknown) => log(`stopping idle dev servers failed: ${(e as Error).message}`));
        idleSweeping = false;
      };
      const idleSweep = setInterval(() => void sweepIdle(), Math.min(Math.max(idleMs / 4, 250), 60_000));
      cleanups.push(async () => clearInterval(idleSweep));
    }

    // Sessions a preview cookie hangs on, checked at most every few seconds (a page loads many modules).
    const sessionChecks = new Map<string, { ok: boolean; until: number }>();
    const sessionActive = async (grant: PreviewGrant): Promise<boolean> => {
      const key = `${grant.sessionId}\u0000${grant.userId}`;
      const now = Date.now();
      const cached = sessionChecks.get(key);
      if (cached && cached.until > now) return cached.ok;
      const ok = (await repos.sessions.activeUntil(grant.sessionId, grant.userId)) !== null;
      if (sessionChecks.size > 10_000) sessionChecks.clear();
      sessionChecks.set(key, { ok, until: now + SESSION_CHECK_MS });
      return ok;
    };

    /** Null when the request may see this project's preview; otherwise the answer to send. */
    const previewGate = async (request: Request, token: string, project: ProjectRow): Promise<Response | null> => {
      const url = new URL(request.url);
      const cookieGrant = ctx.previewAccess.fromCookieHeader(request.headers.get('cookie'), token);
      const allowed = async (grant: PreviewGrant | null): Promise<boolean> =>
        grant !== null && grant.projectId === project.id && grant.userId === project.ownerId && (await sessionActive(grant));
      if (url.pathname === PREVIEW_AUTH_PATH) {
        const next = safeNextPath(url.searchParams.get('next'));
        const redeemed = ctx.previewAccess.redeemTicket(url.searchParams.get('ticket') ?? '', token);
        if (redeemed && (await allowed(redeemed.grant))) {
          const headers = new Headers({ location: next, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
          headers.append('set-cookie', previewSetCookie(redeemed.cookie, redeemed.maxAgeS, new URL(previewUrlFor(config, token))));
          return new Response(null, { status: 302, headers });
        }
        // A used or stale ticket with a valid cookie (the back button, a reload): just go on.
        if (await allowed(cookieGrant))
          return new Response(null, { status: 302, headers: { location: next, 'cache-control': 'no-store' } });
        return previewError(
          request,
          401,
          'preview_unauthorized',
          'This preview link has expired. Open the preview from the project in Lathe.',
        );
      }
      if (await allowed(cookieGrant)) return null;
      return previewError(request, 401, 'preview_unauthorized', 'This preview is private. Open it from the project in Lathe.');
    };

    const handlePreview = async (request: Request, server: Server<SocketData>, token: string): Promise<Response | undefined> => {
      const project = await repos.projects.getByPreviewToken(token);
      if (!project) return previewError(request, 404, 'not_found', 'no preview here');
      const denied = await previewGate(request, token, project);
      if (denied) return denied;
      activity.touch(project.id);
      try {
        await checkSandboxQuota(ctx, project.ownerId, project.id);
      } catch (e) {
        if (e instanceof QuotaError) return previewError(request, 429, e.code, e.message);
        throw e;
      }
      const target = await agents.devServer(project).catch((e: unknown) => {
        log(`preview of ${project.id} cannot start: ${(e as Error).message}`);
        return null;
      });
      // A start can outlast the idle time: the clock restarts once the server answers.
      activity.touch(project.id);
      if (!target) {
        return previewError(
          request,
          503,
          'preview_not_ready',
          'The preview is not ready yet: the app has no files or its dev server is starting.',
        );
      }
      if (request.headers.get('upgrade')?.toLowerCase() === 'websocket') {
        const protocols = (request.headers.get('sec-websocket-protocol') ?? '')
          .split(',')
          .map((p) => p.trim())
          .filter(Boolean);
        const grant = ctx.previewAccess.fromCookieHeader(request.headers.get('cookie'), token);
        if (!grant)
          return previewError(request, 401, 'preview_unauthorized', 'This preview is private. Open it from the project in Lathe.');
        const data: PreviewSocketData = {
          kind: 'preview',
          projectId: project.id,
          userId: grant.userId,
          sessionId: grant.sessionId,
          target: upstreamSocketUrl(request, target),
          protocols,
          upstream: null,
          queue: [],
          queuedBytes: 0,
        };
        const headers: Record<string, string> = protocols[0] ? { 'sec-websocket-protocol': protocols[0] } : {};
        if (server.upgrade(request, { data, headers })) return undefined;
        return errorResponse(400, 'bad_request', 'WebSocket upgrade failed');
      }
      return proxyHttp(request, target, log);
    };

    let server: Server<SocketData>;
    try {
      server = Bun.serve<SocketData>({
        port: config.port,
        hostname: config.host,
        // Beyond this Bun drops the connection; between the two limits we answer 413 properly.
        maxRequestBodySize: HARD_BODY_BYTES,
        idleTimeout: 120,
        fetch,
        error: (e) => {
          log(`unhandled request error: ${e.message}`);
          return errorResponse(500, 'internal_error', 'internal error');
        },
        websocket: {
          // The hub closes slow project sockets itself, with a resume hint, well below this.
          backpressureLimit: config.wsMaxBufferedBytes * 2,
          maxPayloadLength: 1024 * 1024,
          open(ws) {
            if (ws.data.kind === 'project') void projectHub.open(ws as ServerWebSocket<ProjectSocketData>);
            else if (ws.data.kind === 'terminal') void terminals.open(ws as ServerWebSocket<TerminalSocketData>);
            else {
              previewSockets.add(ws as ServerWebSocket<PreviewSocketData>);
              previewSocketHandlers.open(ws as ServerWebSocket<PreviewSocketData>);
            }
          },
          message(ws, message) {
            if (ws.data.kind === 'project') void projectHub.message(ws as ServerWebSocket<ProjectSocketData>, message);
            else if (ws.data.kind === 'terminal') terminals.message(ws as ServerWebSocket<TerminalSocketData>, message);
            else previewSocketHandlers.message(ws as ServerWebSocket<PreviewSocketData>, message);
          },
          close(ws, code, reason) {
            if (ws.data.kind === 'project') projectHub.close(ws as ServerWebSocket<ProjectSocketData>);
            else if (ws.data.kind === 'terminal') terminals.close(ws as ServerWebSocket<TerminalSocketData>);
            else {
              previewSockets.delete(ws as ServerWebSocket<PreviewSocketData>);
              previewSocketHandlers.close(ws as ServerWebSocket<PreviewSocketData>, code, reason);
            }
          },
        },
      });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE')
        throw new LatheError('port_in_use', `port ${config.port} on ${config.host} is already in use (set PORT to a free port)`);
      throw new LatheError('listen_failed', `cannot listen on ${config.host}:${config.port}: ${(e as Error).message}`);
    }
    cleanups.push(() => server.stop(true));

    if (finalAgentConfig.offline) {
      log('no LLM API key configured: generations use the built-in offline model (set LATHE_LLM_API_KEY or OPENROUTER_API_KEY)');
    }
    const resumed = await agents.resumeInterrupted();
    if (resumed > 0) log(`resumed ${resumed} interrupted generation(s)`);

    const port = server.port ?? config.port;
    let stopped: Promise<void> | null = null;
    return {
      port,
      url: `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`,
      ctx,
      stop: () => {
        stopped ??= (async () => {
          accepting = false;
          await cleanup();
        })();
        return stopped;
      },
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
}
