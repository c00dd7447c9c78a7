/**
 * Bolt receivers that acknowledge Slack only once an event is safe. Bolt acks Events API
 * requests before it runs listeners ("there's no data expected"); countersign must instead ack
 * only after the message is durably in the inbox, or a crash in between would lose it while
 * Slack believes it was delivered. Both receivers therefore hold events' acks until
 * `app.processEvent` has resolved (listeners included) and withhold them when it throws, so
 * Slack retries. Interactive payloads (buttons, modals) are acked as soon as a listener acks,
 * since Slack closes a modal or shows an error based on that answer.
 */
import type { App, Logger, Receiver, ReceiverEvent } from '@slack/bolt';
import { LogLevel, SocketModeReceiver, verifySlackRequest } from '@slack/bolt';
import type { Logger as PinoLogger } from 'pino';
import { CountersignError } from '../../src/core/errors.js';
import type { HttpRequest, HttpRequestHead, HttpResponse, HttpRoutes } from '../../src/core/ports.js';

/** Slack's replay window for signed requests: five minutes either way. */
const TIMESTAMP_WINDOW_SECONDS = 5 * 60;
/** `v0=` and a hex HMAC-SHA256: the only signature form Slack sends. */
const SIGNATURE_FORMAT = /^v0=[0-9a-f]{64}$/;

/** Where bolt's log lines go: the service's pino logger, or anything with the same three methods. */
export interface LogSink {
  debug(text: string): void;
  warn(text: string): void;
  error(text: string): void;
}

/** Bolt's Logger on top of the service's pino logger. */
export function boltLogger(logger: Pick<PinoLogger, 'debug' | 'warn' | 'error'> | LogSink): Logger {
  let level = LogLevel.INFO;
  const text = (parts: unknown[]) => parts.map((part) => (typeof part === 'string' ? part : part instanceof Error ? part.message : JSON.stringify(part))).join(' ');
  return {
    debug: (...parts: unknown[]) => logger.debug(text(parts)),
    info: (...parts: unknown[]) => logger.debug(text(parts)), // bolt's info is chatty (connections, pings)
    warn: (...parts: unknown[]) => logger.warn(text(parts)),
    error: (...parts: unknown[]) => logger.error(text(parts)),
    setLevel: (next: LogLevel) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => {},
  };
}

