import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CountersignError } from '../core/errors.js';
import { constantTimeEqual } from './constant-time-equal.js';
import { parseInput } from './parse-input.js';
import { presentTurn } from '../review/present-turn.js';
import type { ReviewService } from '../review/review-service.js';

const statusQuery = z.object({ status: z.enum(['pending', 'approved', 'rejected', 'resolved']).default('pending'), limit: z.coerce.number().int().min(1).max(1000).default(200) });
/** A reviewer's approval: empty (post the draft) or the reviewer's own text. Shared with the dashboard. */
export const approveBody = z.strictObject({ text: z.string().trim().min(1, 'text must not be empty').max(40_000).optional() });
const emptyBody = z.strictObject({});


/** Constant-time check of `Authorization: Bearer <token>`; no token configured refuses everyone. */
export function bearerMatches(header: string | string[] | undefined, token: string | undefined): boolean {
  if (!token || typeof header !== 'string') return false;
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  if (!match) return false;
  return constantTimeEqual(match[1]!, token);
}



/** The review API of CONTRACT.md. */
export function registerReviewApi(app: FastifyInstance, options: { review: ReviewService; token: string | undefined }) {
  const authorize = async (request: FastifyRequest) => {
    if (!bearerMatches(request.headers.authorization, options.token)) {
      throw new CountersignError('http.unauthorized', options.token ? 'a valid reviewer token is required' : 'the review API is disabled (REVIEW_TOKEN is not set)');
    }
  };
  const reviewer = (request: FastifyRequest) => ({ via: 'api', id: 'api-token', name: String(request.headers['x-reviewer'] ?? 'api').slice(0, 100) });

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
      return { turn: presentTurn(turn, true) };
    });
    scope.post<{ Params: { id: string } }>('/api/review/turns/:id/approve', async (request) => {
      const body = parseInput(approveBody, request.body, 'body');
      const turn = await options.review.approve(request.params.id, { reviewer: reviewer(request), ...(body.text ? { text: body.text } : {}) });
      return { turn: presentTurn(turn, true) };
    });
    scope.post<{ Params: { id: string } }>('/api/review/turns/:id/reject', async (request) => {
      parseInput(emptyBody, request.body, 'body');
      const turn = await options.review.reject(request.params.id, { reviewer: reviewer(request) });
      return { turn: presentTurn(turn, true) };
    });
  });
}
