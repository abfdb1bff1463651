import { createHmac, createSign } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestApp } from './app';
import { addArticles, addConfirmedSubscribers, waitForDigest } from './sending';

/** Builders for bounce tests: a real digest for real Message-IDs, and signed provider requests. */

/** Sends a digest of `topic` to `emails` through the test SMTP server; the Message-ID each received. */
export async function sendDigestTo(t: TestApp, topic: string, emails: string[]) {
  await addArticles(t, topic, 1);
  await addConfirmedSubscribers(t, emails.map((email) => ({ email, topics: [topic] })));
  const trigger = await t.admin('post', '/api/admin/digests').send({ topic });
  if (trigger.status !== 202) throw new Error(`digest not triggered: ${trigger.status} ${JSON.stringify(trigger.body)}`);
  await waitForDigest(t, trigger.body.id, ['sent']);
  const messageIds = new Map<string, string>();
  for (const email of emails) {
    const mail = t.smtp.to(email).find((m) => m.messageId?.startsWith(`<${trigger.body.id}.`));
    if (!mail?.messageId) throw new Error(`no digest reached ${email}`);
    messageIds.set(email, mail.messageId);
  }
  return { digestId: trigger.body.id as string, messageIds };
}

export const subscriberOf = (t: TestApp, email: string) => t.db('subscribers').where({ email }).first();
export const isSuppressed = async (t: TestApp, email: string) => {
  const { emailHash } = await import('../../src/subscribers/service');
  return Boolean(await t.db('suppressions').where({ email_hash: emailHash(email) }).first());
};

export const genericSignature = (secret: string, body: string) => createHmac('sha256', secret).update(body).digest('hex');

/** A key pair and a self-signed certificate made with openssl, standing in for SNS's signing certificate. */
export function makeSigningCertificate(): { key: string; certificate: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'masthead-sns-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=sns.amazonaws.com'], { stdio: 'ignore' });
    return { key: readFileSync(path.join(dir, 'key.pem'), 'utf8'), certificate: readFileSync(path.join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type SnsFields = Record<string, string>;

/** An SNS message signed as SNS signs it (version 1: SHA1, 2: SHA256). */
export function signedSnsMessage(key: string, fields: SnsFields, version: '1' | '2' = '2', certUrl = 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-test.pem') {
  const keys =
    fields.Type === 'Notification'
      ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type']
      : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  const text = keys.filter((k) => fields[k] !== undefined).map((k) => `${k}\n${fields[k]}\n`).join('');
  const signature = createSign(version === '1' ? 'RSA-SHA1' : 'RSA-SHA256').update(text).sign(key, 'base64');
  return { ...fields, SignatureVersion: version, Signature: signature, SigningCertURL: certUrl };
}
