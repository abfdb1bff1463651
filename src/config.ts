import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';

/**
 * The environment, parsed once into a typed, frozen object. A bad value stops the
 * start with one line naming the variable (see ConfigError).
 */
export interface Config {
  env: 'production' | 'development' | 'test';
  port: number;
  host: string;
  baseUrl: string;
  dataDir: string;
  databaseUrl: string | null; // null: the SQLite file in dataDir
  smtpUrl: string | null; // null: .eml files in dataDir/outbox
  mailFrom: string;
  /** Reply-To on every message; null: none. */
  mailReplyTo: string | null;
  /** Article links in digests become signed redirects that count unique clicks (TRACK_CLICKS). */
  trackClicks: boolean;
  adminToken: string;
  secret: string;
  /** Where a generated secret was kept, to print at start; null when it came from the environment. */
  generatedSecretFiles: { adminToken: string | null; secret: string | null };
  sendConcurrency: number;
  sendRate: number;
  sendLeaseSeconds: number;
  dkim: { domainName: string; keySelector: string; privateKey: string } | null;
  orgName: string;
  postalAddress: string;
  /** The site's public pages: terms of entry and privacy notice (file text, or null for the default copy), contact address. */
  site: { termsText: string | null; privacyText: string | null; contactEmail: string; brandLogoUrl: string | null };
  feedPollMinutes: number;
  /** A schedule's occurrence missed while no process ran is still sent when at most this late. */
  scheduleCatchupMinutes: number;
  /** Feeds may be on loopback and private networks (an internal feed, polled on purpose). */
  feedAllowPrivate: boolean;
  publicRateLimit: number;
  /** Express's `trust proxy`: which hops' X-Forwarded-For to believe (false: none, the default). */
  trustProxy: boolean | number | string[];
  logLevel: string;
  /** Bounce and complaint reports: each webhook is on only when its secret is set. */
  bounces: {
    webhookSecret: string | null;
    postmark: { user: string; password: string } | null;
    /** SNS topics whose notifications the `ses` webhook accepts; none: the webhook is off. */
    sesTopicArns: string[];
    imapUrl: string | null;
    imapPollMinutes: number;
  };
}

export class ConfigError extends Error {}

const intFrom = (min: number) =>
  z
    .string()
    .trim()
    .regex(/^-?\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min, `must be ${min} or more`));

const numberFrom = (min: number) =>
  z
    .string()
    .trim()
    .regex(/^-?\d+(\.\d+)?$/, 'must be a number')
    .transform(Number)
    .pipe(z.number().min(min, `must be ${min} or more`));

const urlWith = (protocols: string[]) =>
  z.string().refine((value) => {
    try {
      return protocols.includes(new URL(value).protocol);
    } catch {
      return false;
    }
  }, `must be a URL starting with ${protocols.map((p) => p + '//').join(' or ')}`);

const booleanFrom = z
  .string()
  .trim()
  .toLowerCase()
  .refine((value) => ['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off'].includes(value), 'must be 1 or 0 (true or false)')
  .transform((value) => ['1', 'true', 'yes', 'on'].includes(value));

/** proxy-addr's names for ranges, besides addresses and CIDR ranges. */
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/** An address or CIDR range in its plain form (`10.0.0.1`, `10.0.0.0/8`, `fd00::/8`), not `10.1` or hex. */
const isProxyAddress = (item: string) =>
  ipaddr.IPv4.isValidFourPartDecimal(item) || ipaddr.IPv4.isValidCIDRFourPartDecimal(item) || ipaddr.IPv6.isValid(item) || ipaddr.IPv6.isValidCIDR(item);

const trustProxyFrom = z
  .string()
  .trim()
  .transform((value, ctx): boolean | number | string[] => {
    const lower = value.toLowerCase();
    if (lower === 'true' || lower === 'false') return lower === 'true';
    if (/^\d+$/.test(value)) return Number(value);
    const items = value.split(',').map((item) => item.trim()).filter(Boolean);
    const bad = items.find((item) => !PROXY_RANGE_NAMES.includes(item.toLowerCase()) && !isProxyAddress(item));
    if (!items.length || bad !== undefined) {
      ctx.addIssue({ code: 'custom', message: 'must be true, false, a hop count, or a comma-separated list of addresses, CIDR ranges and loopback, linklocal, uniquelocal' });
      return z.NEVER;
    }
    return items.map((item) => (PROXY_RANGE_NAMES.includes(item.toLowerCase()) ? item.toLowerCase() : item));
  });

const nonEmpty = z.string().trim().min(1, 'must not be empty');

