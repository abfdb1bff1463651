import type { Db } from '../db';
import { notFound } from '../errors';
import { findTopicWithSender, listTopicsWithSenders, updateTopicSenderName, type TopicWithSender } from './queries';

/** A topic as the admin API shows it. */
export const topicView = (t: TopicWithSender) => ({ slug: t.slug, name: t.name, senderName: t.sender_name ?? null });

export async function listTopicViews(db: Db) {
  return (await listTopicsWithSenders(db)).map(topicView);
}

/** Sets (or, with null, clears) the name its digests are sent under. 404 for an unknown topic. */
export async function setTopicSenderName(db: Db, slug: string, senderName: string | null) {
  if (!(await updateTopicSenderName(db, slug, senderName))) throw notFound('There is no topic with this slug.');
  return topicView((await findTopicWithSender(db, slug))!);
}
