import { clickUrls } from '../src/clicks/links';
import { renderDigest, slotValues, type DigestContent } from '../src/digests/render';
import { compileDigestMessage } from '../src/delivery/mime';

/**
 * What click tracking costs the sender per message: the same 10-article digest compiled
 * once, then each recipient's MIME built (as delivery/plans.ts does) without tracking and
 * with ten signed redirect links spliced in. Needs no database.
 */
export async function benchClickLinks(recipients = 100_000) {
  const now = new Date();
  const content: DigestContent = {
    org: { name: 'The Finance Ledger', postalAddress: '12 Example Street, London EC2A 1AA, United Kingdom' },
    topic: { slug: 'finance', name: 'Finance' },
    articles: Array.from({ length: 10 }, (_, i) => ({
      title: `Story ${i + 1}: lenders, rates and the week ahead`,
      url: `https://news.example.com/finance/story-${i + 1}`,
      summary: 'A summary of the story in two or three sentences, as an editor would write it. '.repeat(2),
      publishedAt: new Date(now.getTime() - i * 3_600_000),
      readingMinutes: 4,
      author: null,
      imageUrl: null,
    })),
    programmes: [],
    viewUrl: 'https://news.example.com/digests/AAAAAAAAAAAAAAAA',
    date: now,
  };
  const config = { baseUrl: 'https://news.example.com', secret: 'bench-secret-0123456789abcdef' };
  const recipient = { name: 'A Reader', unsubscribeUrl: `${config.baseUrl}/newsletter/unsubscribe?token=x`, preferencesUrl: `${config.baseUrl}/newsletter/preferences?token=x` };
  const scratch = Buffer.allocUnsafe(256 * 1024);

  async function perMessage(track: boolean): Promise<number> {
    const rendered = await renderDigest(content, { trackLinks: track });
    const template = compileDigestMessage({ from: 'Masthead <newsletter@example.com>', subject: rendered.subject, listId: 'l', parts: rendered.parts });
    const started = performance.now();
    let bytes = 0;
    for (let i = 0; i < recipients; i++) {
      const links = track ? clickUrls(config, 'AAAAAAAAAAAAAAAA', i, rendered.links!.length) : [];
      bytes += template.build({ to: `r${i}@example.com`, unsubscribeUrl: recipient.unsubscribeUrl, messageId: `m${i}@example.com`, slots: slotValues(recipient, links) }, scratch).length;
    }
    if (!bytes) throw new Error('nothing built');
    return ((performance.now() - started) * 1000) / recipients;
  }

  await perMessage(false); // warm up
  const plain = await perMessage(false);
  const tracked = await perMessage(true);
  console.log(`click links: building a 10-article digest message ${plain.toFixed(1)} µs untracked, ${tracked.toFixed(1)} µs with 10 signed redirects (${recipients} recipients each)`);
}
