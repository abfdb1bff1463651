import type { TestApp } from './app';

/** Builders for send tests, through the admin API as an operator would use it. */

let articleCounter = 0;

export async function addArticles(t: TestApp, topic: string, count: number, prefix = 'Story') {
  for (let i = 0; i < count; i++) {
    articleCounter++;
    const response = await t.admin('post', '/api/admin/articles').send({
      title: `${prefix} ${articleCounter}: markets in ${topic}`,
      url: `https://news.example/${topic}/${articleCounter}`,
      summary: `A summary of story ${articleCounter} about ${topic}, long enough to read like one.`,
      topic,
      publishedAt: new Date(Date.now() - (i + 1) * 60_000).toISOString(),
    });
    if (response.status >= 300) throw new Error(`article not added: ${response.status} ${JSON.stringify(response.body)}`);
  }
}

export async function addConfirmedSubscribers(t: TestApp, people: { email: string; name?: string; topics: string[] }[]) {
  const response = await t.admin('post', '/api/admin/subscribers/import?status=confirmed&consentNote=test%20fixture').send({ subscribers: people });
  if (response.status !== 200 || response.body.added + response.body.updated !== people.length) {
    throw new Error(`subscribers not added: ${response.status} ${JSON.stringify(response.body).slice(0, 300)}`);
  }
}

/** Polls GET /api/admin/digests/:id until the digest reaches one of `statuses`. */
export async function waitForDigest(t: TestApp, id: string, statuses: string[], timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await t.admin('get', `/api/admin/digests/${id}`);
    if (r.status !== 200) throw new Error(`digest ${id}: ${r.status}`);
    if (statuses.includes(r.body.status)) return r.body;
    if (Date.now() > deadline) throw new Error(`digest ${id} still ${r.body.status} ${JSON.stringify(r.body.counts)} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** How many messages the test's SMTP server got for each of `emails`. */
export function messagesPerRecipient(t: TestApp, emails: string[]) {
  const counts = new Map(emails.map((e) => [e, 0]));
  for (const message of t.smtp.messages) {
    for (const address of [message.to].flat().flatMap((a) => a?.value ?? [])) {
      const email = address.address?.toLowerCase() ?? '';
      if (counts.has(email)) counts.set(email, counts.get(email)! + 1);
    }
  }
  return counts;
}
