// The receipt's "Print / save as PDF" button: shown only where scripts run, as it needs one.
document.querySelectorAll('[data-print]').forEach(function (button) {
  button.hidden = false;
  button.addEventListener('click', function () { window.print(); });
});
