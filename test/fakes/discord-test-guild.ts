/**
 * The guild the Discord tests play in, on the fake Discord: its ids, its people, and
 * `addTestGuild` to create it (a general channel, a review channel, optionally a thread).
 */
import type { FakeDiscord, FakeGuild, FakeUser } from './fake-discord.js';

export const GUILD = '110000000000000001';
export const GENERAL = '220000000000000001';
export const REVIEW = '220000000000000002';
export const THREAD = '220000000000000003';
export const REVIEWER_ROLE = '330000000000000001';

/** A user who talks to the bot. */
export const ann: FakeUser = { id: '440000000000000001', username: 'ann', global_name: 'Ann' };
/** A reviewer by role. */
export const rita: FakeUser = { id: '440000000000000002', username: 'rita', global_name: 'Rita' };

/** Add the test guild: general and review channels, and the help thread (owned by ann) when asked. */
export function addTestGuild(fake: FakeDiscord, options: { thread?: boolean } = {}): FakeGuild {
  return fake.addGuild({
    id: GUILD,
    roles: [{ id: REVIEWER_ROLE, name: 'reviewers' }],
    memberRoles: { [rita.id]: [REVIEWER_ROLE], [ann.id]: [] },
    channels: [
      { id: GENERAL, type: 0, name: 'general' },
      { id: REVIEW, type: 0, name: 'review' },
      ...(options.thread ? [{ id: THREAD, type: 11, name: 'help thread', parent_id: GENERAL, owner_id: ann.id }] : []),
    ],
  });
}
