import { describeError, isCountersignError } from '../core/errors.js';
import type { ModelClient } from '../core/ports.js';

export interface ModelHealth {
  model: string;
  /** Where it is served (no credentials), when known. */
  endpoint?: string;
  /** `unknown` until the first call; `failing` after a call that could not reach a usable answer. */
  status: 'unknown' | 'ok' | 'failing';
  lastOkAt?: number;
  failingSince?: number;
  /** The last failure, secret-free (`model.connection: ... cannot reach http://...`). */
  lastError?: string;
}

export interface ObservedModelClient extends ModelClient {
  health(): ModelHealth;
}

/** Failures that say the endpoint is down or broken, not that one answer was bad. */
const ENDPOINT_FAILURES = new Set(['model.connection', 'model.timeout', 'model.http']);

/**
 * A ModelClient that remembers whether its endpoint works, for /healthz: an unreachable model
 * is shown there (with its endpoint) without failing liveness, since turns still end safely
 * (escalated) while it is down.
 */
export function observeModel(client: ModelClient, endpoint?: string): ObservedModelClient {
  const state: ModelHealth = { model: client.model, ...(endpoint ? { endpoint } : {}), status: 'unknown' };
  return {
    model: client.model,
    async complete(request) {
      try {
        const completion = await client.complete(request);
        state.status = 'ok';
        state.lastOkAt = Date.now();
        delete state.failingSince;
        return completion;
      } catch (error) {
        if (isCountersignError(error) && ENDPOINT_FAILURES.has(error.code) && !(error.code === 'model.http' && Number(error.details.status) === 400)) {
          if (state.status !== 'failing') state.failingSince = Date.now();
          state.status = 'failing';
          state.lastError = describeError(error);
        }
        throw error;
      }
    },
    health: () => ({ ...state }),
  };
}
