import { describe, expect, it } from 'vitest';
import { createChangeFeed, type SettingChange } from '../src/index.js';

const change = (key: string): SettingChange => ({ key, origin: 'local' });

describe('createChangeFeed', () => {
  it('tells every listener, in the order they subscribed, until each unsubscribes', () => {
    const feed = createChangeFeed();
    const heard: string[] = [];
    const unsubscribeA = feed.watch((c) => heard.push(`a:${c.key}`));
    feed.watch((c) => heard.push(`b:${c.key}`));
    feed.emit(change('one'));
    unsubscribeA();
    feed.emit(change('two'));
    expect(heard).toEqual(['a:one', 'b:one', 'b:two']);
  });

  it('keeps a throwing listener from reaching the writer or the listeners after it', () => {
    const feed = createChangeFeed();
    const heard: SettingChange[] = [];
    feed.watch(() => {
      throw new Error('listener failed');
    });
    feed.watch((c) => heard.push(c));
    expect(() => feed.emit(change('k'))).not.toThrow();
    expect(heard).toEqual([change('k')]);
  });

  it('starts the remote feed once, at the first watch, and close() stops it once and drops the listeners', async () => {
    const events: string[] = [];
    const feed = createChangeFeed({
      startRemote: () => {
        events.push('start');
        return async () => void events.push('stop');
      },
    });
    expect(events).toEqual([]);
    const heard: SettingChange[] = [];
    feed.watch((c) => heard.push(c));
    feed.watch((c) => heard.push(c));
    expect(events).toEqual(['start']);

    await feed.close();
    await feed.close();
    expect(events).toEqual(['start', 'stop']);
    expect(feed.closed).toBe(true);
    feed.emit(change('after close'));
    expect(heard).toEqual([]);
  });

  it('starts no remote feed for a watch after close(), and subscribes nothing', async () => {
    let started = 0;
    const feed = createChangeFeed({ startRemote: () => void (started += 1) });
    await feed.close();
    const heard: SettingChange[] = [];
    feed.watch((c) => heard.push(c));
    feed.emit(change('k'));
    expect(started).toBe(0);
    expect(heard).toEqual([]);
  });
});
