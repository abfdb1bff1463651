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
