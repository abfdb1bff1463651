import type { Config } from '../config';
import type { Db } from '../db';
import type { MailJobHandler } from '../mail/job-runner';
import { renderEmail, organisationOf } from '../mail/render';
import { listTopics } from '../topics/queries';
import { findSubscriberById, listSubscriberTopicSlugs } from './queries';
import { linkFor } from './service';

/** The double opt-in email, built when it is sent so its link carries the current nonce. */
export function confirmationEmailHandler(deps: { db: Db; config: Config }): MailJobHandler {
  return async (job) => {
    const subscriber = job.subscriber_id ? await findSubscriberById(deps.db, job.subscriber_id) : undefined;
    if (!subscriber || subscriber.status !== 'pending') return null; // confirmed or gone meanwhile
    const [slugs, topics] = await Promise.all([listSubscriberTopicSlugs(deps.db, subscriber.id), listTopics(deps.db)]);
    const names = topics.filter((t) => slugs.includes(t.slug)).map((t) => t.name);
    const subject = `Confirm your subscription to ${deps.config.orgName}`;
    const { html, text } = await renderEmail('subscription-confirmation', {
      subject,
      org: organisationOf(deps.config),
      name: subscriber.name,
      topics: names,
      confirmUrl: linkFor(deps, subscriber, 'confirm'),
      footerNote: 'You received this email because this address was entered on our newsletter signup form.',
    });
    return { to: subscriber.name ? { name: subscriber.name, address: subscriber.email } : subscriber.email, subject, html, text };
  };
}

/** After confirming: a welcome naming the topics, with the preferences and unsubscribe links. */
export function welcomeEmailHandler(deps: { db: Db; config: Config }): MailJobHandler {
  return async (job) => {
    const subscriber = job.subscriber_id ? await findSubscriberById(deps.db, job.subscriber_id) : undefined;
    if (!subscriber || subscriber.status !== 'confirmed') return null; // left again meanwhile
    const [slugs, topics] = await Promise.all([listSubscriberTopicSlugs(deps.db, subscriber.id), listTopics(deps.db)]);
    const subject = `Welcome to the newsletter from ${deps.config.orgName}`;
    const { html, text } = await renderEmail('subscription-welcome', {
      subject,
      org: organisationOf(deps.config),
      name: subscriber.name,
      topics: topics.filter((t) => slugs.includes(t.slug)).map((t) => t.name),
      preferencesUrl: linkFor(deps, subscriber, 'preferences'),
      unsubscribeUrl: linkFor(deps, subscriber, 'unsubscribe'),
      archiveUrl: `${deps.config.baseUrl}/newsletter/archive`,
      footerNote: 'You received this email because you confirmed your subscription to our newsletter.',
    });
    return { to: subscriber.name ? { name: subscriber.name, address: subscriber.email } : subscriber.email, subject, html, text };
  };
}
