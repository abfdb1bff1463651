import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { ImapFlow } from 'imapflow';
import { startTestApp, type TestApp } from './helpers/app';
import { isSuppressed, sendDigestTo, subscriberOf } from './helpers/bounces';
import { DOVECOT, startDovecot, type TestImapServer } from './helpers/dovecot';
import { describeEachEngine } from './helpers/engines';

const CRLF = '\r\n';
const lines = (...parts: string[]) => parts.join(CRLF);

function dsn(id: string, recipient: string, status: string, action: string, original: { messageId: string; asField?: boolean }) {
  return lines(
    'From: Mail Delivery System <MAILER-DAEMON@mx.example>',
    'To: bounces@localhost',
    `Subject: Delivery Status Notification (${action})`,
    `Message-ID: <${id}@mx.example>`,
    'Date: Wed, 02 Dec 2026 10:00:00 +0000',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="dsn-b"',
    '',
    '--dsn-b',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'Your message could not be delivered to one or more recipients.',
    '',
    '--dsn-b',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.example',
    ...(original.asField ? [`Original-Message-ID: ${original.messageId}`] : []),
    'Arrival-Date: Wed, 02 Dec 2026 09:59:00 +0000',
    '',
    `Final-Recipient: rfc822; ${recipient}`,
    `Action: ${action}`,
    `Status: ${status}`,
    `Diagnostic-Code: smtp; ${status.startsWith('5') ? '550' : '452'} ${status} mailbox problem`,
    '',
    ...(original.asField
      ? []
      : ['--dsn-b', 'Content-Type: text/rfc822-headers', '', 'From: Masthead <newsletter@localhost>', `To: ${recipient}`, `Message-ID: ${original.messageId}`, 'Subject: The digest', '']),
    '--dsn-b--',
    '',
  );
}

function arf(id: string, recipient: string, messageId: string) {
  return lines(
    'From: Feedback Loop <fbl@isp.example>',
    'To: abuse@localhost',
    'Subject: Abuse report',
    `Message-ID: <${id}@isp.example>`,
    'Date: Wed, 02 Dec 2026 11:00:00 +0000',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=feedback-report; boundary="arf-b"',
    '',
    '--arf-b',
    'Content-Type: text/plain',
    '',
    'This is an email abuse report.',
    '',
    '--arf-b',
    'Content-Type: message/feedback-report',
    '',
    'Feedback-Type: abuse',
    'User-Agent: SomeISP/1.0',
    'Version: 1',
    `Original-Rcpt-To: ${recipient}`,
    'Arrival-Date: Wed, 02 Dec 2026 10:30:00 +0000',
    '',
    '--arf-b',
    'Content-Type: message/rfc822',
    'Content-Disposition: inline',
    '',
    'From: Masthead <newsletter@localhost>',
    `To: ${recipient}`,
    `Message-ID: ${messageId}`,
    'Subject: The digest',
    '',
    'The digest body.',
    '',
    '--arf-b--',
    '',
  );
}

const OUT_OF_OFFICE = lines('From: Someone <someone@example.com>', 'To: bounces@localhost', 'Subject: Out of office', 'Message-ID: <ooo-1@example.com>', '', 'I am away until Monday.', '');

