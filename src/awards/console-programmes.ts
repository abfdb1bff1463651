import { Router, type Request, type Response } from 'express';
import type { z } from 'zod';
import { renderConsole, setFlash } from '../console/render';
import { EDITORS } from '../console/screens';
import { toDate, type Db } from '../db';
import { AppError } from '../errors';
import { formBody } from '../http/body';
import type { Csrf } from '../http/csrf';
import { requireRole } from '../http/staff-session';
import { faqsOf } from './programme-pages';
import { PAGE_LIMITS, programmeInput, programmePatch, WORD_LIMITS } from './schema';
import { createProgramme, findProgramme, listProgrammesWithEntryCounts, updateProgramme, type Programme } from './service';
import { localDateTime, timeZones } from './time';

/**
 * The programmes screen (editors and admins): the list, a new programme, editing one. Dates
 * are datetime-local fields read on the programme's own clock (its time zone), so an editor
 * in London types New York's deadline as New Yorkers read it.
 */

const MAX_CATEGORIES = 100;
const BLANK_ROWS = 3;
const CATEGORY_FIELDS = ['slug', 'name', 'description', 'region'] as const;
const BLANK_FAQS = 2;
// Every category row is five fields, every FAQ two; the programme's own are fifteen.
const FORM_FIELDS = MAX_CATEGORIES * 5 + (PAGE_LIMITS.faqs + BLANK_FAQS) * 2 + 25;
// The list's address /admin/programmes/new is the form, so no programme may be called that here.
const RESERVED_SLUGS = new Set(['new']);

interface CategoryRowValues {
  slug: string;
  name: string;
  description: string;
  region: string;
  existing: boolean;
  remove: boolean;
}

interface FormValues {
  slug: string;
  code: string;
  name: string;
  description: string;
  senderName: string;
  timeZone: string;
  opensAt: string;
  closesAt: string;
  statementMinWords: string;
  statementMaxWords: string;
  shortlistAt: string;
  ceremonyAt: string;
  eligibility: string;
  judgingCriteria: string;
  categories: CategoryRowValues[];
  faqs: Array<{ question: string; answer: string }>;
}

const PAGE_FIELDS = ['shortlistAt', 'ceremonyAt', 'eligibility', 'judgingCriteria'] as const;

const text = (value: unknown) => (typeof value === 'string' ? value : '');

/** The form's fields as typed, categories as rows `category-N-slug`, `-name`, `-description`, `-region`, `-remove`. */
function formValues(body: Record<string, unknown>): FormValues {
  const categories: CategoryRowValues[] = [];
  for (let i = 0; i < MAX_CATEGORIES + BLANK_ROWS; i++) {
    const row = Object.fromEntries(CATEGORY_FIELDS.map((f) => [f, text(body[`category-${i}-${f}`])])) as Record<(typeof CATEGORY_FIELDS)[number], string>;
    const existing = body[`category-${i}-existing`] === '1';
    if (!existing && CATEGORY_FIELDS.every((f) => !row[f].trim())) continue;
    categories.push({ ...row, existing, remove: body[`category-${i}-remove`] === 'on' });
  }
  const faqs: FormValues['faqs'] = [];
  for (let i = 0; i < PAGE_LIMITS.faqs + BLANK_FAQS; i++) {
    const faq = { question: text(body[`faq-${i}-question`]), answer: text(body[`faq-${i}-answer`]) };
    if (faq.question.trim() || faq.answer.trim()) faqs.push(faq);
  }
  const fields = ['slug', 'code', 'name', 'description', 'senderName', 'timeZone', 'opensAt', 'closesAt', 'statementMinWords', 'statementMaxWords', ...PAGE_FIELDS] as const;
  return { ...(Object.fromEntries(fields.map((f) => [f, text(body[f])])) as Omit<FormValues, 'categories' | 'faqs'>), categories, faqs };
}

function valuesOf(p: Programme): FormValues {
  const zone = p.row.time_zone;
  return {
    slug: p.row.slug,
    code: p.row.code,
    name: p.row.name,
    description: p.row.description,
    senderName: p.row.sender_name ?? '',
    timeZone: zone,
    opensAt: localDateTime(p.opensAt, zone),
    closesAt: localDateTime(p.closesAt, zone),
    statementMinWords: String(p.row.statement_min_words),
    statementMaxWords: String(p.row.statement_max_words),
    shortlistAt: p.row.shortlist_at ? localDateTime(toDate(p.row.shortlist_at)!, zone) : '',
    ceremonyAt: p.row.ceremony_at ? localDateTime(toDate(p.row.ceremony_at)!, zone) : '',
    eligibility: p.row.eligibility ?? '',
    judgingCriteria: p.row.judging_criteria ?? '',
    categories: p.categories.map((c) => ({ slug: c.slug, name: c.name, description: c.description, region: c.region ?? '', existing: true, remove: false })),
    faqs: faqsOf(p.row),
  };
}

