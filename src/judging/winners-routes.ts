import { Router } from 'express';
import type { Db } from '../db';
import { toDate } from '../db';
import { findProgramme } from '../awards/service';
import { formatInZone } from '../awards/time';
import { listWinnersAndShortlisted } from './queries';

/**
 * GET /awards/:programme/winners: after the release, the winners and the shortlist of each
 * category (organisation, and nominee and website unless the entrant kept them from
 * publication); before it, 404 with a page saying when results are announced.
 */
export function winnersRoutes(deps: { db: Db }): Router {
  const router = Router();

  router.get('/awards/:programme/winners', async (req, res) => {
    const p = await findProgramme(deps.db, String(req.params.programme));
    const releaseAt = toDate(p.row.results_release_at);
    if (!p.row.results_released_at) {
      res.status(404).render('judging/views/winners.njk', {
        title: `${p.row.name}: results`,
        p,
        released: false,
        announced: releaseAt ? formatInZone(releaseAt, p.row.time_zone) : null,
        announcedAt: releaseAt?.toISOString() ?? null,
      });
      return;
    }
    const rows = await listWinnersAndShortlisted(deps.db, p.row.id);
    const categories = p.categories
      .map((c) => ({
        name: c.name,
        entries: rows
          .filter((r) => r.category_id === c.id)
          .map((r) => {
            const hidden: string[] = r.not_for_publication ? JSON.parse(r.not_for_publication) : [];
            return {
              winner: r.status === 'winner',
              organisation: r.organisation,
              nominee: hidden.includes('nominee') ? null : r.nominee,
              website: hidden.includes('website') ? null : r.website,
            };
          }),
      }))
      .filter((c) => c.entries.length);
    res.render('judging/views/winners.njk', { title: `${p.row.name}: winners and shortlist`, p, released: true, categories });
  });

  return router;
}
