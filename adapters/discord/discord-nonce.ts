import { createHash } from 'node:crypto';

/**
 * The `nonce` of a message countersign posts: a pure function of the part's idempotency key
 * (`deliveryId:part`), so a retried send carries the same nonce and, with `enforce_nonce`,
 * Discord answers with the message it already created instead of posting a second one.
 * Discord accepts nonces of at most 25 characters: 128 bits of SHA-256 in base 36 fit.
 */
export function discordNonce(key: string): string {
  const digest = createHash('sha256').update(key).digest();
  return BigInt(`0x${digest.subarray(0, 16).toString('hex')}`).toString(36);
}