if (!existsSync(DOVECOT)) describe('bounce mailbox', { skip: `${DOVECOT} is not installed (apt-get install dovecot-imapd)` }, () => {});
else
  describeEachEngine('bounce mailbox', (engine) => {
    let imap: TestImapServer;
    let t: TestApp;
    let client: ImapFlow;

    before(async () => {
      imap = await startDovecot();
      // The worker's periodic pass is wired in; the test runs passes itself (the interval is long).
      t = await startTestApp(engine, { BOUNCE_IMAP_URL: imap.url, BOUNCE_IMAP_POLL_MINUTES: '600' });
      client = new ImapFlow({ host: imap.host, port: imap.port, secure: false, auth: { user: imap.user, pass: imap.password }, logger: false });
      await client.connect();
    });
    after(async () => {
      await client?.logout().catch(() => {});
      await t?.close();
      await imap?.stop();
    });

    /** What is in the inbox now, through a fresh connection (an open one learns of deletions only later). */
    async function subjectsInInbox(): Promise<string[]> {
      const client = new ImapFlow({ host: imap.host, port: imap.port, secure: false, auth: { user: imap.user, pass: imap.password }, logger: false });
      await client.connect();
      const lock = await client.getMailboxLock('INBOX');
      try {
        if (!client.mailbox || !client.mailbox.exists) return [];
        const subjects: string[] = [];
        for await (const m of client.fetch('1:*', { envelope: true })) subjects.push(m.envelope?.subject ?? '');
        return subjects.sort();
      } finally {
        lock.release();
        await client.logout();
      }
    }

    it('reads DSNs and ARF complaints, applies them, deletes only what it understood', async () => {
      const { digestId, messageIds } = await sendDigestTo(t, 'banking', ['mb-hard@example.com', 'mb-soft@example.com', 'mb-spam@example.com', 'mb-fine@example.com']);
      const mailbox = t.workers.bounceMailbox;
      assert.ok(mailbox, 'BOUNCE_IMAP_URL starts the mailbox pass');
      await mailbox.runOnce(); // the pass at start may still be running; start from a quiet mailbox

      await client.append('INBOX', dsn('dsn-hard', 'mb-hard@example.com', '5.1.1', 'failed', { messageId: messageIds.get('mb-hard@example.com')! }));
      await client.append('INBOX', dsn('dsn-soft', 'mb-soft@example.com', '4.2.2', 'delayed', { messageId: messageIds.get('mb-soft@example.com')!, asField: true }));
      await client.append('INBOX', arf('arf-1', 'mb-spam@example.com', messageIds.get('mb-spam@example.com')!));
      await client.append('INBOX', OUT_OF_OFFICE);
      // A success notice is a report, but no bounce: left for a person.
      await client.append('INBOX', dsn('dsn-ok', 'mb-fine@example.com', '2.0.0', 'delivered', { messageId: messageIds.get('mb-fine@example.com')! }));

      await mailbox.runOnce();

      assert.equal((await subscriberOf(t, 'mb-hard@example.com')).status, 'bounced');
      assert.ok(await isSuppressed(t, 'mb-hard@example.com'));
      assert.equal((await subscriberOf(t, 'mb-soft@example.com')).status, 'confirmed', 'one soft bounce is not enough');
      assert.equal((await subscriberOf(t, 'mb-spam@example.com')).status, 'unsubscribed');
      assert.ok(await isSuppressed(t, 'mb-spam@example.com'));
      assert.equal((await subscriberOf(t, 'mb-fine@example.com')).status, 'confirmed');

      const events = await t.db('delivery_events').where({ provider: 'mailbox' }).orderBy('kind');
      assert.deepEqual(events.map((e) => [e.kind, e.digest_id]), [['complaint', digestId], ['hard_bounce', digestId], ['soft_bounce', digestId]]);
      assert.deepEqual(await subjectsInInbox(), ['Delivery Status Notification (delivered)', 'Out of office']);

      // The same DSN delivered twice is one event.
      await client.append('INBOX', dsn('dsn-hard', 'mb-hard@example.com', '5.1.1', 'failed', { messageId: messageIds.get('mb-hard@example.com')! }));
      await mailbox.runOnce();
      assert.equal((await t.db('delivery_events').where({ provider: 'mailbox' })).length, 3);
      assert.deepEqual(await subjectsInInbox(), ['Delivery Status Notification (delivered)', 'Out of office']);

      const progress = await t.admin('get', `/api/admin/digests/${digestId}`).expect(200);
      assert.equal(progress.body.counts.bounced, 2, 'the hard and the soft bounce, each delivery once');
      assert.equal(progress.body.counts.complaints, 1);
    });
  });