const words = (value: string) => (value.trim() === '' ? undefined : Number(value));

/** The service's input from the form; `rowOf[k]` is the form row of the k-th category kept. */
function programmeFields(values: FormValues) {
  const kept = values.categories.map((c, row) => ({ c, row })).filter(({ c }) => !c.remove);
  return {
    rowOf: kept.map(({ row }) => row),
    fields: {
      name: values.name,
      description: values.description,
      senderName: values.senderName,
      timeZone: values.timeZone,
      opensAt: values.opensAt,
      closesAt: values.closesAt,
      statementMinWords: words(values.statementMinWords),
      statementMaxWords: words(values.statementMaxWords),
      categories: kept.map(({ c }) => ({ slug: c.slug.trim(), name: c.name, description: c.description, region: c.region || undefined })),
      // Blank key dates and texts clear them; the FAQ rows are those with anything typed.
      shortlistAt: values.shortlistAt.trim() || null,
      ceremonyAt: values.ceremonyAt.trim() || null,
      eligibility: values.eligibility,
      judgingCriteria: values.judgingCriteria,
      faqs: values.faqs,
    },
  };
}

/** Messages keyed by the form's field names: a category's beside its row (`category-2-name`). */
function formErrors(error: z.ZodError, rowOf: number[]): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const issue of error.issues) {
    const [field, index, sub] = issue.path;
    const key =
      field === 'categories' && typeof index === 'number' && sub
        ? `category-${rowOf[index]}-${String(sub)}`
        : field === 'faqs' && typeof index === 'number' && sub
          ? `faq-${index}-${String(sub)}`
          : String(field ?? '_');
    errors[key] ??= issue.message;
  }
  return errors;
}

function missingDates(values: FormValues): Record<string, string> {
  const errors: Record<string, string> = {};
  if (!values.opensAt.trim()) errors.opensAt = 'Enter the date and time entries open.';
  if (!values.closesAt.trim()) errors.closesAt = 'Enter the date and time entries close.';
  return errors;
}

/** Domain refusals shown beside the field they concern, or null for any other error. */
function serviceErrors(err: unknown): Record<string, string> | null {
  if (!(err instanceof AppError)) return null;
  if (err.fields) return err.fields;
  if (err.code === 'programme_exists') return { slug: err.message };
  if (err.code === 'category_in_use') return { categories: err.message };
  return null;
}

const LABELS = {
  slug: 'Address (slug)',
  code: 'Code',
  name: 'Programme name',
  description: 'Description',
  senderName: 'Sender name',
  timeZone: 'Time zone',
  opensAt: 'Entries open',
  closesAt: 'Entries close',
  statementMinWords: 'Fewest words',
  statementMaxWords: 'Most words',
  shortlistAt: 'Shortlist announced',
  ceremonyAt: 'Awards ceremony',
  eligibility: 'Who can enter',
  judgingCriteria: 'How entries are judged',
  categories: 'Categories',
  faqs: 'Questions entrants ask',
};

