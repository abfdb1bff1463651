import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { ConfigError, loadConfig } from '../src/config';
import { startTestApp, type TestApp } from './helpers/app';
import { describeEachEngine } from './helpers/engines';
import { createProgramme } from './helpers/factories';
import { htmlFindings } from './helpers/html-validate';
import { createStaff, signIn, submitForm } from './helpers/staff';

/**
 * The call for entries' own sections (key dates, eligibility, judging criteria, FAQs) through
 * the admin API and the console, shown on GET /awards/:programme and in GET /api/awards; the
 * terms, privacy and contact pages, linked from every consent box and footer; the logo slot.
 */

const DAY = 86_400_000;
const inDays = (days: number) => new Date(Date.now() + days * DAY).toISOString();
const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/&#39;/g, "'").replace(/&amp;/g, '&').replace(/\s+/g, ' ');

const PAGE_FIELDS = {
  shortlistAt: inDays(45),
  ceremonyAt: inDays(80),
  eligibility: 'Banks and insurers may enter.\n\nWork from the last <b>twelve</b> months counts.',
  judgingCriteria: 'Impact, evidence and originality,\nequally weighted.',
  faqs: [
    { question: 'Is entering free?', answer: 'Yes, in every category.' },
    { question: 'Can we enter twice?', answer: 'Once per category.' },
  ],
};

