import type { Db } from '../db';
import { findAnyArticleId } from '../articles/queries';
import { articleInput } from '../articles/schema';
import { upsertArticle } from '../articles/service';

/**
 * A dozen demo finance articles for an empty database, so a fresh `npm start` can preview a
 * real-looking digest of every topic. The copy is original, written for Masthead; the
 * companies and people in it are invented. Publication times are set relative to the moment
 * of loading, inside the digest's 7-day window.
 */

interface DemoArticle {
  topic: string;
  slug: string;
  hoursAgo: number;
  title: string;
  summary: string;
  author: string;
  tags: string[];
  /** The summary stands for a longer piece, so its reading time is given. */
  readingMinutes: number;
}

const DEMO_ARTICLES: DemoArticle[] = [
  {
    topic: 'finance',
    slug: 'central-banks-signal-patience-as-inflation-cools',
    hoursAgo: 5,
    title: 'Central banks signal patience as inflation cools faster than forecast',
    summary:
      'Policymakers on both sides of the Atlantic held rates this week and said they want several more months of soft price data before cutting. Bond markets took the message calmly: two-year yields eased, and traders pushed their first expected cut back to late spring.',
    author: 'Helena Marsh',
    tags: ['monetary policy', 'inflation', 'rates'],
    readingMinutes: 6,
  },
  {
    topic: 'finance',
    slug: 'corporate-treasurers-lock-in-longer-debt',
    hoursAgo: 29,
    title: 'Corporate treasurers rush to lock in longer debt before year end',
    summary:
      'Investment-grade issuers sold more ten-year paper in November than in any month since 2021, as finance chiefs bet that today’s spreads are as tight as they will get. Bankers say order books were covered four times on average, leaving little room for new-issue discounts.',
    author: 'Daniel Okafor',
    tags: ['bonds', 'corporate finance'],
    readingMinutes: 4,
  },
  {
    topic: 'finance',
    slug: 'small-business-lending-survey-q4',
    hoursAgo: 76,
    title: 'Small firms find credit easier to get, but still dearer than before the pandemic',
    summary:
      'A quarterly survey of 1,200 owner-managed businesses finds approval rates for overdrafts and term loans back at their highest in three years. Average pricing, however, remains about two percentage points above 2019 levels, and many owners say they are borrowing only to refinance.',
    author: 'Priya Raman',
    tags: ['SME', 'lending', 'survey'],
    readingMinutes: 5,
  },
  {
    topic: 'banking',
    slug: 'mid-sized-lenders-deposit-costs',
    hoursAgo: 9,
    title: 'Mid-sized lenders feel the squeeze as savers chase higher deposit rates',
    summary:
      'Regional banks are paying up to keep deposits, and their margins show it. Net interest income at the ten largest mid-sized lenders slipped for a third quarter running, while the biggest banks, with cheaper current-account funding, held theirs steady.',
    author: 'Tom Ellery',
    tags: ['deposits', 'net interest margin'],
    readingMinutes: 4,
  },
  {
    topic: 'banking',
    slug: 'branch-sharing-hubs-expand',
    hoursAgo: 52,
    title: 'Shared banking hubs spread to forty more market towns',
    summary:
      'Five high-street banks will staff shared counters in forty further towns that have lost their last branch. Each hub opens on set days for each bank, offering cash deposits, bill payments and appointments with a specialist, at a fraction of the cost of a full branch.',
    author: 'Aisha Bello',
    tags: ['branches', 'access to cash'],
    readingMinutes: 3,
  },
  {
    topic: 'banking',
    slug: 'capital-rules-final-text',
    hoursAgo: 101,
    title: 'Final capital rules leave banks with less to raise than first feared',
    summary:
      'The long-awaited final text of the new capital framework softens its treatment of mortgage risk weights and operational risk. Analysts now expect the largest lenders to need little or no fresh equity, and several hinted at resuming buybacks in the new year.',
    author: 'Helena Marsh',
    tags: ['regulation', 'capital'],
    readingMinutes: 7,
  },
  {
    topic: 'fintech',
    slug: 'instant-payments-merchants-adoption',
    hoursAgo: 14,
    title: 'Merchants warm to account-to-account payments as card fees bite',
    summary:
      'Online retailers that added pay-by-bank at checkout report that one in eight shoppers now chooses it, up from one in twenty a year ago. The draw for merchants is cost: settlement is instant and fees run at a fraction of card interchange, though refunds remain clumsier.',
    author: 'Marco Lindqvist',
    tags: ['payments', 'open banking'],
    readingMinutes: 4,
  },
  {
    topic: 'fintech',
    slug: 'neobank-first-annual-profit',
    hoursAgo: 64,
    title: 'A digital bank posts its first full-year profit, and investors ask what comes next',
    summary:
      'Nine years after launch, the app-only lender reported a small annual profit on the back of higher interest income and tighter marketing spend. Its founders want to expand into small-business lending; some backers would rather see the bank prove it can stay profitable when rates fall.',
    author: 'Grace Adeyemi',
    tags: ['neobanks', 'earnings'],
    readingMinutes: 5,
  },
  {
    topic: 'investing',
    slug: 'dividend-funds-inflows-return',
    hoursAgo: 20,
    title: 'Income funds win back savers as dividend payouts hit a record',
    summary:
      'Equity income funds took in fresh money for the first time in eighteen months, helped by record dividend payments from banks and energy companies. Fund managers caution that payout growth is likely to slow next year as earnings forecasts are trimmed.',
    author: 'Oliver Grant',
    tags: ['funds', 'dividends'],
    readingMinutes: 3,
  },
  {
    topic: 'investing',
    slug: 'private-credit-retail-access',
    hoursAgo: 88,
    title: 'Private credit opens its doors to ordinary investors, with strings attached',
    summary:
      'A new wave of semi-liquid funds promises retail investors a share of direct lending returns. The small print matters: redemptions are limited to a few percent of the fund each quarter, and valuations are set by the managers rather than by a market.',
    author: 'Priya Raman',
    tags: ['private markets', 'credit'],
    readingMinutes: 5,
  },
  {
    topic: 'insurance',
    slug: 'flood-cover-reinsurance-renewals',
    hoursAgo: 33,
    title: 'Reinsurers hold the line on property prices ahead of January renewals',
    summary:
      'After two years of steep increases, reinsurers are signalling flat pricing for property catastrophe cover at the January renewals. Brokers say capital has returned to the market, but underwriters remain unwilling to cut attachment points after a costly season of floods.',
    author: 'Tom Ellery',
    tags: ['reinsurance', 'catastrophe risk'],
    readingMinutes: 4,
  },
  {
    topic: 'insurance',
    slug: 'motor-premiums-repair-costs',
    hoursAgo: 112,
    title: 'Why motor premiums are still rising even as claims numbers fall',
    summary:
      'Fewer accidents are being reported, but each claim costs more: parts for sensor-laden cars are dearer, repairs take longer and courtesy cars are kept out for weeks. Insurers say premiums should level off next year once repair networks catch up.',
    author: 'Aisha Bello',
    tags: ['motor', 'claims'],
    readingMinutes: 4,
  },
];

export const DEMO_ARTICLE_BASE_URL = 'https://news.example.com';

/** Loads the demo articles unless the database has any article; returns how many it added. */
export async function loadDemoArticles(db: Db, now = new Date()): Promise<number> {
  if (await findAnyArticleId(db)) return 0;
  for (const demo of DEMO_ARTICLES) {
    const input = articleInput.parse({
      title: demo.title,
      url: `${DEMO_ARTICLE_BASE_URL}/${demo.topic}/${demo.slug}`,
      summary: demo.summary,
      topic: demo.topic,
      publishedAt: new Date(now.getTime() - demo.hoursAgo * 3_600_000).toISOString(),
      author: demo.author,
      tags: demo.tags,
      readingMinutes: demo.readingMinutes,
    });
    await upsertArticle(db, input, now);
  }
  return DEMO_ARTICLES.length;
}