export function programmeConsoleRoutes(deps: { db: Db; csrf: Csrf }): Router {
  const router = Router();
  const { db, csrf } = deps;
  const post = [...formBody('200kb', FORM_FIELDS), csrf.protect, csrf.provideToken];
  router.use('/programmes', requireRole(...EDITORS));

  router.get('/programmes', async (req, res) => {
    const programmes = await listProgrammesWithEntryCounts(db);
    renderConsole(req, res, 'awards/views/console-programmes.njk', {
      title: 'Programmes',
      programmes: programmes.map((p) => ({
        slug: p.row.slug,
        code: p.row.code,
        name: p.row.name,
        state: p.state,
        zone: p.row.time_zone,
        opens: p.opens,
        deadline: p.deadline,
        opensAt: p.opensAt.toISOString(),
        closesAt: p.closesAt.toISOString(),
        categories: p.categories.length,
        entries: p.entries.total,
      })),
    });
  });

  function renderForm(req: Request, res: Response, status: number, data: { programme: Programme | null; values: FormValues; errors: Record<string, string> }) {
    const { values } = data;
    // Blank rows to add categories; a row keeps its number across a re-render so its messages stay beside it.
    const rows = [...values.categories, ...Array.from({ length: BLANK_ROWS }, () => ({ slug: '', name: '', description: '', region: '', existing: false, remove: false }))];
    const zones = timeZones();
    const faqRows = [...values.faqs, ...Array.from({ length: Math.min(BLANK_FAQS, PAGE_LIMITS.faqs - values.faqs.length) }, () => ({ question: '', answer: '' }))];
    renderConsole(req, res, 'awards/views/console-programme.njk', {
      title: data.programme ? `Edit ${data.programme.row.name}` : 'New programme',
      creating: !data.programme,
      action: data.programme ? `/admin/programmes/${data.programme.row.slug}` : '/admin/programmes',
      savedZone: data.programme?.row.time_zone ?? null,
      values,
      rows,
      faqRows,
      pageLimits: PAGE_LIMITS,
      errors: data.errors,
      // The summary names a FAQ row's field as the form shows it ("Question 2: answer").
      labels: { ...LABELS, ...Object.fromEntries(faqRows.flatMap((_, i) => [[`faq-${i}-question`, `Question ${i + 1}`], [`faq-${i}-answer`, `Question ${i + 1}, answer`]])) },
      zones: zones.includes(values.timeZone) || !values.timeZone ? zones : [values.timeZone, ...zones],
      wordLimits: WORD_LIMITS,
    }, status);
  }

  const blank = (): FormValues => ({
    slug: '', code: '', name: '', description: '', senderName: '', timeZone: 'Europe/London', opensAt: '', closesAt: '',
    statementMinWords: String(WORD_LIMITS.min), statementMaxWords: String(WORD_LIMITS.max),
    shortlistAt: '', ceremonyAt: '', eligibility: '', judgingCriteria: '', categories: [], faqs: [],
  });

  router.get('/programmes/new', csrf.provideToken, (req, res) => renderForm(req, res, 200, { programme: null, values: blank(), errors: {} }));

  router.post('/programmes', ...post, async (req, res) => {
    const values = formValues(req.body ?? {});
    const { fields, rowOf } = programmeFields(values);
    const parsed = programmeInput.safeParse({ ...fields, slug: values.slug.trim(), code: values.code });
    const errors = { ...(parsed.success ? {} : formErrors(parsed.error, rowOf)), ...missingDates(values) };
    if (RESERVED_SLUGS.has(values.slug.trim())) errors.slug = 'This address is taken by the console’s own pages; choose another.';
    if (!parsed.success || Object.keys(errors).length) return renderForm(req, res, 422, { programme: null, values, errors });
    try {
      const programme = await createProgramme(db, parsed.data);
      setFlash(res, `${programme.row.name} created.`);
      res.redirect(303, `/admin/programmes/${programme.row.slug}`);
    } catch (err) {
      const shown = serviceErrors(err);
      if (!shown) throw err;
      renderForm(req, res, err instanceof AppError ? err.status : 422, { programme: null, values, errors: shown });
    }
  });

  router.get('/programmes/:slug', csrf.provideToken, async (req, res) => {
    const programme = await findProgramme(db, String(req.params.slug));
    renderForm(req, res, 200, { programme, values: valuesOf(programme), errors: {} });
  });

  router.post('/programmes/:slug', ...post, async (req, res) => {
    const programme = await findProgramme(db, String(req.params.slug));
    // The address and code stay: links and entry references are made from them.
    const values = { ...formValues(req.body ?? {}), slug: programme.row.slug, code: programme.row.code };
    const { fields, rowOf } = programmeFields(values);
    const parsed = programmePatch.safeParse(fields);
    const errors = { ...(parsed.success ? {} : formErrors(parsed.error, rowOf)), ...missingDates(values) };
    if (!parsed.success || Object.keys(errors).length) return renderForm(req, res, 422, { programme, values, errors });
    try {
      const saved = await updateProgramme(db, programme.row.slug, parsed.data);
      setFlash(res, `${saved.row.name} saved.`);
      res.redirect(303, `/admin/programmes/${saved.row.slug}`);
    } catch (err) {
      const shown = serviceErrors(err);
      if (!shown) throw err;
      renderForm(req, res, err instanceof AppError ? err.status : 422, { programme, values, errors: shown });
    }
  });

  return router;
}
