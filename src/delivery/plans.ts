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
  // By digest, then by variant ('' for the digest's own message).
  const plans = new Map<string, Map<string, DigestPlan>>();

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
    /** The plan of the digest's message (or of one of its variants), compiled on first use; null when it is gone. */
    async get(digestId: string, variant: number | null): Promise<DigestPlan | null> {
      const variants = plans.get(digestId) ?? new Map<string, DigestPlan>();
      const cached = variants.get(String(variant ?? ''));
      if (cached) return cached;
      const digest = await findDigestForSending(db, digestId, variant);
      if (!digest) return null;
      const links = storedLinks(digest.links);
      const template = compileDigestMessage({
        // Every topic's sender name: a digest of several uses one only when they all share it.
        from: digestFromHeader(config.mailFrom, digest.sender_names.length ? digest.sender_names : [digest.topic_sender_name]),
        replyTo: config.mailReplyTo,
        subject: digest.subject,
        // One list per digest's first topic, so a reader's client files every digest of it together.
        listId: `"${config.orgName}: ${digest.topic_name}" <${digest.topic_slug}.newsletter.${domain}>`,
        parts: compiledParts({ subject: digest.subject, html: digest.html, text: digest.text, placeholderKey: digest.placeholder_key }),
      });
      const plan = planOf(template, digestId, links?.length ?? 0);
      variants.set(String(variant ?? ''), plan);
      plans.set(digestId, variants);
      return plan;
    },
    /** A finished digest's plan goes: its compiled bytes are the largest thing the sender holds. */
    drop(digestId: string) {
      plans.delete(digestId);
    },
  };
}
