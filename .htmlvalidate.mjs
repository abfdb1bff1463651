// html-validate for every page Masthead serves (checked by test/pages-html.test.ts): the
// recommended rules. None is turned off; findings are fixed in the templates. One rule
// gets an option:
export default {
  root: true,
  extends: ['html-validate:recommended'],
  rules: {
    // A group of checkboxes sharing one name is how an HTML form sends a list (`topics`,
    // repeated, as CONTRACT.md specifies). By default the rule accepts a shared name only
    // for radio buttons and buttons; checkboxes are added, nothing else changes.
    'form-dup-name': ['error', { shared: ['radio', 'button', 'reset', 'submit', 'checkbox'] }],
  },
};
