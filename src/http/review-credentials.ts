/**
 * Who is asking, for the review API and the dashboard. Three kinds of credential:
 *
 * - a named reviewer token (`review.reviewers`, `review.reviewersFile`): the decision is
 *   recorded under that reviewer's name, vouched for;
 * - the shared REVIEW_TOKEN: an administrator's token that says nothing about who holds it, so
 *   the name its holder types (dashboard sign-in, `X-Reviewer`) is recorded marked unverified;
 * - the user an identity-aware proxy names in `review.trustedHeader`, believed only when the
 *   request's peer is one of the proxy addresses of `http.trustProxy`.
 */
import proxyaddr from 'proxy-addr';
import type { ReviewerEntry } from '../config/review-identity-schema.js';
import type { TrustProxy } from '../config/http-schema.js';
import type { Reviewer } from '../core/types.js';
import { constantTimeEqual } from './constant-time-equal.js';

export type ReviewCredential = { kind: 'shared' } | { kind: 'reviewer'; name: string } | { kind: 'proxy'; name: string };

export interface ReviewCredentialsOptions {
  /** The shared REVIEW_TOKEN. */
  sharedToken?: string | undefined;
  /** Named reviewer tokens. @defaultValue [] */
  reviewers?: readonly ReviewerEntry[];
  /** Lower-case name of the header an identity-aware proxy names the user in. */
  trustedHeader?: string | undefined;
  /** `http.trustProxy`; only a list of addresses can vouch for the trusted header. @defaultValue false */
  trustProxy?: TrustProxy;
}

/** What a request looks like to the credential check (a Fastify request fits). */
export interface CredentialRequest {
  headers: Record<string, string | string[] | undefined>;
  raw: { socket: { remoteAddress?: string | undefined } };
}

/** A name a person could go by: no control or format characters, at most 100 characters. */
export function cleanName(value: unknown, max = 100): string | null {
  if (typeof value !== 'string') return null;
  const name = value.replace(/[\p{Cc}\p{Cf}]/gu, '').trim();
  return name && name.length <= max ? name : null;
}

/** Who may review over HTTP, and who a request's credential stands for. */
export interface ReviewCredentials {
  /** Whether any way to review over HTTP is configured. */
  enabled: boolean;
  /** Whether a request from the identity-aware proxy can sign in without a token. */
  proxyEnabled: boolean;
  /**
   * The credential a token belongs to, or null. Every configured token is compared, in
   * constant time, whichever matches: the time taken does not say which one, or how close.
   */
  match(token: string): ReviewCredential | null;
  /** The user the identity-aware proxy names, when the request's peer is the trusted proxy; else null. */
  proxyIdentity(request: CredentialRequest): string | null;
  /**
   * What a credential stands for now, to fingerprint sessions with: the token (shared or the
   * reviewer's), or the proxy user's name. Null once the credential is gone from the configuration.
   */
  secretOf(credential: ReviewCredential): string | null;
  /**
   * The reviewer recorded with a decision. Only the shared token takes the name its holder
   * gives (`claimedName`), marked unverified; the others are named by what authenticated them.
   */
  reviewer(credential: ReviewCredential, via: 'api' | 'dashboard', claimedName?: string | null): Reviewer;
}

export function createReviewCredentials(options: ReviewCredentialsOptions): ReviewCredentials {
  const reviewers = options.reviewers ?? [];
  const header = options.trustedHeader?.toLowerCase();
  // Only a list names the proxy: `true` would let anyone who reaches the service name themselves
  // (the configuration refuses that combination; this is the second lock).
  const fromProxy = header && Array.isArray(options.trustProxy) ? proxyaddr.compile(options.trustProxy) : null;

  const credentials: ReviewCredentials = {
    enabled: Boolean(options.sharedToken || reviewers.length || fromProxy),
    proxyEnabled: Boolean(fromProxy),

    match(token: string): ReviewCredential | null {
      let found: ReviewCredential | null = null;
      if (options.sharedToken !== undefined && constantTimeEqual(token, options.sharedToken)) found = { kind: 'shared' };
      for (const reviewer of reviewers) {
        if (constantTimeEqual(token, reviewer.token) && !found) found = { kind: 'reviewer', name: reviewer.name };
      }
      return found;
    },

    proxyIdentity(request: CredentialRequest): string | null {
      if (!fromProxy || !header) return null;
      const peer = request.raw.socket.remoteAddress;
      if (!peer || !fromProxy(peer, 0)) return null;
      return cleanName(request.headers[header]);
    },

    secretOf(credential: ReviewCredential): string | null {
      if (credential.kind === 'shared') return options.sharedToken ?? null;
      if (credential.kind === 'proxy') return fromProxy ? `proxy\u0000${credential.name}` : null;
      return reviewers.find((reviewer) => reviewer.name === credential.name)?.token ?? null;
    },

    reviewer(credential: ReviewCredential, via: 'api' | 'dashboard', claimedName?: string | null): Reviewer {
      if (credential.kind === 'reviewer') return { via, id: `reviewer:${credential.name}`, name: credential.name, verified: true };
      if (credential.kind === 'proxy') return { via, id: `proxy:${credential.name}`, name: credential.name, verified: true };
      return { via, id: 'shared-token', name: claimedName || (via === 'api' ? 'api' : 'unnamed'), verified: false };
    },
  };
  return credentials;
}

