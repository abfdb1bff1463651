import type { Knex } from 'knex';

// The programme's own pages: two more key dates (shortlist, ceremony), and the texts an
// entrant reads before entering (eligibility, judging criteria, FAQs as a JSON list of
// {question, answer}). All optional, so existing programmes stay valid.

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('programmes', (t) => {
    t.timestamp('shortlist_at', { useTz: true }).nullable();
    t.timestamp('ceremony_at', { useTz: true }).nullable();
    t.text('eligibility').nullable();
    t.text('judging_criteria').nullable();
    t.text('faqs').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('programmes', (t) => {
    t.dropColumn('shortlist_at');
    t.dropColumn('ceremony_at');
    t.dropColumn('eligibility');
    t.dropColumn('judging_criteria');
    t.dropColumn('faqs');
  });
}
