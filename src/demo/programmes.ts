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

export async function loadDemoProgrammes(db: Db, now = new Date()) {
  const existing = await db('programmes').count({ n: '*' });
  if (Number(existing[0].n) > 0) return;
  const year = now.getUTCFullYear();
  const openYear = year + 1; // this call's awards are presented next year
  // 23:59 London time on the last day of the fifth month from now (a local time: read in the programme's zone).
  const lastDay = new Date(Date.UTC(year, now.getUTCMonth() + 6, 0)).toISOString().slice(0, 10);
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
    },
    now,
  );
}
