import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Express } from 'express';
import request from 'supertest';
import { createApp } from '../src/app';
import { complaintWarning } from '../src/bounces/rules';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { startTestApp, type TestApp } from './helpers/app';
import { genericSignature, isSuppressed, makeSigningCertificate, sendDigestTo, signedSnsMessage, subscriberOf } from './helpers/bounces';
import { describeEachEngine } from './helpers/engines';
import { createStaff, signIn } from './helpers/staff';

const WEBHOOK_SECRET = 'generic-webhook-secret-0123456789';
const POSTMARK_AUTH = 'postmark:postmark-password-0123456789';
const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:masthead-bounces';
const CERT_URL = 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-test.pem';

let eventSeq = 0;
const nextId = () => `evt-${++eventSeq}`;

describe('bounce rules', () => {
  it('warns only above 0.3% complaints of messages sent', () => {
    assert.equal(complaintWarning(0, 0), null);
    assert.equal(complaintWarning(1, 334), null, '0.299% is under the limit');
    assert.equal(complaintWarning(3, 1000), null, 'exactly 0.3% is not above it');
    assert.match(complaintWarning(1, 333) ?? '', /0\.30% of messages sent \(1 of 333\)/);
  });
});

describe('bounce configuration', () => {
  const base = { NODE_ENV: 'test', ADMIN_TOKEN: 'a'.repeat(20), SECRET: 'b'.repeat(20), DATA_DIR: '/tmp/masthead-config-unused' };
  it('reads the credentials, and stops at a half-set or malformed one', () => {
    const config = loadConfig({ ...base, POSTMARK_WEBHOOK_AUTH: POSTMARK_AUTH, SES_SNS_TOPIC_ARNS: `${TOPIC_ARN}, arn:aws:sns:us-east-1:123456789012:other`, BOUNCE_IMAP_URL: 'imaps://u:p@imap.example:993/INBOX' });
    assert.deepEqual(config.bounces.postmark, { user: 'postmark', password: 'postmark-password-0123456789' });
    assert.deepEqual(config.bounces.sesTopicArns, [TOPIC_ARN, 'arn:aws:sns:us-east-1:123456789012:other']);
    assert.equal(config.bounces.webhookSecret, null);
    assert.equal(config.bounces.imapPollMinutes, 5);
    assert.throws(() => loadConfig({ ...base, POSTMARK_WEBHOOK_USER: 'postmark' }), /POSTMARK_WEBHOOK_USER and POSTMARK_WEBHOOK_PASSWORD/);
    assert.throws(() => loadConfig({ ...base, SES_SNS_TOPIC_ARNS: 'my-topic' }), /SES_SNS_TOPIC_ARNS/);
    assert.throws(() => loadConfig({ ...base, BOUNCE_IMAP_URL: 'pop3://u:p@host/' }), /BOUNCE_IMAP_URL/);
    assert.throws(() => loadConfig({ ...base, WEBHOOK_SECRET: 'short' }), /WEBHOOK_SECRET/);
  });
});

