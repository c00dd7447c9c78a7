import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import { CountersignError } from '../core/errors.js';
import type { Reviewer } from '../core/types.js';
import type { AuthLimiter } from './auth-limiter.js';
import { parseInput } from './parse-input.js';
import { cleanName, type ReviewCredentials } from './review-credentials.js';
import { presentTurn } from '../review/present-turn.js';
import type { ReviewService } from '../review/review-service.js';

const statusQuery = z.object({ status: z.enum(['pending', 'approved', 'rejected', 'resolved']).default('pending'), limit: z.coerce.number().int().min(1).max(1000).default(200) });
/** A reviewer's approval: empty (post the draft) or the reviewer's own text. Shared with the dashboard. */
export const approveBody = z
  .strictObject({
    text: z.string().trim().min(1, 'text must not be empty').max(40_000).optional(),
    /** A held tool call: run it with these arguments instead of the proposed ones (validated against the tool's schema). */
    arguments: z.record(z.string(), z.unknown(), { error: 'arguments must be a JSON object' }).optional(),
  })
  .refine((body) => body.text === undefined || body.arguments === undefined, 'give text (a reply) or arguments (a tool call), not both');
const emptyBody = z.strictObject({});


/** The token of `Authorization: Bearer <token>`, or null when the header is absent or of another scheme. */
export function bearerToken(header: string | string[] | undefined): string | null {
  if (typeof header !== 'string') return null;
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  return match ? match[1]! : null;
}

export interface ReviewApiOptions {
  review: ReviewService;
  /** Who may review: tokens and the identity-aware proxy; none configured disables the API (401). */
  credentials: ReviewCredentials;
  /** Limits on wrong tokens, shared with the dashboard's sign-in. */
  limiter: AuthLimiter;
  logger: Logger;
}

/**
 * The review API of CONTRACT.md. A request is authenticated by `Authorization: Bearer` (a
 * reviewer's own token, or the shared REVIEW_TOKEN with the name in `X-Reviewer`, recorded as
 * unverified), or by the identity-aware proxy's header on requests from the trusted proxy.
 * Wrong tokens count towards the per-client and global limits (429 with Retry-After).
 */
export function registerReviewApi(app: FastifyInstance, options: ReviewApiOptions) {
  const { credentials, limiter, logger } = options;
  const reviewers = new WeakMap<FastifyRequest, Reviewer>();
  const authorize = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!credentials.enabled) throw new CountersignError('http.unauthorized', 'the review API is disabled (set REVIEW_TOKEN or review.reviewers)');
    const proxied = credentials.proxyIdentity(request);
    const token = bearerToken(request.headers.authorization);
    if (token === null) {
      if (!proxied) throw new CountersignError('http.unauthorized', 'a valid reviewer token is required');
      reviewers.set(request, credentials.reviewer({ kind: 'proxy', name: proxied }, 'api'));
      return;
    }
    const admission = await limiter.admit(request.ip);
    if (!admission.allowed) {
      logger.warn({ ip: request.ip, limit: admission.reason }, 'review API request refused: too many wrong tokens');
      return reply.status(429).header('retry-after', String(admission.retryAfterSeconds)).send({ error: `too many wrong review tokens; retry in ${admission.retryAfterSeconds} s` });
    }
    const credential = credentials.match(token);
    if (!credential) {
      await limiter.failed(request.ip);
      logger.warn({ ip: request.ip }, 'review API request with a wrong token');
      throw new CountersignError('http.unauthorized', 'a valid reviewer token is required');
    }
    await limiter.succeeded(request.ip, admission);
    // The shared token names nobody: the proxy's user when there is one, else the X-Reviewer the caller gave.
    reviewers.set(
      request,
      credential.kind === 'shared' && proxied ? credentials.reviewer({ kind: 'proxy', name: proxied }, 'api') : credentials.reviewer(credential, 'api', cleanName(request.headers['x-reviewer'])),
    );
  };
  const reviewer = (request: FastifyRequest): Reviewer => {
    const found = reviewers.get(request);
    if (!found) throw new CountersignError('http.unauthorized', 'a valid reviewer token is required');
    return found;
  };

  app.register(async (scope) => {
    scope.addHook('onRequest', authorize);
    scope.get('/api/review/turns', async (request) => {
      const query = parseInput(statusQuery, request.query, 'query');
      const turns = await options.review.list(query.status, query.limit);
      return { turns: turns.map((turn) => presentTurn(turn)) };
    });
    scope.get<{ Params: { id: string } }>('/api/review/turns/:id', async (request) => {
      const turn = await options.review.get(request.params.id);
      if (!turn) throw new CountersignError('review.not-found', `no escalated turn ${request.params.id}`);
      return { turn: presentTurn(turn, true, await options.review.followUp(turn)) };
    });
    scope.post<{ Params: { id: string } }>('/api/review/turns/:id/approve', async (request) => {
      const body = parseInput(approveBody, request.body, 'body');
      const turn = await options.review.approve(request.params.id, { reviewer: reviewer(request), ...(body.text ? { text: body.text } : {}), ...(body.arguments ? { arguments: body.arguments } : {}) });
      return { turn: presentTurn(turn, true) };
    });
    scope.post<{ Params: { id: string } }>('/api/review/turns/:id/reject', async (request) => {
      parseInput(emptyBody, request.body, 'body');
      const turn = await options.review.reject(request.params.id, { reviewer: reviewer(request) });
      return { turn: presentTurn(turn, true) };
    });
  });
}
