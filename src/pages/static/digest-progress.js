// Live progress on a send's page (/admin/digests/:id): every second, reads the send's JSON
// and updates the counts, the bar, the recent errors and which controls apply. Without this
// file the page shows the same by reload.
(() => {
  const root = document.querySelector('[data-progress-url]');
  if (!root) return;
  const url = root.dataset.progressUrl;
  const ENDED = ['sent', 'cancelled', 'failed'];
  const minute = (iso) => (iso ? iso.slice(0, 16).replace('T', ' ') : '—');
  const set = (name, value) => {
    for (const el of document.querySelectorAll(`[data-field="${name}"]`)) if (el.textContent !== String(value)) el.textContent = String(value);
  };

  function show(p) {
    const done = p.counts.sent + p.counts.failed;
    set('status', p.status);
    set('reason', p.reason ? ` — ${p.reason}` : '');
    set('done', done);
    set('recipients', p.recipients);
    set('percent', p.recipients ? Math.floor((done / p.recipients) * 100) : 0);
    for (const name of ['sent', 'failed', 'sending', 'queued', 'bounced', 'complaints', 'unsubscribed']) set(name, p.counts[name]);
    set('warning', p.warning ?? '');
    for (const el of document.querySelectorAll('[data-field="warning"]')) el.hidden = !p.warning;
    set('started', minute(p.startedAt));
    set('finished', minute(p.finishedAt));
    const bar = root.querySelector('progress');
    bar.max = Math.max(p.recipients, 1);
    bar.value = done;
    for (const form of root.querySelectorAll('form[data-when]')) {
      form.hidden = !form.dataset.when.split(' ').includes(p.status) || ('needsFailed' in form.dataset && p.counts.failed === 0);
    }
    const table = document.querySelector('[data-errors]');
    const body = table.querySelector('tbody');
    body.replaceChildren(
      ...p.lastErrors.map((e) => {
        const row = document.createElement('tr');
        for (const [value, number] of [[e.email], [e.status], [e.attempts, true], [e.error]]) {
          const cell = row.insertCell();
          cell.textContent = String(value);
          if (number) cell.className = 'number';
        }
        return row;
      }),
    );
    table.hidden = p.lastErrors.length === 0;
    document.querySelector('[data-no-errors]').hidden = p.lastErrors.length > 0;
  }

  async function tick() {
    let ended = false;
    try {
      const response = await fetch(url, { headers: { accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' });
      if (response.ok) {
        const progress = await response.json();
        show(progress);
        ended = ENDED.includes(progress.status) && progress.counts.queued + progress.counts.sending === 0;
      }
    } catch {
      // A missed tick (the network, a restart) is followed by the next one.
    }
    if (!ended) setTimeout(tick, 1000);
  }
  setTimeout(tick, 1000);
})();
