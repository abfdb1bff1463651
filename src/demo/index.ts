import type { Db } from '../db';
import { loadDemoArticles } from './articles';
import { loadDemoProgrammes } from './programmes';

/** Fills an empty database with demo content so a fresh `npm start` shows a working site. Each part skips itself when its table has rows. */
export async function loadDemoContent(db: Db, now = new Date()) {
  await loadDemoProgrammes(db, now);
  await loadDemoArticles(db, now);
}
