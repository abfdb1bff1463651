// The MJML compiler's own process (mjml-compiler.ts). Plain JavaScript, so the same file
// runs whether Masthead runs from src/ (tests) or from the bundle in dist/ (npm start).
const { default: mjml2html } = await import('mjml');

process.on('message', async ({ id, markup, options }) => {
  try {
    const compiled = await mjml2html(markup, options);
    process.send({ id, html: compiled.html, errors: compiled.errors.map((e) => e.formattedMessage) });
  } catch (err) {
    process.send({ id, failure: err instanceof Error ? err.message : String(err) });
  }
});
process.send({ ready: true });
// The parent gone (a crash, a test's end): nothing left to compile for.
process.on('disconnect', () => process.exit(0));
