import { z } from 'zod';
import { pageQuery } from '../http/listing';

/** Input shapes for the subscription forms and API, checked at the edge. */

// Control characters (CR/LF above all) must never reach a mail header.
const noControlChars = (value: string) => !/[\u0000-\u001f\u007f]/.test(value);

// What no address holds and hostile or broken input brings: C1 controls, format and bidi
// characters (\p{Cf}: zero-width, direction overrides), lone surrogates, U+FFFD (what bytes
// that are not UTF-8 decode to) and the noncharacters beside it.
const noUnreadableChars = (value: string) => !/[\p{Cc}\p{Cf}\p{Cs}\uFFFD\uFFFE\uFFFF]/u.test(value);

// In a name: the same, except the format characters some scripts need (joiners); bidi controls still go.
const noUnreadableNameChars = (value: string) => !/[\p{Cc}\p{Cs}\uFFFD\uFFFE\uFFFF\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u.test(value);

// Deliberately plain: one @, a dot in the domain, no spaces or control characters.
const emailPattern = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:".]{2,}$/;

export const emailAddress = z
  .string({ error: 'Enter your email address.' })
  .refine(noControlChars, 'An email address cannot contain line breaks or control characters.')
  .refine(noUnreadableChars, 'An email address cannot contain invisible, text-direction or unreadable characters.')
  .transform((value) => value.trim().toLowerCase().normalize('NFC'))
  .pipe(
    z
      .string()
      .min(1, 'Enter your email address.')
      .max(254, 'An email address has at most 254 characters.')
      .refine((v) => v.split('@')[0].length <= 64, 'The part before the @ has at most 64 characters.')
      .regex(emailPattern, 'Enter an email address like name@example.com.'),
  );

export const personName = z
  .string({ error: 'A name is text.' })
  .refine(noControlChars, 'A name cannot contain line breaks or control characters.')
  .refine(noUnreadableNameChars, 'A name cannot contain text-direction or unreadable characters.')
  .transform((value) => value.trim().replace(/\s+/g, ' ').normalize('NFC'))
  .pipe(z.string().max(120, 'A name has at most 120 characters.'))
  .transform((value) => value || null);

const topicSlug = z.string().regex(/^[a-z0-9-]{1,40}$/, 'Choose topics from the list.');

/** One slug or a list of them (a form repeats the field); empty means the default. */
export const topicList = z
  .union([topicSlug, z.array(topicSlug, { error: 'Choose topics from the list.' }).max(20, 'Choose at most 20 topics.')], {
    error: 'Choose topics from the list.',
  })
  .optional()
  .transform((value) => [...new Set(value === undefined ? [] : Array.isArray(value) ? value : [value])]);

const consentGiven = z.union([z.literal(true), z.literal('on'), z.literal('true'), z.literal('yes')], {
  error: 'Tick the box to agree to receive the newsletter.',
});

export const subscriptionInput = z.object({
  email: emailAddress,
  name: personName.optional().transform((v) => v ?? null),
  topics: topicList,
  consent: consentGiven,
});

export type SubscriptionInput = z.output<typeof subscriptionInput>;

export const preferencesInput = z.object({
  topics: topicList,
});

export const SUBSCRIBER_STATUSES = ['pending', 'confirmed', 'unsubscribed', 'bounced'] as const;
export type SubscriberStatus = (typeof SUBSCRIBER_STATUSES)[number];

/** The admin list's filters (the API and the console): status, topic, and q for part of an address or name. */
export const subscriberListQuery = pageQuery.extend({
  status: z.enum(SUBSCRIBER_STATUSES, { error: `status is one of ${SUBSCRIBER_STATUSES.join(', ')}` }).optional(),
  topic: z.string().regex(/^[a-z0-9-]{1,40}$/, 'topic is a topic slug').optional(),
  q: z.string().trim().max(254, 'q has at most 254 characters').optional(),
  format: z.enum(['json', 'csv']).optional(),
});

/** The consent wording shown beside the checkbox; its version is stored with each consent. */
export const CONSENT = {
  // The wording's date: a consent record names the words the person agreed to.
  version: '2026-12-02',
  // "the newsletter from …": reads right whether or not the name starts with "The".
  text: (orgName: string) =>
    `I agree to receive the newsletter from ${orgName} by email. I can unsubscribe at any time with the link in every issue, and my address is used for nothing else.`,
};

/** How an import stores its people (the API's query, the console's form). */
export const importOptionsInput = z
  .object({
    status: z.enum(['pending', 'confirmed'], { error: 'status is pending or confirmed' }).default('pending'),
    consentNote: z.string().trim().max(500, 'consentNote has at most 500 characters').optional(),
    confirm: z.literal('yes', { error: 'confirm is yes, or left out' }).optional(),
  })
  .refine((q) => q.status !== 'confirmed' || !!q.consentNote, {
    path: ['consentNote'],
    message: 'Importing as confirmed needs consentNote: how and when these people gave their consent.',
  });
