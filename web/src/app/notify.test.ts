import { describe, expect, it } from 'vitest';
import {
  arrivals,
  NOTIFICATIONS_KEY,
  notificationText,
  readNotificationSettings,
  saveNotificationSettings,
} from './notify';

function memoryStorage() {
  const items = new Map<string, string>();
  return {
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
  };
}

describe('notifications in a tab out of view', () => {
  it('are off until turned on, and keep what this browser chose', () => {
    const storage = memoryStorage();
    expect(readNotificationSettings(storage)).toEqual({ enabled: false, preview: 'name' });
    saveNotificationSettings({ enabled: true, preview: 'none' }, storage);
    expect(readNotificationSettings(storage)).toEqual({ enabled: true, preview: 'none' });
    storage.setItem(NOTIFICATIONS_KEY, '{not json');
    expect(readNotificationSettings(storage)).toEqual({ enabled: false, preview: 'name' });
    storage.setItem(NOTIFICATIONS_KEY, JSON.stringify({ enabled: 'yes', preview: 'everything' }));
    expect(readNotificationSettings(storage)).toEqual({ enabled: false, preview: 'name' });
  });

  it('say who wrote and how many, or with the private setting only that something came, never the words', () => {
    expect(notificationText({ title: 'Bob', unread: 1 }, 'name')).toEqual({
      title: 'Bob',
      body: 'New message',
    });
    expect(notificationText({ title: 'Trip', unread: 3 }, 'name')).toEqual({
      title: 'Trip',
      body: '3 new messages',
    });
    expect(notificationText({ title: 'Bob', unread: 2 }, 'none')).toEqual({
      title: 'Parley',
      body: '2 new messages',
    });
  });

  it('come for the conversations whose unread count went up, and one that is new with something unread', () => {
    const before = new Map([
      ['a', 0],
      ['b', 2],
      ['c', 1],
    ]);
    expect(
      arrivals(before, [
        { conversationId: 'a', unread: 1 },
        { conversationId: 'b', unread: 2 },
        { conversationId: 'c', unread: 0 },
        { conversationId: 'new', unread: 4 },
        { conversationId: 'quiet', unread: 0 },
      ]),
    ).toEqual(['a', 'new']);
  });
});
