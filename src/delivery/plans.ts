import type { Config } from '../config';
import type { Db } from '../db';
import { compiledParts, slotValues } from '../digests/render';
import { findDigestForSending } from '../digests/queries';
import { recipientFor, storedLinks } from '../digests/service';
import { clickUrls } from '../clicks/links';
import { digestFromHeader } from '../mail/sender';
import { compileDigestMessage, digestMessageId, domainOf, type MessageTemplate } from './mime';
import type { ClaimedDelivery } from './queries';

/**
 * Per digest, the message compiled once (headers and transfer encoding of its compiled
 * parts), kept while the digest sends; per recipient, `build` splices their values in.
 */
export interface Person {
  id: number;
  name: string | null;
  token_nonce: string;
}

export interface DigestPlan {
  /** The recipient's message as bytes (in `scratch` when it fits) and its Message-ID. */
  build(row: ClaimedDelivery, person: Person | undefined, scratch: Buffer): { message: Buffer; messageId: string };
}

export function createPlanCache(db: Db, config: Config) {
  const domain = domainOf(config.mailFrom);
  const plans = new Map<string, DigestPlan>();

  function planOf(template: MessageTemplate, digestId: string, trackedLinks: number): DigestPlan {
    return {
      build(row, person, scratch) {
        // Test recipients are not subscribers: recipientFor gives them the signup page's links.
        const recipient = recipientFor({ config }, person);
        const messageId = digestMessageId(config.secret, digestId, row.email, domain);
        // A tracked digest's article links are this delivery's own redirects.
        const links = clickUrls(config, digestId, row.id, trackedLinks);
        const message = template.build({ to: row.email, unsubscribeUrl: recipient.unsubscribeUrl, messageId, slots: slotValues(recipient, links) }, scratch);
        return { message, messageId };
      },
    };
  }

  return {
    /** The digest's plan, compiled on first use; null when the digest is gone. */
    async get(digestId: string): Promise<DigestPlan | null> {
      const cached = plans.get(digestId);
      if (cached) return cached;
      const digest = await findDigestForSending(db, digestId);
      if (!digest) return null;
      const links = storedLinks(digest.links);
      const template = compileDigestMessage({
        // MERGE: a multi-topic digest passes every topic's sender name here.
        from: digestFromHeader(config.mailFrom, [digest.topic_sender_name]),
        replyTo: config.mailReplyTo,
        subject: digest.subject,
        listId: `"${config.orgName}: ${digest.topic_name}" <${digest.topic_slug}.newsletter.${domain}>`,
        parts: compiledParts({ subject: digest.subject, html: digest.html, text: digest.text, placeholderKey: digest.placeholder_key }),
      });
      const plan = planOf(template, digestId, links?.length ?? 0);
      plans.set(digestId, plan);
      return plan;
    },
    /** A finished digest's plan goes: its compiled bytes are the largest thing the sender holds. */
    drop(digestId: string) {
      plans.delete(digestId);
    },
  };
}
