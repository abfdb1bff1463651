// HTML that MJML compiled from these templates, as the digest's web view serves it (the same
// markup the email carries): the site's rules (../.htmlvalidate.mjs), less the three that
// forbid what email HTML must do to render in mail clients. Each is named with its reason.
export default {
  root: false,
  rules: {
    // Gmail and many webmail clients drop or rewrite <style> blocks; only inline styles
    // reliably reach every client, so MJML inlines them on purpose.
    'no-inline-style': 'off',
    // Outlook on Windows renders with Word's engine, which understands tables only through
    // presentational attributes (align, width, cellpadding, cellspacing, bgcolor, valign).
    'no-deprecated-attr': 'off',
    // …and is reached only through conditional comments (<!--[if mso]>), which every other
    // client, browsers included, reads as comments.
    'no-conditional-comment': 'off',
    // MJML wraps the message in <div role="article" aria-roledescription="email"> so screen
    // readers announce an email; many mail clients strip or restyle <article>.
    'prefer-native-element': ['error', { exclude: ['article'] }],
  },
};
