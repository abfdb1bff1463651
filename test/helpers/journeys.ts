import { loadDemoContent } from '../../src/demo';
import { csrfFrom, localPath, startTestApp, type TestApp } from './app';
import { entryFields, statementOf } from './factories';
import { addConfirmedSubscribers } from './sending';
import { linksIn, sentTo, type ReceivedMail } from './smtp';

/**
 * What a person meets, reached the way they reach it: the site as a fresh `npm start` shows
 * it (its demo programmes and articles), and each email Masthead sends, triggered through
 * the forms and APIs, received by the SMTP sink. The judges' suites walk these.
 */

/** Loads the demo content `npm start` puts in an empty database; answers the open call's slug and a category. */
export async function loadDemoSite(t: TestApp): Promise<{ open: string; closed: string; category: string }> {
  await loadDemoContent(t.db);
  const programmes = (await t.agent().get('/api/awards').expect(200)).body.items as { slug: string; open: boolean; categories: { slug: string }[] }[];
  const open = programmes.find((p) => p.open)!;
  const closed = programmes.find((p) => !p.open)!;
  return { open: open.slug, closed: closed.slug, category: open.categories[0].slug };
}

export const NEW_READER = { email: 'maya.lindqvist@example.net', name: 'Maya Lindqvist' };
export const READER = { email: 'tomas.okafor@example.net', name: 'Tomás Okafor' };
export const ENTRANT = entryFields({
  organisation: 'Harbourview Community Bank',
  nominee: 'The Savings Coach app team',
  contactName: 'Aisha Rahman',
  jobTitle: 'Head of Communications',
  contactEmail: 'aisha.rahman@example.org',
  website: 'https://harbourview.example.org',
  statement: `Our Savings Coach app helped 41,000 customers build an emergency fund in its first year. ${statementOf(60)}`,
});

export interface ReceivedEmails {
  /** The double opt-in email a new reader gets after the signup form. */
  subscription: ReceivedMail;
  /** The entrant's confirmation, with the private receipt link. */
  entry: ReceivedMail;
  /** The finance digest a confirmed reader gets. */
  digest: ReceivedMail;
}

/**
 * Makes the app send each of its emails once, as people cause them: a reader signs up on
 * the newsletter page, an entrant enters the open call, an admin sends the finance digest
 * to the confirmed readers. Links in them are not followed: the suites do that.
 */
export async function receiveEachEmail(t: TestApp, call: { open: string; category: string }): Promise<ReceivedEmails> {
  const agent = t.agent();
  const signup = await agent.get('/newsletter').expect(200);
  await agent
    .post('/newsletter/subscribe')
    .type('form')
    .send({ _csrf: csrfFrom(signup.text), ...NEW_READER, topics: ['finance', 'banking'], consent: 'on' })
    .expect(303);
  const [subscription] = await t.smtp.waitFor(sentTo(NEW_READER.email));

  await t.agent().post(`/api/awards/${call.open}/entries`).send({ ...ENTRANT, category: call.category, consent: true }).expect(201);
  const [entry] = await t.smtp.waitFor(sentTo(ENTRANT.contactEmail));

  await addConfirmedSubscribers(t, [{ ...READER, topics: ['finance'] }]);
  await t.admin('post', '/api/admin/digests').send({ topic: 'finance' }).expect(202);
  const [digest] = await t.smtp.waitFor(sentTo(READER.email));
  return { subscription, entry, digest };
}

export interface DemoSite {
  t: TestApp;
  demo: Awaited<ReturnType<typeof loadDemoSite>>;
  mail: ReceivedEmails;
}

/** The app on SQLite with the demo content, after it sent each of its emails once: what the judges' suites start from. */
export async function startDemoSite(env: Record<string, string> = {}): Promise<DemoSite> {
  const t = await startTestApp({ name: 'sqlite' }, env);
  const demo = await loadDemoSite(t);
  return { t, demo, mail: await receiveEachEmail(t, demo) };
}

/** The local path of the email's link whose address contains `part`. */
export function linkIn(message: ReceivedMail, part: string): string {
  const link = linksIn(message).find((l) => l.includes(part));
  if (!link) throw new Error(`no link containing ${part} in "${message.subject}"`);
  return localPath(link);
}