describeEachEngine('the programme’s pages: key dates, eligibility, judging criteria, FAQs', (engine) => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(engine);
  });
  after(async () => {
    await t.close();
  });

  it('saves the fields from POST /api/admin/awards and shows them on the call for entries and in GET /api/awards', async () => {
    const created = (await createProgramme(t, PAGE_FIELDS)) as unknown as Record<string, unknown> & { slug: string };
    assert.equal(created.shortlistAt, PAGE_FIELDS.shortlistAt);
    assert.equal(created.ceremonyAt, PAGE_FIELDS.ceremonyAt);
    assert.equal(created.eligibility, PAGE_FIELDS.eligibility);
    assert.deepEqual(created.faqs, PAGE_FIELDS.faqs);

    const api = await request(t.app).get('/api/awards').expect(200);
    const item = api.body.items.find((p: { slug: string }) => p.slug === created.slug);
    assert.equal(item.judgingCriteria, PAGE_FIELDS.judgingCriteria);
    assert.equal(item.ceremonyAt, PAGE_FIELDS.ceremonyAt);
    assert.deepEqual(item.faqs, PAGE_FIELDS.faqs);

    const page = await request(t.app).get(`/awards/${created.slug}`).expect(200);
    const words = text(page.text);
    for (const heading of ['Key dates', 'Who can enter', 'How entries are judged', 'Questions entrants ask']) assert.match(words, new RegExp(heading));
    for (const label of ['Entries open', 'Entry deadline', 'Shortlist announced', 'Awards ceremony']) assert.match(words, new RegExp(label));
    assert.match(page.text, new RegExp(`<time datetime="${PAGE_FIELDS.ceremonyAt}">`));
    // Plain text: paragraphs and line breaks, every tag escaped.
    assert.match(page.text, /<p>Banks and insurers may enter.<\/p>\s*<p>Work from the last &lt;b&gt;twelve&lt;\/b&gt; months counts.<\/p>/);
    assert.match(page.text, /Impact, evidence and originality,<br>\s*equally weighted./);
    assert.match(page.text, /<h3>Is entering free\?<\/h3>\s*<div class="prose"><p>Yes, in every category.<\/p>/);
    assert.deepEqual(await htmlFindings(page.text), []);
  });

  it('leaves the sections out until they are set, then changes and clears them with PATCH', async () => {
    const plain = await createProgramme(t);
    const before = text((await request(t.app).get(`/awards/${plain.slug}`).expect(200)).text);
    assert.doesNotMatch(before, /Who can enter|How entries are judged|Questions entrants ask|Shortlist announced/);
    assert.match(before, /Entry deadline/);

    const patched = await t.admin('patch', `/api/admin/awards/${plain.slug}`).send({ eligibility: 'Anyone.', shortlistAt: inDays(40), faqs: [{ question: 'When?', answer: 'Soon.' }] }).expect(200);
    assert.equal(patched.body.eligibility, 'Anyone.');
    assert.equal(patched.body.judgingCriteria, null);
    const shown = text((await request(t.app).get(`/awards/${plain.slug}`).expect(200)).text);
    assert.match(shown, /Who can enter Anyone\./);
    assert.match(shown, /Shortlist announced/);

    // A patch that names none of them keeps them; null and an empty list clear them.
    await t.admin('patch', `/api/admin/awards/${plain.slug}`).send({ name: 'Renamed Awards' }).expect(200);
    const kept = await t.admin('patch', `/api/admin/awards/${plain.slug}`).send({ description: 'Still here.' }).expect(200);
    assert.equal(kept.body.eligibility, 'Anyone.');
    assert.equal(kept.body.faqs.length, 1);
    const cleared = await t.admin('patch', `/api/admin/awards/${plain.slug}`).send({ eligibility: null, shortlistAt: null, faqs: [] }).expect(200);
    assert.equal(cleared.body.eligibility, null);
    assert.equal(cleared.body.shortlistAt, null);
    assert.deepEqual(cleared.body.faqs, []);
    assert.doesNotMatch(text((await request(t.app).get(`/awards/${plain.slug}`).expect(200)).text), /Who can enter|Shortlist announced|Questions entrants ask/);
  });

  it('refuses bad fields with a message for each, and writes nothing', async () => {
    const p = await createProgramme(t, { eligibility: 'Original.' });
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ shortlistAt: inDays(5) }, 'shortlistAt', /after entries close/],
      [{ ceremonyAt: inDays(60), shortlistAt: inDays(70) }, 'ceremonyAt', /after the shortlist/],
      [{ ceremonyAt: 'next spring' }, 'ceremonyAt', /date and time/],
      [{ eligibility: 'x'.repeat(6001) }, 'eligibility', /at most 6000 characters/],
      [{ judgingCriteria: 'bad\u0007bell' }, 'judgingCriteria', /not allowed/],
      [{ faqs: [{ question: 'Only a question' }] }, 'faqs', /answer/i],
      [{ faqs: [{ question: 'Two\nlines', answer: 'A.' }] }, 'faqs', /one line/],
      [{ faqs: Array.from({ length: 31 }, (_, i) => ({ question: `Q${i}`, answer: 'A.' })) }, 'faqs', /At most 30/],
      [{ faqs: 'not a list' }, 'faqs', /list of \{question, answer\}/],
    ];
    for (const [body, field, message] of cases) {
      const response = await t.admin('patch', `/api/admin/awards/${p.slug}`).send(body).expect(422);
      assert.equal(response.body.error.code, 'validation_failed');
      assert.match(response.body.error.fields[field] ?? '', message, `${JSON.stringify(body).slice(0, 60)} → ${JSON.stringify(response.body.error.fields)}`);
    }
    // Extending the deadline past a saved shortlist date is refused beside that date.
    await t.admin('patch', `/api/admin/awards/${p.slug}`).send({ shortlistAt: inDays(40) }).expect(200);
    const late = await t.admin('patch', `/api/admin/awards/${p.slug}`).send({ closesAt: inDays(50) }).expect(422);
    assert.match(late.body.error.fields.shortlistAt, /after entries close/);

    const creating = await t.admin('post', '/api/admin/awards').send({ slug: 'bad-dates-awards', code: 'BDA26', name: 'Bad', description: 'D.', opensAt: inDays(-1), closesAt: inDays(30), timeZone: 'UTC', ceremonyAt: inDays(2), categories: [{ slug: 'a', name: 'A', description: 'A.' }] }).expect(422);
    assert.match(creating.body.error.fields.ceremonyAt, /after entries close/);
    assert.equal((await request(t.app).get('/awards/bad-dates-awards')).status, 404, 'nothing half-written');
    const unchanged = (await request(t.app).get('/api/awards').expect(200)).body.items.find((i: { slug: string }) => i.slug === p.slug);
    assert.equal(unchanged.eligibility, 'Original.');
  });

  it('edits them in the console programme form, with errors beside their fields', async () => {
    const p = await createProgramme(t, { timeZone: 'UTC', closesAt: '2099-03-31T23:59:00Z' });
    await createStaff(t, 'pages-editor@example.com', 'editor');
    const editor = await signIn(t, 'pages-editor@example.com');
    const formPath = `/admin/programmes/${p.slug}`;
    const form = await editor.get(formPath).expect(200);
    assert.match(form.text, /name="faq-0-question"/);
    assert.match(form.text, /name="eligibility"/);
    const base = {
      name: 'Console Pages Awards', description: 'Awards.', timeZone: 'UTC', opensAt: '2026-01-01T09:00', closesAt: '2099-03-31T23:59',
      statementMinWords: '50', statementMaxWords: '800', 'category-0-existing': '1', 'category-0-slug': 'best-bank', 'category-0-name': 'Best Bank', 'category-0-description': 'The best bank.',
      'category-1-existing': '1', 'category-1-slug': 'best-fintech', 'category-1-name': 'Best Fintech', 'category-1-description': 'The best fintech.',
    };
    const bad = await submitForm(editor, formPath, formPath, { ...base, shortlistAt: '2099-05-01T10:00', ceremonyAt: '2099-04-15T19:00', 'faq-0-question': 'No answer here', 'faq-0-answer': '' });
    assert.equal(bad.status, 422);
    assert.match(bad.text, /id="error-faq-0-answer">Write the answer\./);
    assert.match(bad.text, /href="#field-faq-0-answer">Question 1, answer: Write the answer\./, 'the error summary names the row');
    assert.match(bad.text, /value="No answer here"/, 'typed values are kept');

    const dated = await submitForm(editor, formPath, formPath, { ...base, shortlistAt: '2099-05-01T10:00', ceremonyAt: '2099-04-15T19:00' });
    assert.equal(dated.status, 422);
    assert.match(dated.text, /id="error-ceremonyAt">The ceremony comes after the shortlist is announced\./);

    const saved = await submitForm(editor, formPath, formPath, {
      ...base, shortlistAt: '2099-05-01T10:00', ceremonyAt: '2099-06-15T19:00', eligibility: 'Any regulated firm.', judgingCriteria: 'Evidence first.',
      'faq-0-question': 'Is it free?', 'faq-0-answer': 'Yes.', 'faq-1-question': '', 'faq-1-answer': '', 'faq-2-question': 'Deadline?', 'faq-2-answer': 'See the key dates.',
    });
    assert.equal(saved.status, 303);
    const api = (await request(t.app).get('/api/awards').expect(200)).body.items.find((i: { slug: string }) => i.slug === p.slug);
    assert.equal(api.ceremonyAt, '2099-06-15T19:00:00.000Z');
    assert.equal(api.eligibility, 'Any regulated firm.');
    assert.deepEqual(api.faqs, [{ question: 'Is it free?', answer: 'Yes.' }, { question: 'Deadline?', answer: 'See the key dates.' }]);
    const again = await editor.get(formPath).expect(200);
    assert.match(again.text, /name="ceremonyAt" type="datetime-local" value="2099-06-15T19:00"/);
    assert.match(again.text, /name="faq-1-question" type="text" value="Deadline\?"/);
    assert.deepEqual(await htmlFindings(again.text), []);
  });
});

