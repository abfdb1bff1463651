import { randomUUID } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { recordAudit } from '../audit/service';
import type { Config } from '../config';
import { filterQuery, pageCount, renderConsole, setFlash, utcMinute } from '../console/render';
import { EDITORS } from '../console/screens';
import type { Db } from '../db';
import { digestListQuery, digestTrigger, idempotencyKey, type DigestTrigger } from '../delivery/schema';
import { cancelDigest, digestProgress, listDigestSends, pauseDigest, resumeDigest, retryFailed, triggerDigest, type SendDeps } from '../delivery/service';
import { AppError } from '../errors';
import { skipGenericAudit } from '../http/audit-trail';
import { formBody } from '../http/body';
import type { Csrf } from '../http/csrf';
import { actorOf, requireRole, staffOf } from '../http/staff-session';
import { fieldErrors, parseInput } from '../http/validate';
import { countSubscribers } from '../subscribers/queries';
import { listTopics } from '../topics/queries';
import { DEFAULT_DIGEST_LIMIT, digestIdParam } from './schema';
import { digestCandidates, previewDigest } from './service';

export interface DigestConsoleDeps {
  db: Db;
  config: Config;
  csrf: Csrf;
  deliveryQueued: () => void;
}

const composeLabels = { topic: 'Topic', limit: 'Most articles', subject: 'Subject', intro: "Editor's intro" };

// The preview is the email's own HTML, with its inline styles; it may use nothing else.
const PREVIEW_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; frame-ancestors 'self'; base-uri 'none'; form-action 'none'";

/** The compose form's fields as the trigger's body, checked by the schema of POST /api/admin/digests. */
function triggerFrom(fields: Record<string, unknown>) {
  const text = (value: unknown) => (typeof value === 'string' ? value.trim() : '');
  const limit = text(fields.limit);
  return digestTrigger.safeParse({
    topic: text(fields.topic),
    ...(limit ? { limit: /^\d+$/.test(limit) ? Number(limit) : limit } : {}),
    ...(text(fields.subject) ? { subject: text(fields.subject) } : {}),
    ...(text(fields.intro) ? { intro: text(fields.intro) } : {}),
  });
}

const composeQuery = (input: Pick<DigestTrigger, 'topic' | 'limit' | 'subject' | 'intro'>) => filterQuery({ topic: input.topic, limit: input.limit, subject: input.subject, intro: input.intro });

/** The controls of a send, and the statuses in which each applies (the page's script shows and hides them). */
const CONTROLS = [
  { action: 'pause', label: 'Pause', when: ['sending'] },
  { action: 'resume', label: 'Resume', when: ['paused'] },
  { action: 'retry-failed', label: 'Retry failed', when: ['sending', 'paused', 'sent', 'failed'], needsFailed: true },
  { action: 'cancel', label: 'Cancel the send', when: ['composed', 'sending', 'paused'], confirm: true },
] as const;

const ACTS: Record<(typeof CONTROLS)[number]['action'], (deps: SendDeps, id: string) => Promise<unknown>> = {
  pause: pauseDigest,
  resume: resumeDigest,
  'retry-failed': retryFailed,
  cancel: cancelDigest,
};

const DONE: Record<(typeof CONTROLS)[number]['action'], string> = {
  pause: 'The send is paused; nothing more goes out until you resume it.',
  resume: 'The send resumes.',
  'retry-failed': 'The failed recipients are queued again.',
  cancel: 'The send is cancelled; recipients not reached yet will not get it.',
};

/**
 * The Digests screen: the sends with their counts; compose (preview in the page, a test to
 * my own address); a send behind a confirmation naming its recipients, made by the same
 * service as POST /api/admin/digests with an idempotency key from the form; and the send's
 * page, whose counts a small script keeps live from /admin/digests/:id/progress.
 */
