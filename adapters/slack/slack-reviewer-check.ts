/** Who may act on reviews in Slack: listed user ids, or members of a user group (cached). */
import type { SlackWebApi } from './slack-web-api.js';

export interface SlackReviewerCheckOptions {
  api: SlackWebApi;
  /** Slack user ids allowed to act on reviews. */
  reviewers: readonly string[];
  /** A user group id (`S...`) whose members may act on reviews. */
  reviewerGroup?: string;
  /** How long the group's members are cached. @defaultValue 60000 */
  groupCacheMs?: number;
}

/** Whether a Slack user may act on reviews. */
export type SlackReviewerCheck = (userId: string) => Promise<boolean>;

export function createSlackReviewerCheck(options: SlackReviewerCheckOptions): SlackReviewerCheck {
  const reviewers = new Set(options.reviewers);
  let group: { at: number; members: Set<string> } | undefined;
  return async (userId) => {
    if (reviewers.has(userId)) return true;
    if (!options.reviewerGroup) return false;
    const now = Date.now();
    if (!group || now - group.at > (options.groupCacheMs ?? 60_000)) {
      const result = await options.api.call<{ users?: string[] }>('usergroups.users.list', { usergroup: options.reviewerGroup });
      group = { at: now, members: new Set(result.users ?? []) };
    }
    return group.members.has(userId);
  };
}