describe('terms, privacy and contact pages, linked from every consent box and footer', () => {
  let t: TestApp;
  let slug: string;
  before(async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'masthead-pages-'));
    writeFileSync(path.join(dir, 'terms.txt'), 'Our own terms.\n\nA second <em>paragraph</em>.');
    t = await startTestApp({ name: 'sqlite' }, { ORG_NAME: 'Harbour Finance Review', CONTACT_EMAIL: 'awards@harbour.example', TERMS_FILE: path.join(dir, 'terms.txt') });
    slug = (await createProgramme(t)).slug;
  });
  after(async () => {
    await t.close();
  });

  it('serves the configured terms, the default privacy notice naming the organisation, and the contact address', async () => {
    const terms = await request(t.app).get('/terms').expect(200);
    assert.match(terms.text, /<p>Our own terms.<\/p>\s*<p>A second &lt;em&gt;paragraph&lt;\/em&gt;.<\/p>/);
    const privacy = await request(t.app).get('/privacy').expect(200);
    assert.match(privacy.text, /Harbour Finance Review \(12 Example Street/);
    assert.match(privacy.text, /awards@harbour.example/);
    const contact = await request(t.app).get('/contact').expect(200);
    assert.match(contact.text, /href="mailto:awards@harbour.example"/);
    for (const page of [terms, privacy, contact]) assert.deepEqual(await htmlFindings(page.text), []);
  });

  it('links the consent boxes of the entry form and the newsletter form, and every footer, to them', async () => {
    // In the consent field, just before the box (after it, they would stand between the box and the button in Tab order).
    const consentBox = /<p class="consent-links">((?:(?!<\/p>)[\s\S])*)<\/p>\s*<div class="checkbox">\s*<input type="checkbox" id="field-consent"/;
    for (const pagePath of [`/awards/${slug}/enter`, '/newsletter', '/']) {
      const html = (await request(t.app).get(pagePath).expect(200)).text;
      const links = consentBox.exec(html)?.[1] ?? '';
      assert.match(links, /href="\/terms"/, `${pagePath}: the consent box links the terms`);
      assert.match(links, /href="\/privacy"/, `${pagePath}: the consent box links the privacy notice`);
    }
    for (const pagePath of ['/', '/awards', `/awards/${slug}`, `/awards/${slug}/enter`, '/newsletter', '/terms', '/nowhere', '/admin/login']) {
      const html = (await request(t.app).get(pagePath)).text;
      const footer = /<footer class="site-footer">([\s\S]*?)<\/footer>/.exec(html)?.[1] ?? '';
      for (const href of ['/terms', '/privacy', '/contact']) assert.match(footer, new RegExp(`href="${href}"`), `${pagePath}: the footer links ${href}`);
    }
  });

  it('shows the wordmark without BRAND_LOGO_URL', async () => {
    const home = await request(t.app).get('/').expect(200);
    assert.match(home.text, /<a class="brand" href="\/"><span class="wordmark">Harbour Finance Review<\/span><\/a>/);
    assert.doesNotMatch(home.text, /brand-logo/);
  });
});