export function digestConsoleRoutes(deps: DigestConsoleDeps): Router {
  const router = Router();
  const { db, csrf } = deps;
  const form = [...formBody('10kb'), csrf.protect, csrf.provideToken];
  router.use('/digests', requireRole(...EDITORS));

  router.get('/digests', async (req, res) => {
    const query = parseInput(digestListQuery, req.query);
    const list = await listDigestSends(db, query);
    renderConsole(req, res, 'digests/views/console-digests.njk', {
      title: 'Digests',
      items: list.items.map((d) => ({ ...d, created: utcMinute(d.createdAt), finished: utcMinute(d.finishedAt) })),
      total: list.total,
      page: list.page,
      pages: pageCount(list.total, list.pageSize),
      pageQuery: filterQuery({ topic: query.topic }),
    });
  });

  // ── Compose, preview, test ─────────────────────────────────────────────────────────────

  async function renderCompose(req: Request, res: Response, status: number, fields: Record<string, unknown>, errors: Record<string, string> = {}) {
    const values = { topic: fields.topic ?? 'finance', limit: fields.limit ?? String(DEFAULT_DIGEST_LIMIT), subject: fields.subject ?? '', intro: fields.intro ?? '' };
    const parsed = fields.topic === undefined ? null : triggerFrom(fields);
    if (parsed && !parsed.success) Object.assign(errors, fieldErrors(parsed.error));
    const input = parsed?.success && !Object.keys(errors).length ? parsed.data : null;
    const preview = input && {
      query: composeQuery(input),
      articles: (await digestCandidates(db, input.topic, input.limit ?? DEFAULT_DIGEST_LIMIT)).articles.map((a) => ({ ...a, published: utcMinute(a.published_at) })),
      recipients: await countSubscribers(db, { status: 'confirmed', topic: input.topic }),
      input,
    };
    const page = { title: 'Compose a digest', topics: await listTopics(db), values, errors, labels: composeLabels, preview };
    renderConsole(req, res, 'digests/views/console-compose.njk', page, Object.keys(errors).length ? 422 : status);
  }

  router.get('/digests/new', csrf.provideToken, (req, res) => renderCompose(req, res, 200, req.query));

  router.get('/digests/preview', async (req, res) => {
    const parsed = triggerFrom(req.query);
    if (!parsed.success) throw new AppError(422, 'validation_failed', 'Choose a topic, and at most 50 articles.');
    const { html } = await previewDigest(deps, { topic: parsed.data.topic, limit: parsed.data.limit ?? DEFAULT_DIGEST_LIMIT, subject: parsed.data.subject, intro: parsed.data.intro });
    res.set('Content-Security-Policy', PREVIEW_POLICY).set('Cache-Control', 'no-store').type('html').send(html);
  });

  router.post('/digests/test', ...form, async (req, res) => {
    const parsed = triggerFrom(req.body);
    if (!parsed.success) return renderCompose(req, res, 422, req.body);
    const me = staffOf(res).email;
    await startingSend(res, composeQuery(parsed.data), async () => {
      const sent = await triggerDigest(deps, { ...parsed.data, testRecipients: [me] }, null);
      await recordAudit(db, actorOf(res), { action: 'digests.test', entity: 'digests', entityId: sent.id, details: { topic: parsed.data.topic } });
      setFlash(res, `A test of this digest is on its way to ${me} (only to you).`);
      res.redirect(303, `/admin/digests/new?${composeQuery(parsed.data)}`);
    });
  });

  /** Starts a send; "nothing new to send" and "nobody to send to" go back to the compose page as a message. */
  async function startingSend(res: Response, query: string, start: () => Promise<void>) {
    skipGenericAudit(res); // each start writes its own line, with the digest's id
    try {
      await start();
    } catch (err) {
      if (!(err instanceof AppError && err.status === 409)) throw err;
      setFlash(res, err.message, 'error');
      res.redirect(303, `/admin/digests/new?${query}`);
    }
  }

  // ── Send, behind a confirmation ────────────────────────────────────────────────────────

  router.get('/digests/confirm', csrf.provideToken, async (req, res) => {
    const parsed = triggerFrom(req.query);
    if (!parsed.success) return renderCompose(req, res, 422, req.query);
    const { topic, articles } = await digestCandidates(db, parsed.data.topic, parsed.data.limit ?? DEFAULT_DIGEST_LIMIT);
    const recipients = await countSubscribers(db, { status: 'confirmed', topic: topic.slug });
    renderConsole(req, res, 'digests/views/console-confirm.njk', {
      title: !articles.length ? 'Nothing to send' : recipients ? `Send to ${recipients} recipient${recipients === 1 ? '' : 's'}?` : 'Nobody to send to',
      input: parsed.data,
      topic,
      articles,
      recipients,
      back: `/admin/digests/new?${composeQuery(parsed.data)}`,
      // One key per confirmation page: a second click (or a resubmitted form) gets the same digest.
      idempotencyKey: randomUUID(),
    });
  });

  router.post('/digests', ...form, async (req, res) => {
    const parsed = triggerFrom(req.body);
    const key = idempotencyKey.safeParse((req.body as { idempotencyKey?: unknown }).idempotencyKey);
    if (!parsed.success || !key.success) return renderCompose(req, res, 422, req.body);
    await startingSend(res, composeQuery(parsed.data), async () => {
      const sent = await triggerDigest(deps, parsed.data, `console:${key.data}`);
      await recordAudit(db, actorOf(res), { action: 'digests.send', entity: 'digests', entityId: sent.id, details: { topic: parsed.data.topic, recipients: sent.recipients } });
      setFlash(res, `Sending to ${sent.recipients} recipient${sent.recipients === 1 ? '' : 's'}.`);
      res.redirect(303, `/admin/digests/${sent.id}`);
    });
  });

  // ── A send's page, its live progress and its controls ──────────────────────────────────

  const digestId = (req: Request) => parseInput(digestIdParam, req.params).id;

  async function renderSend(req: Request, res: Response, status: number, cancelError: string | null = null) {
    const progress = await digestProgress(db, digestId(req), { clicks: deps.config.trackClicks });
    const done = progress.counts.sent + progress.counts.failed;
    renderConsole(req, res, 'digests/views/console-send.njk', {
      title: progress.subject,
      progress,
      done,
      percent: progress.recipients ? Math.floor((done / progress.recipients) * 100) : 0,
      started: utcMinute(progress.startedAt),
      finished: utcMinute(progress.finishedAt),
      controls: CONTROLS.map((c) => ({ ...c, when: c.when.join(' '), shown: (c.when as readonly string[]).includes(progress.status) && (!('needsFailed' in c) || progress.counts.failed > 0) })),
      cancelError,
    }, status);
  }

  router.get('/digests/:id', csrf.provideToken, (req, res) => renderSend(req, res, 200));

  router.get('/digests/:id/progress', async (req, res) => {
    res.set('Cache-Control', 'no-store').json(await digestProgress(db, digestId(req)));
  });

  for (const control of CONTROLS) {
    router.post(`/digests/:id/${control.action}`, ...form, async (req, res) => {
      const id = digestId(req);
      if ('confirm' in control && (req.body as { confirm?: unknown }).confirm !== 'yes') {
        return renderSend(req, res, 422, 'Tick the box to confirm that this send should stop.');
      }
      try {
        await ACTS[control.action](deps, id);
        setFlash(res, DONE[control.action]);
      } catch (err) {
        if (!(err instanceof AppError && err.status === 409)) throw err;
        skipGenericAudit(res); // refused: nothing changed
        setFlash(res, err.message, 'error');
      }
      res.redirect(303, `/admin/digests/${id}`);
    });
  }

  return router;
}