const header = (request: HttpRequestHead, name: string): string | undefined => {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** Run one payload through bolt and decide when Slack gets its answer (see the file comment). */
async function dispatch(
  app: App,
  body: Record<string, unknown>,
  retry: { retryNum?: number; retryReason?: string },
  logger: PinoLogger,
): Promise<{ ok: true; response: unknown } | { ok: false; error: unknown }> {
  const isEvent = body.type === 'event_callback';
  let ackResponse: unknown;
  let resolveAck: (() => void) | undefined;
  const acked = new Promise<void>((resolve) => {
    resolveAck = resolve;
  });
  const event: ReceiverEvent = {
    body,
    retryNum: retry.retryNum,
    retryReason: retry.retryReason,
    ack: async (response?: unknown) => {
      ackResponse = response;
      resolveAck?.();
    },
  };
  const processing = app.processEvent(event).then(
    () => ({ ok: true as const }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  if (isEvent) {
    const outcome = await processing;
    return outcome.ok ? { ok: true, response: undefined } : outcome;
  }
  const first = await Promise.race([acked.then(() => 'acked' as const), processing]);
  if (first === 'acked') {
    // The listener goes on after its ack (approve, update the message); its failures are logged.
    void processing.then((outcome) => {
      if (!outcome.ok) logger.error({ err: outcome.error }, 'slack interaction failed after ack');
    });
    return { ok: true, response: ackResponse };
  }
  return first.ok ? { ok: true, response: ackResponse } : first;
}

export interface SlackHttpReceiverOptions {
  http: HttpRoutes;
  signingSecret: string;
  logger: PinoLogger;
  /** @defaultValue '/slack/events' */
  path?: string;
  /** The clock, in milliseconds (tests check the replay window with it). */
  now?: () => number;
}

/**
 * The HTTP Events API: one route for events, url_verification and interactive payloads, each
 * verified with Slack's v0 signature over the exact request bytes.
 */
export class SlackHttpReceiver implements Receiver {
  private app: App | undefined;
  private stopped = true;
  private registered = false;

  constructor(private readonly options: SlackHttpReceiverOptions) {}

  init(app: App): void {
    this.app = app;
  }

  async start(): Promise<void> {
    this.stopped = false;
    if (this.registered) return;
    this.registered = true;
    this.options.http.route({
      method: 'POST',
      url: this.options.path ?? '/slack/events',
      rawBody: true,
      precheck: (request) => this.precheck(request),
      handler: (request) => this.handle(request),
    });
  }

  async stop(): Promise<void> {
    // Routes cannot be removed from a running server; a stopped receiver answers 503 and Slack retries.
    this.stopped = true;
  }

  /**
   * The signature headers, when both are present, well-formed and the timestamp is inside the
   * replay window (either way: bolt only refuses old timestamps, a request from the future is
   * as suspicious); null otherwise. Needs no body, so it runs before the body is read.
   */
  private signatureHeaders(request: HttpRequestHead): { signature: string; timestamp: number; nowMs: number } | null {
    const signature = header(request, 'x-slack-signature');
    const timestampText = header(request, 'x-slack-request-timestamp');
    if (!signature || !SIGNATURE_FORMAT.test(signature) || !timestampText || !/^\d{1,12}$/.test(timestampText)) return null;
    const timestamp = Number(timestampText);
    const nowMs = this.options.now?.() ?? Date.now();
    if (Math.abs(Math.floor(nowMs / 1000) - timestamp) > TIMESTAMP_WINDOW_SECONDS) return null;
    return { signature, timestamp, nowMs };
  }

  /**
   * Before the body is read: a request without well-formed, current signature headers is
   * refused (401) at once, so an unsigned client cannot hold a connection open by trickling a
   * body in, and is never told its body was malformed (400).
   */
  private precheck(request: HttpRequestHead): HttpResponse | undefined {
    if (this.stopped || !this.app) return { status: 503, body: { error: 'slack receiver stopped' } };
    if (this.signatureHeaders(request)) return undefined;
    this.options.logger.warn({ path: request.url }, 'slack request refused before its body: missing, malformed or stale signature headers');
    return { status: 401, body: { error: 'invalid Slack signature' } };
  }

  /** Verify the v0 signature over the exact bytes and the timestamp window; false for anything forged or stale. */
  private verified(request: HttpRequest, raw: string): boolean {
    const headers = this.signatureHeaders(request);
    if (!headers) return false;
    try {
      verifySlackRequest({
        signingSecret: this.options.signingSecret,
        body: raw,
        headers: { 'x-slack-signature': headers.signature, 'x-slack-request-timestamp': headers.timestamp },
        nowMilliseconds: headers.nowMs,
      });
      return true;
    } catch {
      return false;
    }
  }

  private async handle(request: HttpRequest): Promise<HttpResponse> {
    const { logger } = this.options;
    if (this.stopped || !this.app) return { status: 503, body: { error: 'slack receiver stopped' } };
    if (!request.rawBody) return { status: 500, body: { error: 'raw body unavailable for signature check' } };
    const raw = request.rawBody.toString('utf8');
    if (!this.verified(request, raw)) {
      logger.warn({ path: request.url }, 'slack request refused: bad or stale signature');
      return { status: 401, body: { error: 'invalid Slack signature' } };
    }
    let body: Record<string, unknown>;
    try {
      const contentType = header(request, 'content-type') ?? '';
      if (contentType.includes('application/x-www-form-urlencoded')) {
        const form = new URLSearchParams(raw);
        const payload = form.get('payload');
        body = payload !== null ? (JSON.parse(payload) as Record<string, unknown>) : Object.fromEntries(form);
      } else {
        body = JSON.parse(raw) as Record<string, unknown>;
      }
      if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Error('not an object');
    } catch {
      return { status: 400, body: { error: 'malformed Slack payload' } };
    }
    if (body.type === 'url_verification') return { status: 200, body: { challenge: String(body.challenge ?? '') } };
    if (body.ssl_check !== undefined) return { status: 200, body: '' };
    const retryNumber = Number(header(request, 'x-slack-retry-num'));
    const outcome = await dispatch(
      this.app,
      body,
      { retryNum: Number.isInteger(retryNumber) ? retryNumber : undefined, retryReason: header(request, 'x-slack-retry-reason') },
      logger,
    );
    if (!outcome.ok) {
      logger.error({ err: outcome.error }, 'slack event not accepted; Slack will retry');
      return { status: 500, body: { error: 'event not accepted, retry later' } };
    }
    const response = outcome.response;
    if (response === undefined || response === '') return { status: 200, body: '' };
    return { status: 200, body: response };
  }
}

export interface SlackSocketReceiverOptions {
  appToken: string;
  /** Web API base the Socket Mode client opens its connection with (apps.connections.open). */
  slackApiUrl: string;
  logger: PinoLogger;
  /** Socket Mode ping settings, for tests and unusual networks. */
  clientPingTimeoutMs?: number;
  serverPingTimeoutMs?: number;
}

/**
 * Socket Mode through bolt's SocketModeReceiver, with the app it drives wrapped so that an
 * event envelope is acked only after processing succeeded.
 */
export function createSlackSocketReceiver(options: SlackSocketReceiverOptions): Receiver {
  const logger = options.logger;
  class DurableSocketModeReceiver extends SocketModeReceiver {
    override init(app: App): void {
      const durable = {
        processEvent: async (event: ReceiverEvent) => {
          const outcome = await dispatch(app, event.body, { retryNum: event.retryNum, retryReason: event.retryReason }, logger);
          // Errors leave the envelope un-acked: Slack redelivers it.
          if (!outcome.ok) throw outcome.error;
          await event.ack(outcome.response);
        },
      };
      super.init(durable as unknown as App);
    }
  }
  return new DurableSocketModeReceiver({
    appToken: options.appToken,
    logger: boltLogger(logger),
    clientPingTimeout: options.clientPingTimeoutMs,
    serverPingTimeout: options.serverPingTimeoutMs,
    installerOptions: { clientOptions: { slackApiUrl: options.slackApiUrl } },
    processEventErrorHandler: async ({ error }) => {
      logger.error({ err: error }, 'slack socket event not accepted; Slack will redeliver');
      return false;
    },
  });
}

export interface SlackReceiverOptions {
  /** App-level token: Socket Mode. */
  appToken?: string;
  /** Signing secret: the HTTP Events API (used when there is no app token). */
  signingSecret?: string;
  /** Web API base, for Socket Mode's apps.connections.open. */
  slackApiUrl: string;
  http: HttpRoutes;
  logger: PinoLogger;
  /** @defaultValue '/slack/events' */
  eventsPath?: string;
  clientPingTimeoutMs?: number;
  serverPingTimeoutMs?: number;
}

/** Socket Mode with an app token, else the HTTP Events API with a signing secret. */
export function createSlackReceiver(options: SlackReceiverOptions): Receiver {
  if (options.appToken) {
    return createSlackSocketReceiver({
      appToken: options.appToken,
      slackApiUrl: options.slackApiUrl,
      logger: options.logger,
      clientPingTimeoutMs: options.clientPingTimeoutMs,
      serverPingTimeoutMs: options.serverPingTimeoutMs,
    });
  }
  if (options.signingSecret) {
    return new SlackHttpReceiver({ http: options.http, signingSecret: options.signingSecret, logger: options.logger, path: options.eventsPath });
  }
  throw new CountersignError('config.invalid', 'slack: set SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP Events API)');
}
