import type { Db } from '../db';
import { createProgramme } from '../awards/service';
import type { ProgrammeInput } from '../awards/schema';

/**
 * Demo award programmes for an empty database: one open from the moment it is loaded until
 * months ahead, and last year's, closed. All copy is original, written for Masthead.
 */
const categories: ProgrammeInput['categories'] = [
  {
    slug: 'retail-bank-of-the-year',
    name: 'Retail Bank of the Year',
    description: 'For the bank whose everyday accounts, lending and service made the clearest difference to personal customers over the past twelve months.',
    region: null,
  },
  {
    slug: 'digital-banking-innovation',
    name: 'Digital Banking Innovation',
    description: 'For a launch that changed how customers bank: an app, a payment journey or an onboarding flow, judged on adoption and on the problem it solved.',
    region: null,
  },
  {
    slug: 'sustainable-finance-leader',
    name: 'Sustainable Finance Leader',
    description: 'For an institution that tied lending or investment to measurable environmental outcomes and reported on them openly.',
    region: null,
  },
  {
    slug: 'fintech-startup-of-the-year',
    name: 'Fintech Start-up of the Year',
    description: 'For a company founded in the last five years that has found real customers and shown it can grow responsibly.',
    region: null,
  },
  {
    slug: 'asset-manager-of-the-year',
    name: 'Asset Manager of the Year',
    description: 'For consistent, risk-aware performance and clear reporting to investors across market conditions.',
    region: null,
  },
  {
    slug: 'insurance-claims-excellence',
    name: 'Insurance Claims Excellence',
    description: 'For the insurer that settled claims fastest and fairest, with evidence from customer outcomes rather than promises.',
    region: null,
  },
  {
    slug: 'financial-inclusion-award',
    name: 'Financial Inclusion Award',
    description: 'For a product or programme that brought affordable financial services to people the mainstream market had left out.',
    region: 'Africa and the Middle East',
  },
];

const description = (year: number) =>
  `The Finance Ledger Awards ${year} celebrate the banks, insurers, investors and technology firms that served their customers best this year.

Entries are read by an independent panel of former bankers, analysts and consumer advocates. The panel looks for evidence: results you can show, customers you can name, and lessons you learned on the way. Shortlisted entrants are told in the spring and winners are announced at our ceremony in London.

Entering is free. Each organisation may enter any number of categories, once each.`;

const eligibility = `Any bank, building society, insurer, asset manager, payments firm or financial technology company may enter, whatever its size, provided it serves customers in the region the category names (worldwide where none is named).

The work you describe must have taken place, or shown its results, in the twelve months before the entry deadline. Consultancies and agencies may enter on a client's behalf with the client's written agreement. The Finance Ledger's own commercial partners may enter, but no judge who works with them scores their entries.`;

const judgingCriteria = `Every entry is scored by at least three judges, each working alone, on four things, equally weighted:

Impact: what changed for customers, and how many of them. Figures count for more than adjectives.
Evidence: results you can show (independent data, customer research, audited numbers) rather than intentions.
Originality: what you did that others in your market had not.
Responsibility: how you managed the risks to customers, to the firm and to the wider system on the way.

The highest-scoring entries in each category form the shortlist; the panel then meets to choose each winner. Judges declare any conflict of interest and never score an entry they are connected with.`;

const faqs = [
  { question: 'How much does it cost to enter?', answer: 'Nothing. Entering is free for every organisation, in every category.' },
  {
    question: 'Can we enter more than one category?',
    answer: 'Yes: an organisation may enter as many categories as fit its work, once each. Write each statement for its own category; the judges read them separately.',
  },
  {
    question: 'Will our figures be published?',
    answer:
      'No. Your statement and documents are read only by our awards team and the judges. The winners page names the organisation and, unless you ask us not to on the form, the nominee and website.',
  },
  {
    question: 'Can I change my entry after submitting it?',
    answer: 'Yes, until the deadline, through the private link in your confirmation email. Once the deadline passes, entries are fixed so every judge reads the same text.',
  },
];

export async function loadDemoProgrammes(db: Db, now = new Date()) {
  const existing = await db('programmes').count({ n: '*' });
  if (Number(existing[0].n) > 0) return;
  const year = now.getUTCFullYear();
  const openYear = year + 1; // this call's awards are presented next year
  // 23:59 London time on the last day of the fifth month from now (a local time: read in the programme's zone).
  const lastDay = new Date(Date.UTC(year, now.getUTCMonth() + 6, 0)).toISOString().slice(0, 10);
  // The shortlist six weeks after the deadline, the ceremony ten: local times in London.
  const afterDeadline = (days: number, time: string) => `${new Date(Date.parse(lastDay) + days * 86_400_000).toISOString().slice(0, 10)}T${time}`;
  await createProgramme(
    db,
    {
      slug: `finance-ledger-awards-${openYear}`,
      code: `FLA${String(openYear).slice(2)}`,
      name: `The Finance Ledger Awards ${openYear}`,
      description: description(openYear),
      opensAt: new Date(now.getTime() - 60_000).toISOString(),
      closesAt: `${lastDay}T23:59`,
      timeZone: 'Europe/London',
      statementMinWords: 50,
      statementMaxWords: 800,
      categories,
      shortlistAt: afterDeadline(42, '10:00'),
      ceremonyAt: afterDeadline(70, '19:00'),
      eligibility,
      judgingCriteria,
      faqs,
    },
    now,
  );
  const lastCloses = new Date(now.getTime() - 35 * 86_400_000);
  const lastYear = lastCloses.getUTCFullYear();
  await createProgramme(
    db,
    {
      slug: `finance-ledger-awards-${lastYear}`,
      code: `FLA${String(lastYear).slice(2)}`,
      name: `The Finance Ledger Awards ${lastYear}`,
      description: description(lastYear),
      opensAt: new Date(lastCloses.getTime() - 150 * 86_400_000).toISOString(),
      closesAt: lastCloses.toISOString(),
      timeZone: 'Europe/London',
      statementMinWords: 50,
      statementMaxWords: 800,
      categories: categories.slice(0, 6),
      eligibility,
      judgingCriteria,
    },
    now,
  );
}
