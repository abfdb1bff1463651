import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { dkimVerify } from 'mailauth';
import { startDemoSite, type DemoSite } from './helpers/journeys';
import type { ReceivedMail } from './helpers/smtp';
import { spamSkip, spamVerdict } from './helpers/spamassassin';

/**
 * Each email Masthead sends, as the SMTP sink received it, judged as mailbox providers judge
 * it: its DKIM signature verified by mailauth against the test key's DNS record, and its
 * content scored by SpamAssassin offline. The app runs as in production: DKIM configured,
 * a real sender domain. Output, not storage, is judged: SQLite only.
 */
const DOMAIN = 'news.example.com';
const SELECTOR = 'masthead2026';

let app: DemoSite;
let keyFolder: string;
let publicKey: string;
before(async () => {
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  keyFolder = mkdtempSync(path.join(tmpdir(), 'masthead-dkim-'));
  const keyFile = path.join(keyFolder, 'dkim.pem');
  writeFileSync(keyFile, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  publicKey = pair.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  app = await startDemoSite({ MAIL_FROM: `The Finance Ledger <newsletter@${DOMAIN}>`, DKIM_DOMAIN: DOMAIN, DKIM_SELECTOR: SELECTOR, DKIM_PRIVATE_KEY_FILE: keyFile });
});
after(async () => {
  await app?.t.close();
  if (keyFolder) rmSync(keyFolder, { recursive: true, force: true });
});

const EMAILS = ['subscription', 'entry', 'digest'] as const;
const NAMES: Record<(typeof EMAILS)[number], string> = {
  subscription: 'the subscription confirmation',
  entry: 'the entry confirmation',
  digest: 'the digest (a prebuilt raw message)',
};

describe('the messages mailbox filters read', () => {
  for (const which of EMAILS) {
    it(`${NAMES[which]} has a text part, an HTML part and the usual headers`, () => {
      const message = app.mail[which];
      assert.ok(message.text && message.text.trim().length > 100, 'a real plain-text part');
      assert.ok(message.html && message.html.length > 1000, 'an HTML part');
      for (const name of ['from', 'to', 'subject', 'date', 'message-id', 'mime-version']) assert.ok(message.headers.has(name), `has ${name}`);
      assert.match(String(message.messageId), new RegExp(`@${DOMAIN.replace(/\./g, '\\.')}>$`), 'the Message-ID names the sending domain');
    });
  }
});

describe('DKIM, verified by mailauth', () => {
  /** DNS as the world would answer it: the test key's TXT record, and nothing else. */
  const resolver = async (name: string, type: string) => {
    if (type === 'TXT' && name === `${SELECTOR}._domainkey.${DOMAIN}`) return [[`v=DKIM1; k=rsa; p=${publicKey}`]];
    throw Object.assign(new Error(`queryTxt ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
  };
  const signedHeaders = (message: ReceivedMail) =>
    (/^DKIM-Signature:[\s\S]*?\bh=([^;]+);/im.exec(message.raw.toString('latin1'))?.[1] ?? '').replace(/\s+/g, '').toLowerCase().split(':');

  for (const which of EMAILS) {
    it(`${NAMES[which]} carries one signature of ${DOMAIN}, and it passes`, async () => {
      const result = await dkimVerify(app.mail[which].raw, { resolver });
      assert.equal(result.results.length, 1, 'one DKIM signature');
      const [signature] = result.results;
      assert.equal(signature.status.result, 'pass', signature.info);
      assert.equal(signature.signingDomain, DOMAIN);
      assert.equal(signature.selector, SELECTOR);
      assert.deepEqual(result.headerFrom, [`newsletter@${DOMAIN}`]);
      assert.equal(signature.status.aligned, DOMAIN, 'aligned with the From domain, as DMARC asks');
      for (const header of ['from', 'to', 'subject', 'date', 'message-id']) assert.ok(signedHeaders(app.mail[which]).includes(header), `${header} is signed`);
    });
  }

  it('signs the digest’s one-click unsubscribe headers, as bulk-sender rules ask', () => {
    const signed = signedHeaders(app.mail.digest);
    assert.ok(signed.includes('list-unsubscribe') && signed.includes('list-unsubscribe-post'), `h=${signed.join(':')}`);
  });

  it('fails a digest whose body was changed on the way (the check is not a formality)', async () => {
    const tampered = Buffer.from(app.mail.digest.raw);
    const body = tampered.indexOf('\r\n\r\n') + 4;
    const digit = tampered.indexOf('2', body); // in the date line: "Finance digest, 30 November 2026"
    tampered[digit] = '3'.charCodeAt(0);
    const [signature] = (await dkimVerify(tampered, { resolver })).results;
    assert.notEqual(signature.status.result, 'pass');
  });
});

describe('SpamAssassin, offline (spamassassin -L -t)', { skip: spamSkip }, () => {
  for (const which of EMAILS) {
    it(`scores ${NAMES[which]} 0.0 or lower`, async () => {
      const verdict = await spamVerdict(app.mail[which].raw);
      assert.ok(verdict.score <= 0, `scored ${verdict.score}:\n${verdict.rules.join('\n')}`);
      const penalties = verdict.rules.filter((rule) => Number(rule.split(' ')[0]) > 0);
      assert.deepEqual(penalties, [], 'no rule that fired costs points');
    });
  }
});