describeEachEngine('bounce and complaint webhooks', (engine) => {
  let t: TestApp;
  let sesApp: Express;
  const signing = makeSigningCertificate();
  const fetched: string[] = [];

  before(async () => {
    t = await startTestApp(engine, { WEBHOOK_SECRET, POSTMARK_WEBHOOK_AUTH: POSTMARK_AUTH, SES_SNS_TOPIC_ARNS: TOPIC_ARN });
    // The same app with a certificate fetcher that stands in for AWS (the test cannot reach it).
    sesApp = createApp({
      config: t.config,
      db: t.db,
      logger: createLogger('silent'),
      mailQueued: () => t.workers.mailJobs.kick(),
      deliveryQueued: () => t.workers.delivery.kick(),
      snsFetch: async (url) => {
        fetched.push(url);
        if (url === CERT_URL) return signing.certificate;
        if (url.startsWith('https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription')) return '<ConfirmSubscriptionResponse/>';
        throw new Error(`unexpected fetch ${url}`);
      },
    });
  });
  after(async () => {
    await t?.close();
  });

  const events = () => t.db('delivery_events').count({ n: '*' }).first().then((r) => Number(r!.n));
  const postGeneric = (payload: object, secret = WEBHOOK_SECRET) => {
    const body = JSON.stringify(payload);
    return request(t.app).post('/webhooks/bounces/generic').set('Content-Type', 'application/json').set('X-Masthead-Signature', `sha256=${genericSignature(secret, body)}`).send(body);
  };
  const genericEvent = (email: string, messageId: string, fields: Record<string, unknown> = {}) => ({
    id: nextId(),
    type: 'bounce',
    bounceType: 'hard',
    email,
    messageId,
    at: new Date().toISOString(),
    ...fields,
  });

  it('generic: a signed hard bounce marks the reader bounced and suppressed; a forged one changes nothing; a replay counts once', async () => {
    const { digestId, messageIds } = await sendDigestTo(t, 'banking', ['hard@example.com', 'stays@example.com']);
    const payload = { events: [genericEvent('hard@example.com', messageIds.get('hard@example.com')!)] };

    const before = await events();
    const forged = await postGeneric(payload, 'not-the-secret-0123456789');
    assert.equal(forged.status, 403);
    assert.equal(forged.body.error.code, 'forbidden');
    const unsigned = await request(t.app).post('/webhooks/bounces/generic').set('Content-Type', 'application/json').send(JSON.stringify(payload));
    assert.equal(unsigned.status, 403);
    assert.equal(await events(), before, 'nothing stored for a forged request');
    assert.equal((await subscriberOf(t, 'hard@example.com')).status, 'confirmed');

    const good = await postGeneric(payload).expect(200);
    assert.deepEqual(good.body, { received: 1, recorded: 1, duplicates: 0, unmatched: 0 });
    const replay = await postGeneric(payload).expect(200);
    assert.deepEqual(replay.body, { received: 1, recorded: 0, duplicates: 1, unmatched: 0 });
    assert.equal(await events(), before + 1);
    const stored = await t.db('delivery_events').where({ provider: 'generic', provider_event_id: payload.events[0].id }).first();
    assert.equal(stored.digest_id, digestId);
    assert.equal(stored.kind, 'hard_bounce');

    assert.equal((await subscriberOf(t, 'hard@example.com')).status, 'bounced');
    assert.ok(await isSuppressed(t, 'hard@example.com'));
    assert.equal((await subscriberOf(t, 'stays@example.com')).status, 'confirmed');

    const progress = await t.admin('get', `/api/admin/digests/${digestId}`).expect(200);
    assert.equal(progress.body.counts.bounced, 1, 'the replay is not counted twice');
    assert.equal(progress.body.counts.complaints, 0);

    // A later digest skips them, and an import does not bring them back.
    const later = await sendDigestTo(t, 'banking', ['stays@example.com']);
    assert.equal((await t.db('deliveries').where({ digest_id: later.digestId })).length, 1);
    assert.equal(t.smtp.to('hard@example.com').filter((m) => m.messageId?.startsWith(`<${later.digestId}.`)).length, 0);
    const imported = await t.admin('post', '/api/admin/subscribers/import?status=confirmed&consentNote=again').send({ subscribers: [{ email: 'hard@example.com', topics: ['banking'] }] }).expect(200);
    assert.equal(imported.body.added + imported.body.updated, 0);
    assert.equal((await subscriberOf(t, 'hard@example.com')).status, 'bounced');
  });

  it('generic: three soft bounces within 30 days bounce the reader, two do not', async () => {
    const { messageIds } = await sendDigestTo(t, 'fintech', ['soft2@example.com', 'soft3@example.com', 'spread@example.com']);
    const soft = (email: string, daysAgo: number) => genericEvent(email, messageIds.get(email)!, { bounceType: 'soft', at: new Date(Date.now() - daysAgo * 86_400_000).toISOString() });
    await postGeneric({ events: [soft('soft2@example.com', 2), soft('soft2@example.com', 1)] }).expect(200);
    assert.equal((await subscriberOf(t, 'soft2@example.com')).status, 'confirmed');
    assert.equal(await isSuppressed(t, 'soft2@example.com'), false);

    // Three, but the first 40 days ago: only two fall within the window.
    await postGeneric({ events: [soft('spread@example.com', 40), soft('spread@example.com', 2), soft('spread@example.com', 1)] }).expect(200);
    assert.equal((await subscriberOf(t, 'spread@example.com')).status, 'confirmed');

    const third = soft('soft3@example.com', 1);
    await postGeneric({ events: [soft('soft3@example.com', 20), soft('soft3@example.com', 10)] }).expect(200);
    await postGeneric({ events: [third] }).expect(200);
    await postGeneric({ events: [third] }).expect(200); // a replay of the third is not a fourth
    assert.equal((await subscriberOf(t, 'soft3@example.com')).status, 'bounced');
    assert.ok(await isSuppressed(t, 'soft3@example.com'));
  });

  it('generic: events for unknown Message-IDs, or another address than the Message-ID was made for, are stored unmatched and change no one', async () => {
    const { messageIds } = await sendDigestTo(t, 'insurance', ['owner@example.com', 'bystander@example.com']);
    const response = await postGeneric({
      events: [
        genericEvent('bystander@example.com', messageIds.get('owner@example.com')!),
        genericEvent('owner@example.com', '<nosuchdigest0000.AAAAAAAAAAAAAAAAAAAAAA@localhost>'),
        genericEvent('owner@example.com', 'not a message id', { type: 'complaint', bounceType: undefined }),
      ],
    }).expect(200);
    assert.deepEqual(response.body, { received: 3, recorded: 3, duplicates: 0, unmatched: 3 });
    assert.equal((await subscriberOf(t, 'owner@example.com')).status, 'confirmed');
    assert.equal((await subscriberOf(t, 'bystander@example.com')).status, 'confirmed');
    const bad = await postGeneric({ events: [{ id: 'x', type: 'bounce', email: 'a@b.c', messageId: 'm', at: 'yesterday' }] });
    assert.equal(bad.status, 422);
    assert.ok(bad.body.error.fields);
  });

  it('postmark: basic auth; a SpamComplaint unsubscribes and suppresses, a HardBounce bounces; wrong credentials 401 and nothing stored', async () => {
    const { digestId, messageIds } = await sendDigestTo(t, 'investing', ['pm-spam@example.com', 'pm-hard@example.com', 'pm-ok@example.com']);
    const [user, password] = POSTMARK_AUTH.split(':');
    const complaint = {
      RecordType: 'SpamComplaint',
      ID: 4323372036854,
      Type: 'SpamComplaint',
      TypeCode: 512,
      MessageID: '883953f4-6105-42a2-a16a-77a8eac79483',
      Email: 'pm-spam@example.com',
      BouncedAt: new Date().toISOString(),
      Content: `Received: from mx\r\nMessage-ID: ${messageIds.get('pm-spam@example.com')}\r\nSubject: Digest\r\n\r\nbody`,
    };
    const before = await events();
    const wrong = await request(t.app).post('/webhooks/bounces/postmark').auth(user, 'wrong-password-0123456789').send(complaint);
    assert.equal(wrong.status, 401);
    assert.equal((await request(t.app).post('/webhooks/bounces/postmark').send(complaint)).status, 401);
    assert.equal(await events(), before);
    assert.equal((await subscriberOf(t, 'pm-spam@example.com')).status, 'confirmed');

    const good = await request(t.app).post('/webhooks/bounces/postmark').auth(user, password).send(complaint).expect(200);
    assert.equal(good.body.recorded, 1);
    assert.equal((await subscriberOf(t, 'pm-spam@example.com')).status, 'unsubscribed');
    assert.ok(await isSuppressed(t, 'pm-spam@example.com'));

    const hard = { RecordType: 'Bounce', ID: 4323372036855, Type: 'HardBounce', Email: 'pm-hard@example.com', BouncedAt: new Date().toISOString(), Headers: [{ Name: 'Message-ID', Value: messageIds.get('pm-hard@example.com')! }] };
    await request(t.app).post('/webhooks/bounces/postmark').auth(user, password).send(hard).expect(200);
    await request(t.app).post('/webhooks/bounces/postmark').auth(user, password).send(hard).expect(200);
    assert.equal((await subscriberOf(t, 'pm-hard@example.com')).status, 'bounced');
    const ignored = await request(t.app).post('/webhooks/bounces/postmark').auth(user, password).send({ ...hard, ID: 1, Type: 'AutoResponder', Email: 'pm-ok@example.com' }).expect(200);
    assert.equal(ignored.body.received, 0);
    assert.equal((await subscriberOf(t, 'pm-ok@example.com')).status, 'confirmed');

    // The digest counts both; 1 complaint of 3 sent is far above 0.3%, so it warns (API and console).
    const progress = await t.admin('get', `/api/admin/digests/${digestId}`).expect(200);
    assert.equal(progress.body.counts.bounced, 1);
    assert.equal(progress.body.counts.complaints, 1);
    assert.equal(progress.body.counts.unsubscribed, 1, 'the complainer is now unsubscribed');
    assert.match(progress.body.warning, /above the 0\.3%/);
    await createStaff(t, 'bounce.editor@example.com', 'editor');
    const editor = await signIn(t, 'bounce.editor@example.com');
    const page = await editor.get(`/admin/digests/${digestId}`).expect(200);
    assert.match(page.text, /<p class="notice" role="status" data-field="warning">Complaints are 33\.33% of messages sent/);
    assert.match(page.text, /<strong data-field="complaints">1<\/strong> complaints/);
  });

  it('counts readers who unsubscribed after the digest, and warns of nothing without complaints', async () => {
    const { digestId } = await sendDigestTo(t, 'finance', ['un-a@example.com', 'un-b@example.com', 'un-c@example.com']);
    const [mail] = t.smtp.to('un-a@example.com').filter((m) => m.messageId?.startsWith(`<${digestId}.`));
    const link = /^<([^>]+)>$/.exec(String(mail.headerLines.find((h) => h.key === 'list-unsubscribe')?.line.slice('list-unsubscribe:'.length).trim()))![1];
    await request(t.app).post(new URL(link).pathname + new URL(link).search).type('form').send('List-Unsubscribe=One-Click').expect(200);
    const progress = await t.admin('get', `/api/admin/digests/${digestId}`).expect(200);
    assert.deepEqual(
      { bounced: progress.body.counts.bounced, complaints: progress.body.counts.complaints, unsubscribed: progress.body.counts.unsubscribed },
      { bounced: 0, complaints: 0, unsubscribed: 1 },
    );
    assert.equal(progress.body.warning, null);
  });

  it('ses: confirms a signed subscription, acts on a signed bounce and complaint, refuses forgeries and foreign certificates or topics', async () => {
    const { digestId, messageIds } = await sendDigestTo(t, 'banking', ['ses-hard@example.com', 'ses-spam@example.com', 'ses-soft@example.com']);
    const post = (message: object) => request(sesApp).post('/webhooks/bounces/ses').set('Content-Type', 'text/plain; charset=UTF-8').send(JSON.stringify(message));

    const subscribeUrl = `https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${encodeURIComponent(TOPIC_ARN)}&Token=tok123`;
    const confirmation = signedSnsMessage(signing.key, {
      Type: 'SubscriptionConfirmation',
      MessageId: 'sub-1',
      Token: 'tok123',
      TopicArn: TOPIC_ARN,
      Message: 'You have chosen to subscribe to the topic.',
      SubscribeURL: subscribeUrl,
      Timestamp: new Date().toISOString(),
    }, '1');
    await post(confirmation).expect(200);
    assert.ok(fetched.includes(subscribeUrl), 'the subscription was confirmed by GET of SubscribeURL');

    const sesBounce = (email: string, bounceType: string, feedbackId: string) =>
      JSON.stringify({
        notificationType: 'Bounce',
        bounce: { bounceType, bounceSubType: 'General', bouncedRecipients: [{ emailAddress: email, status: '5.1.1' }], timestamp: new Date().toISOString(), feedbackId },
        mail: { messageId: 'ses-own-id', commonHeaders: { messageId: messageIds.get(email) } },
      });
    const notification = (message: string, id: string) =>
      signedSnsMessage(signing.key, { Type: 'Notification', MessageId: id, TopicArn: TOPIC_ARN, Subject: 'Amazon SES Email Event Notification', Message: message, Timestamp: new Date().toISOString() });

    const before = await events();
    const good = notification(sesBounce('ses-hard@example.com', 'Permanent', 'fb-1'), 'n-1');
    // Forged: the message changed after signing.
    await post({ ...good, Message: sesBounce('ses-soft@example.com', 'Permanent', 'fb-1') }).expect(403);
    // Signed with our key but naming a certificate off SNS's domain (or not https, or not .pem): never fetched.
    for (const url of ['https://evil.example/cert.pem', 'http://sns.eu-west-1.amazonaws.com/x.pem', 'https://sns.eu-west-1.amazonaws.com.evil.example/x.pem', 'https://sns.eu-west-1.amazonaws.com/x.txt']) {
      await post(signedSnsMessage(signing.key, { Type: 'Notification', MessageId: 'n-x', TopicArn: TOPIC_ARN, Message: sesBounce('ses-soft@example.com', 'Permanent', 'fb-x'), Timestamp: new Date().toISOString() }, '2', url)).expect(403);
      assert.ok(!fetched.includes(url));
    }
    // Validly signed through SNS, but from someone else's topic.
    await post(signedSnsMessage(signing.key, { Type: 'Notification', MessageId: 'n-y', TopicArn: 'arn:aws:sns:eu-west-1:999999999999:theirs', Message: sesBounce('ses-soft@example.com', 'Permanent', 'fb-y'), Timestamp: new Date().toISOString() })).expect(403);
    assert.equal(await events(), before);
    assert.equal((await subscriberOf(t, 'ses-soft@example.com')).status, 'confirmed');

    await post(good).expect(200);
    await post(good).expect(200); // SNS redelivers: counted once
    assert.equal((await subscriberOf(t, 'ses-hard@example.com')).status, 'bounced');
    await post(notification(sesBounce('ses-soft@example.com', 'Transient', 'fb-2'), 'n-2')).expect(200);
    assert.equal((await subscriberOf(t, 'ses-soft@example.com')).status, 'confirmed', 'one transient bounce is not enough');

    const complaint = JSON.stringify({
      notificationType: 'Complaint',
      complaint: { complainedRecipients: [{ emailAddress: 'ses-spam@example.com' }], timestamp: new Date().toISOString(), feedbackId: 'fb-3', complaintFeedbackType: 'abuse' },
      mail: { messageId: 'ses-own-id-2', headers: [{ name: 'Message-ID', value: messageIds.get('ses-spam@example.com') }] },
    });
    await post(notification(complaint, 'n-3')).expect(200);
    assert.equal((await subscriberOf(t, 'ses-spam@example.com')).status, 'unsubscribed');
    assert.ok(await isSuppressed(t, 'ses-spam@example.com'));
    assert.equal(fetched.filter((u) => u === CERT_URL).length, 1, 'the certificate is fetched once and cached');

    const progress = await t.admin('get', `/api/admin/digests/${digestId}`).expect(200);
    assert.equal(progress.body.counts.bounced, 2);
    assert.equal(progress.body.counts.complaints, 1);
  });

  it('answers 404 for an unknown provider, and for one whose secret is not configured', async () => {
    await request(t.app).post('/webhooks/bounces/sendgrid').send({}).expect(404);
    await request(t.app).post('/webhooks/bounces/__proto__').send({}).expect(404);
    const huge = await request(t.app).post('/webhooks/bounces/generic').set('Content-Type', 'text/plain').send('x'.repeat(600 * 1024));
    assert.equal(huge.status, 413);
    assert.equal(huge.body.error.code, 'payload_too_large');
    const bare = await startTestApp(engine);
    try {
      for (const provider of ['ses', 'postmark', 'generic']) await request(bare.app).post(`/webhooks/bounces/${provider}`).send({}).expect(404);
    } finally {
      await bare.close();
    }
  });
});