describe('BRAND_LOGO_URL and the page files in the configuration', () => {
  const dir = () => mkdtempSync(path.join(os.tmpdir(), 'masthead-brand-'));

  it('accepts an https or http URL or a site path, and refuses anything else naming the variable', () => {
    for (const good of ['https://cdn.example.com/logo.svg', 'http://cdn.example.com/logo.png', '/static/favicon.svg']) {
      assert.equal(loadConfig({ DATA_DIR: dir(), BRAND_LOGO_URL: good }).site.brandLogoUrl, good);
    }
    for (const bad of ['javascript:alert(1)', '//evil.example/logo.png', 'logo.png', 'data:image/png;base64,AAAA', '/logo" onerror="x', 'ftp://example.com/a.png']) {
      assert.throws(() => loadConfig({ DATA_DIR: dir(), BRAND_LOGO_URL: bad }), (err: Error) => err instanceof ConfigError && /BRAND_LOGO_URL/.test(err.message), bad);
    }
  });

  it('stops on an unreadable or empty TERMS_FILE / PRIVACY_FILE and a bad CONTACT_EMAIL', () => {
    const d = dir();
    writeFileSync(path.join(d, 'empty.txt'), '  \n');
    assert.throws(() => loadConfig({ DATA_DIR: d, TERMS_FILE: path.join(d, 'missing.txt') }), /TERMS_FILE cannot be read/);
    assert.throws(() => loadConfig({ DATA_DIR: d, PRIVACY_FILE: path.join(d, 'empty.txt') }), /PRIVACY_FILE is empty/);
    assert.throws(() => loadConfig({ DATA_DIR: d, CONTACT_EMAIL: 'not an address' }), /CONTACT_EMAIL/);
    assert.equal(loadConfig({ DATA_DIR: d }).site.termsText, null);
  });

  it('shows the logo in the masthead with the organisation’s name as its alt text', async () => {
    const t = await startTestApp({ name: 'sqlite' }, { ORG_NAME: 'Harbour Finance Review', BRAND_LOGO_URL: 'https://cdn.example.com/logo.svg' });
    try {
      const home = await request(t.app).get('/').expect(200);
      assert.match(home.text, /<a class="brand" href="\/"><img class="brand-logo" src="https:\/\/cdn.example.com\/logo.svg" alt="Harbour Finance Review" height="44"><\/a>/);
      assert.doesNotMatch(home.text, /class="wordmark"/);
    } finally {
      await t.close();
    }
  });
});
