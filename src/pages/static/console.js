// Console enhancements; every page works without this file.
// A form with data-confirm asks before it is sent (the server asks again where it matters).
document.addEventListener('submit', (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) event.preventDefault();
});
