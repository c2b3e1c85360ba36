import type { SettingChange, StopRemoteFeed } from '@llm-settings/core';
import type { Knex } from 'knex';
import type { Dialect } from './dialects/dialect.js';

/**
 * Starts the dialect's feed of other processes' writes, passing them to `emit` as remote
 * changes, and telling `resumed` of each reconnect; returns how to stop it, or undefined
 * when the store does not listen.
 */
export function startRemoteChanges(knex: Knex, dialect: Dialect, emit: (change: SettingChange) => void, resumed?: () => void): StopRemoteFeed | undefined {
  if (!dialect.subscribeToChanges) return undefined;
  // Until the feed is up, and while it is down, other processes' writes go unseen: a null
  // key tells listeners to drop whatever they derived, once it is first up, when it goes
  // down and again when it is back.
  const feedGap = () => emit({ key: null, origin: 'remote' });
  const subscription = dialect.subscribeToChanges(knex, {
    onRemoteChange: (key) => emit({ key, origin: 'remote' }),
    onStarted: feedGap,
    onInterrupted: feedGap,
    onResumed: () => {
      feedGap();
      resumed?.();
    },
  });
  return () => subscription.close();
}
