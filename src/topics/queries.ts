import type { Db } from '../db';

export interface Topic {
  id: number;
  slug: string;
  name: string;
}

export function listTopics(db: Db): Promise<Topic[]> {
  return db('topics').select('id', 'slug', 'name').orderBy('position').orderBy('id');
}

export function findTopicsBySlugs(db: Db, slugs: string[]): Promise<Topic[]> {
  return db('topics').select('id', 'slug', 'name').whereIn('slug', slugs).orderBy('position');
}

export interface TopicWithSender extends Topic {
  sender_name: string | null;
}

/** Every topic with its sender name (null: MAIL_FROM's). */
export function listTopicsWithSenders(db: Db): Promise<TopicWithSender[]> {
  return db('topics').select('id', 'slug', 'name', 'sender_name').orderBy('position').orderBy('id');
}

export function findTopicWithSender(db: Db, slug: string): Promise<TopicWithSender | undefined> {
  return db('topics').where({ slug }).first('id', 'slug', 'name', 'sender_name');
}

/** Returns how many rows changed (0: no such topic). */
export function updateTopicSenderName(db: Db, slug: string, senderName: string | null): Promise<number> {
  return db('topics').where({ slug }).update({ sender_name: senderName });
}