/** A logo's address: an http(s) URL, or a path on this site ("/static/logo.svg"), nothing a page could run. */
const logoAddress = z
  .string()
  .trim()
  .refine((value) => {
    if (/^\/(?!\/)[^\s"'<>\\]*$/.test(value)) return true;
    try {
      return ['http:', 'https:'].includes(new URL(value).protocol) && !/[\s"'<>]/.test(value);
    } catch {
      return false;
    }
  }, 'must be an https:// or http:// URL, or a path starting with /');
const secretValue = z.string().trim().min(16, 'must be at least 16 characters');

const envSchema = z.object({
  NODE_ENV: z.enum(['production', 'development', 'test']).default('development'),
  PORT: intFrom(0).pipe(z.number().max(65535, 'must be 65535 or less')).default(3000),
  HOST: nonEmpty.default('127.0.0.1'),
  BASE_URL: urlWith(['http:', 'https:']).optional(),
  DATA_DIR: nonEmpty.default('./data'),
  DATABASE_URL: urlWith(['postgres:', 'postgresql:']).optional(),
  SMTP_URL: urlWith(['smtp:', 'smtps:']).optional(),
  MAIL_FROM: nonEmpty.default('Masthead <newsletter@localhost>'),
  MAIL_REPLY_TO: z.string().trim().regex(/^[^\s@<>",;]+@[^\s@<>",;]+$/, 'must be one email address such as editors@example.com').optional(),
  TRACK_CLICKS: booleanFrom.default(false),
  ADMIN_TOKEN: secretValue.optional(),
  SECRET: secretValue.optional(),
  SEND_CONCURRENCY: intFrom(1).default(4),
  SEND_RATE: numberFrom(0).default(0),
  SEND_LEASE_SECONDS: intFrom(1).default(60),
  DKIM_DOMAIN: nonEmpty.optional(),
  DKIM_SELECTOR: nonEmpty.optional(),
  DKIM_PRIVATE_KEY_FILE: nonEmpty.optional(),
  ORG_NAME: nonEmpty.default('The Finance Ledger'),
  POSTAL_ADDRESS: nonEmpty.default('12 Example Street, London EC2A 1AA, United Kingdom'),
  TERMS_FILE: nonEmpty.optional(),
  PRIVACY_FILE: nonEmpty.optional(),
  CONTACT_EMAIL: z.string().trim().email('must be an email address').default('contact@example.com'),
  BRAND_LOGO_URL: logoAddress.optional(),
  FEED_POLL_MINUTES: numberFrom(0.1).default(15),
  SCHEDULE_CATCHUP_MINUTES: intFrom(0).default(60),
  FEED_ALLOW_PRIVATE: booleanFrom.default(false),
  PUBLIC_RATE_LIMIT: intFrom(0).default(30),
  TRUST_PROXY: trustProxyFrom.default(false),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  WEBHOOK_SECRET: secretValue.optional(),
  POSTMARK_WEBHOOK_USER: nonEmpty.optional(),
  POSTMARK_WEBHOOK_PASSWORD: secretValue.optional(),
  POSTMARK_WEBHOOK_AUTH: z.string().regex(/^[^:]+:.{16,}$/, 'must be user:password, the password at least 16 characters').optional(),
  SES_SNS_TOPIC_ARNS: z
    .string()
    .transform((value) => value.split(',').map((arn) => arn.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$/, 'must be SNS topic ARNs, comma-separated'))).optional(),
  BOUNCE_IMAP_URL: urlWith(['imap:', 'imaps:']).optional(),
  BOUNCE_IMAP_POLL_MINUTES: numberFrom(0.1).default(5),
});

/** Parses the environment. Empty strings count as unset, as in most .env files. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(source)) {
    if (key in envSchema.shape && value !== undefined && value !== '') env[key] = value;
  }
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue.path[0]);
    throw new ConfigError(`Configuration error: ${name} ${issue.message} (got ${JSON.stringify(env[name] ?? '')})`);
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.DATA_DIR);
  const production = e.NODE_ENV === 'production';

  const adminToken = e.ADMIN_TOKEN ? { value: e.ADMIN_TOKEN, file: null } : keptSecret('ADMIN_TOKEN', dataDir, 'admin-token', production);
  const secret = e.SECRET ? { value: e.SECRET, file: null } : keptSecret('SECRET', dataDir, 'secret', production);

  const dkimParts = [e.DKIM_DOMAIN, e.DKIM_SELECTOR, e.DKIM_PRIVATE_KEY_FILE];
  let dkim: Config['dkim'] = null;
  if (dkimParts.every(Boolean)) {
    let privateKey: string;
    try {
      privateKey = readFileSync(e.DKIM_PRIVATE_KEY_FILE!, 'utf8');
    } catch {
      throw new ConfigError(`Configuration error: DKIM_PRIVATE_KEY_FILE cannot be read (${e.DKIM_PRIVATE_KEY_FILE})`);
    }
    dkim = { domainName: e.DKIM_DOMAIN!, keySelector: e.DKIM_SELECTOR!, privateKey };
  }

  return Object.freeze({
    site: Object.freeze({
      termsText: pageFile('TERMS_FILE', e.TERMS_FILE),
      privacyText: pageFile('PRIVACY_FILE', e.PRIVACY_FILE),
      contactEmail: e.CONTACT_EMAIL,
      brandLogoUrl: e.BRAND_LOGO_URL ?? null,
    }),
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    baseUrl: (e.BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
    dataDir,
    databaseUrl: e.DATABASE_URL ?? null,
    smtpUrl: e.SMTP_URL ?? null,
    mailFrom: e.MAIL_FROM,
    mailReplyTo: e.MAIL_REPLY_TO ?? null,
    trackClicks: e.TRACK_CLICKS,
    adminToken: adminToken.value,
    secret: secret.value,
    generatedSecretFiles: { adminToken: adminToken.file, secret: secret.file },
    sendConcurrency: e.SEND_CONCURRENCY,
    sendRate: e.SEND_RATE,
    sendLeaseSeconds: e.SEND_LEASE_SECONDS,
    dkim,
    orgName: e.ORG_NAME,
    postalAddress: e.POSTAL_ADDRESS,
    feedPollMinutes: e.FEED_POLL_MINUTES,
    scheduleCatchupMinutes: e.SCHEDULE_CATCHUP_MINUTES,
    feedAllowPrivate: e.FEED_ALLOW_PRIVATE,
    publicRateLimit: e.PUBLIC_RATE_LIMIT,
    trustProxy: e.TRUST_PROXY,
    logLevel: e.LOG_LEVEL,
    bounces: Object.freeze({
      webhookSecret: e.WEBHOOK_SECRET ?? null,
      postmark: postmarkCredentials(e),
      sesTopicArns: e.SES_SNS_TOPIC_ARNS ?? [],
      imapUrl: e.BOUNCE_IMAP_URL ?? null,
      imapPollMinutes: e.BOUNCE_IMAP_POLL_MINUTES,
    }),
  });
}

/** Postmark's basic-auth pair, from the two variables or the one `user:password`. */
function postmarkCredentials(e: { POSTMARK_WEBHOOK_USER?: string; POSTMARK_WEBHOOK_PASSWORD?: string; POSTMARK_WEBHOOK_AUTH?: string }) {
  if (e.POSTMARK_WEBHOOK_AUTH) {
    const at = e.POSTMARK_WEBHOOK_AUTH.indexOf(':');
    return { user: e.POSTMARK_WEBHOOK_AUTH.slice(0, at), password: e.POSTMARK_WEBHOOK_AUTH.slice(at + 1) };
  }
  if (Boolean(e.POSTMARK_WEBHOOK_USER) !== Boolean(e.POSTMARK_WEBHOOK_PASSWORD)) {
    throw new ConfigError('Configuration error: POSTMARK_WEBHOOK_USER and POSTMARK_WEBHOOK_PASSWORD are set together or not at all');
  }
  return e.POSTMARK_WEBHOOK_USER ? { user: e.POSTMARK_WEBHOOK_USER, password: e.POSTMARK_WEBHOOK_PASSWORD! } : null;
}

/** A page's text from a file (plain text, UTF-8), read once at start; unset: null, the built-in copy. */
function pageFile(name: string, file: string | undefined): string | null {
  if (!file) return null;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new ConfigError(`Configuration error: ${name} cannot be read (${file})`);
  }
  if (!text.trim()) throw new ConfigError(`Configuration error: ${name} is empty (${file})`);
  return text;
}

/** Outside production a missing secret is generated once and kept (mode 0600) in DATA_DIR. */
function keptSecret(name: string, dataDir: string, fileName: string, production: boolean) {
  if (production) throw new ConfigError(`Configuration error: ${name} must be set when NODE_ENV=production`);
  const file = path.join(dataDir, fileName);
  if (existsSync(file)) {
    const value = readFileSync(file, 'utf8').trim();
    if (value.length >= 16) return { value, file };
  }
  mkdirSync(dataDir, { recursive: true });
  const value = randomBytes(32).toString('base64url');
  writeFileSync(file, value + '\n', { mode: 0o600 });
  return { value, file };
}
