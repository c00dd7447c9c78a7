import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { TrustProxy } from './http-schema.js';

/**
 * Who a reviewer is, in the `review:` section: named reviewer tokens (in the file or in a
 * separate reviewers file), the header an identity-aware proxy names the signed-in user in,
 * and the dashboard's session lifetimes. Tokens never appear in an error message.
 */

/** A reviewer's name: what the audit log and the dashboard show as who decided. */
export const REVIEWER_NAME = /^[\p{L}\p{N}][\p{L}\p{N} ._@+'-]{0,59}$/u;
const NAME_RULE = "must be 1 to 60 letters, digits, spaces or . _ @ + ' -, starting with a letter or digit";
/** Named tokens identify a person, so they must be hard to guess. */
export const MIN_REVIEWER_TOKEN = 16;

export const reviewerEntrySchema = z.strictObject({
  name: z.string().trim().regex(REVIEWER_NAME, NAME_RULE),
  token: z
    .string()
    .min(MIN_REVIEWER_TOKEN, `must be at least ${MIN_REVIEWER_TOKEN} characters (generate one with: openssl rand -hex 24)`)
    .max(1000, 'must be at most 1000 characters')
    .refine((token) => !/\s/.test(token), 'must not contain spaces or line breaks'),
});

export type ReviewerEntry = z.output<typeof reviewerEntrySchema>;

/** Headers that say something else already and can never name a reviewer. */
const RESERVED_HEADERS = new Set(['authorization', 'cookie', 'host', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-reviewer', 'x-csrf-token']);

export const DEFAULT_SESSION = { idleSeconds: 12 * 3600, absoluteSeconds: 24 * 3600 };

/** Fields of the `review:` section about identity, spread into it by schema.ts. */
export const reviewIdentityFields = {
  /** Named reviewer tokens: each decision made with one is recorded under its name. */
  reviewers: z.array(reviewerEntrySchema).default([]),
  /** A file of more named tokens, one `name:token` or `{"name": ..., "token": ...}` per line. */
  reviewersFile: z.string().trim().min(1).optional(),
  /**
   * The header an identity-aware proxy (oauth2-proxy, Cloudflare Access, IAP...) names the
   * signed-in user in; honoured only on requests whose peer is one of `http.trustProxy`'s addresses.
   */
  trustedHeader: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9-]{1,100}$/, 'must be a header name such as X-Forwarded-User')
    .transform((name) => name.toLowerCase())
    .refine((name) => !RESERVED_HEADERS.has(name), 'this header means something else; use the one your proxy sets for the user, e.g. X-Forwarded-User')
    .optional(),
  /** Dashboard sessions: ended after `idleSeconds` without use, and `absoluteSeconds` after sign-in whatever happens. */
  session: z
    .strictObject({
      idleSeconds: z.coerce.number().int().min(1).max(30 * 86_400).default(DEFAULT_SESSION.idleSeconds),
      absoluteSeconds: z.coerce.number().int().min(1).max(90 * 86_400).default(DEFAULT_SESSION.absoluteSeconds),
    })
    .default(DEFAULT_SESSION),
};

/** Environment variables of the identity fields and the config path each one sets. */
export const reviewIdentityEnvironment = {
  REVIEW_REVIEWERS_FILE: 'review.reviewersFile',
  REVIEW_TRUSTED_HEADER: 'review.trustedHeader',
  REVIEW_SESSION_IDLE_SECONDS: 'review.session.idleSeconds',
  REVIEW_SESSION_ABSOLUTE_SECONDS: 'review.session.absoluteSeconds',
} as const;

/**
 * Read a reviewers file: one reviewer per line, `name:token` (split at the first colon) or a
 * JSON object `{"name": "...", "token": "..."}`; blank lines and lines starting with `#` are
 * skipped. Problems name the file and line, never the token.
 */
export function readReviewersFile(file: string): { reviewers: ReviewerEntry[]; lines: number[]; problems: string[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return { reviewers: [], lines: [], problems: [`${file}: (file): cannot read the reviewers file (${(error as NodeJS.ErrnoException).code ?? 'error'})`] };
  }
  const reviewers: ReviewerEntry[] = [];
  const lines: number[] = [];
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const where = `${file}: line ${index + 1}`;
    let candidate: unknown;
    if (line.startsWith('{')) {
      try {
        candidate = JSON.parse(line);
      } catch {
        // JSON.parse's own message quotes the line, token included.
        problems.push(`${where}: not valid JSON (expected {"name": "...", "token": "..."})`);
        return;
      }
    } else {
      const colon = line.indexOf(':');
      if (colon < 0) {
        problems.push(`${where}: expected name:token or a JSON object`);
        return;
      }
      candidate = { name: line.slice(0, colon), token: line.slice(colon + 1).trim() };
    }
    const parsed = reviewerEntrySchema.safeParse(candidate);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const field = issue.path.length ? issue.path.join('.') : '(line)';
        problems.push(`${where}: ${field}: ${issue.code === 'unrecognized_keys' ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}` : issue.message}`);
      }
      return;
    }
    reviewers.push(parsed.data);
    lines.push(index + 1);
  });
  return { reviewers, lines, problems };
}

export interface ReviewIdentityInput {
  review: { token?: string | undefined; reviewers: ReviewerEntry[]; reviewersFile?: string | undefined; trustedHeader?: string | undefined };
  http: { trustProxy: TrustProxy };
}

/**
 * All named reviewers (the config's, then the file's), checked together: names unique
 * (ignoring case), tokens unique and different from the shared REVIEW_TOKEN, and a trusted
 * header only with a trusted proxy named by its addresses.
 */
export function resolveReviewIdentity(config: ReviewIdentityInput, display: string): { reviewers: ReviewerEntry[]; problems: string[] } {
  const problems: string[] = [];
  const file = config.review.reviewersFile;
  const fromFile = file ? readReviewersFile(file) : { reviewers: [], lines: [], problems: [] };
  problems.push(...fromFile.problems);
  // Where each reviewer was given, for messages: the config's list entry or the file's line.
  const entries = [
    ...config.review.reviewers.map((reviewer, index) => ({ reviewer, where: `${display}: review.reviewers.${index}` })),
    ...fromFile.reviewers.map((reviewer, index) => ({ reviewer, where: `${file}: line ${fromFile.lines[index]}` })),
  ];
  const names = new Map<string, string>();
  const tokens = new Map<string, string>();
  for (const { reviewer, where } of entries) {
    const key = reviewer.name.toLowerCase();
    const sameName = names.get(key);
    if (sameName) problems.push(`${where}: the name "${reviewer.name}" is already given at ${sameName} (names must be unique, ignoring case)`);
    else names.set(key, where);
    const sameToken = tokens.get(reviewer.token);
    if (sameToken) problems.push(`${where}: "${reviewer.name}" has the same token as the reviewer at ${sameToken} (each reviewer needs their own)`);
    else tokens.set(reviewer.token, where);
    if (config.review.token !== undefined && reviewer.token === config.review.token) {
      problems.push(`${where}: "${reviewer.name}" has the shared review token (REVIEW_TOKEN) as their own; give them their own token`);
    }
  }
  if (config.review.trustedHeader && !Array.isArray(config.http.trustProxy)) {
    problems.push(
      `${display}: review.trustedHeader: needs http.trustProxy to list the proxy's own addresses (e.g. [10.0.0.5] or 10.0.0.0/24); with ${JSON.stringify(config.http.trustProxy)} anyone who reaches the service could name themselves`,
    );
  }
  return { reviewers: entries.map((entry) => entry.reviewer), problems };
}
