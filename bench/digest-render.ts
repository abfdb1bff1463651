import { renderDigest, type DigestContent } from '../src/digests/render';
import { linkFor } from '../src/subscribers/service';

/**
 * The digest's two costs: compiling the MJML (once per digest) and personalising the
 * compiled message (once per recipient). Prints the median of several compilations and the
 * time per recipient over N recipients (default 100,000), with and without signing their
 * links. Needs no database: the inputs are made here.
 */
export async function benchDigestRender(recipients = 100_000) {
  const now = new Date();
  const content: DigestContent = {
    org: { name: 'The Finance Ledger', postalAddress: '12 Example Street, London EC2A 1AA, United Kingdom' },
    topic: { slug: 'finance', name: 'Finance' },
    articles: Array.from({ length: 10 }, (_, i) => ({
      title: `Story ${i + 1}: lenders, rates and the week ahead in the markets`,
      url: `https://news.example.com/finance/story-${i + 1}`,
      summary: 'A summary of the story in two or three sentences, as an editor would write it for the newsletter. '.repeat(2),
      publishedAt: new Date(now.getTime() - i * 3_600_000),
      readingMinutes: 4,
      author: 'A. Writer',
      imageUrl: i < 4 ? `https://img.example.com/${i}.jpg` : null,
    })),
    programmes: [{ name: 'Global Banking & Finance Awards 2027', url: 'https://news.example.com/awards/gbfa-2027', closesAt: new Date(now.getTime() + 30 * 86_400_000), timeZone: 'Europe/London' }],
    viewUrl: 'https://news.example.com/digests/AAAAAAAAAAAAAAAA',
    date: now,
  };

  await renderDigest(content); // warm up: templates read and compiled, MJML loaded
  const runs: number[] = [];
  let rendered = await renderDigest(content);
  for (let i = 0; i < 15; i++) {
    const started = performance.now();
    rendered = await renderDigest(content);
    runs.push(performance.now() - started);
  }
  runs.sort((a, b) => a - b);
  const median = runs[Math.floor(runs.length / 2)];

  const config = { baseUrl: 'https://news.example.com', secret: 'bench-secret-0123456789abcdef' };
  const links = Array.from({ length: 1000 }, (_, i) => ({
    name: `Reader ${i}`,
    unsubscribeUrl: linkFor({ config }, { id: i, token_nonce: `nonce${i}` }, 'unsubscribe'),
    preferencesUrl: linkFor({ config }, { id: i, token_nonce: `nonce${i}` }, 'preferences'),
  }));
  // Byte lengths make V8 flatten the joined strings, as writing the message out would.
  const size = (m: { html: string; text: string }) => Buffer.byteLength(m.html) + Buffer.byteLength(m.text);
  let bytes = 0;
  let started = performance.now();
  for (let i = 0; i < recipients; i++) bytes += size(rendered.personalise(links[i % links.length]));
  const fillMs = performance.now() - started;

  started = performance.now();
  for (let i = 0; i < recipients; i++) {
    const subscriber = { id: i, token_nonce: `nonce${i}` };
    const recipient = { name: `Reader ${i}`, unsubscribeUrl: linkFor({ config }, subscriber, 'unsubscribe'), preferencesUrl: linkFor({ config }, subscriber, 'preferences') };
    bytes += size(rendered.personalise(recipient));
  }
  const withLinksMs = performance.now() - started;

  console.log(
    `digest render: MJML compile of a 10-article digest (${Math.round(rendered.html.length / 1024)} KB HTML) median ${median.toFixed(1)} ms over ${runs.length} runs (once per digest)`,
  );
  console.log(
    `digest personalise: ${recipients} recipients in ${(fillMs / 1000).toFixed(2)} s = ${((fillMs * 1000) / recipients).toFixed(1)} µs each; ` +
      `with signing both links ${((withLinksMs * 1000) / recipients).toFixed(1)} µs each (${(bytes / 2 ** 30).toFixed(1)} GiB of message text made)`,
  );
}
