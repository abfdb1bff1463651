import { Router } from 'express';
import type { Config } from '../config';
import { defaultPrivacy, defaultTerms } from './site-copy';

/** /terms, /privacy and /contact: the publisher's own text (TERMS_FILE, PRIVACY_FILE) or the built-in copy. */
export function siteRoutes(deps: { config: Pick<Config, 'orgName' | 'postalAddress' | 'site'> }): Router {
  const router = Router();
  const { orgName, postalAddress, site } = deps.config;
  const publisher = { orgName, postalAddress, contactEmail: site.contactEmail };
  const terms = site.termsText ?? defaultTerms(publisher);
  const privacy = site.privacyText ?? defaultPrivacy(publisher);

  router.get('/terms', (_req, res) => res.render('pages/templates/site-text.njk', { title: 'Terms of entry', heading: 'Terms of entry', text: terms }));
  router.get('/privacy', (_req, res) => res.render('pages/templates/site-text.njk', { title: 'Privacy notice', heading: 'Privacy notice', text: privacy }));
  router.get('/contact', (_req, res) => res.render('pages/templates/contact.njk', { title: 'Contact us' }));
  return router;
}
