import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMjmlCompiler } from '../src/mail/mjml-compiler';
import { emailsDirectory } from '../src/mail/render';

/**
 * Issue 12 (memory): MJML runs in a process of its own that ends when idle, so a sender
 * personalising a digest for hours does not carry the compiler. It must still compile
 * what the emails need, report MJML's errors, and survive its process dying.
 */

const markup = (text: string) => `<mjml><mj-body><mj-section><mj-column><mj-text>${text}</mj-text></mj-column></mj-section></mj-body></mjml>`;
const options = { validationLevel: 'soft' as const, filePath: emailsDirectory };
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const waitUntil = async (what: string, condition: () => boolean, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

describe('the MJML compiler process', () => {
  it('compiles a burst in one process, which ends after the idle spell; the next burst starts another', async () => {
    const compiler = createMjmlCompiler({ idleMs: 300 });
    assert.equal(compiler.pid, null, 'nothing runs before it is needed');
    const results = await Promise.all(['First', 'Second', 'Third'].map((word) => compiler.compile(markup(word), options)));
    results.forEach((r, i) => assert.match(r.html, new RegExp(`${['First', 'Second', 'Third'][i]}`)));
    assert.ok(results.every((r) => /^<!doctype html>/i.test(r.html)), 'whole HTML documents');
    const first = compiler.pid;
    assert.ok(first && alive(first));
    await waitUntil('the idle compiler ended', () => compiler.pid === null && !alive(first!));
    const again = await compiler.compile(markup('Later'), options);
    assert.match(again.html, /Later/);
    assert.notEqual(compiler.pid, first, 'a new process for the new burst');
    await waitUntil('the second compiler ended', () => compiler.pid === null);
  });

  it('reports MJML’s validation messages', async () => {
    const compiler = createMjmlCompiler({ idleMs: 100 });
    const result = await compiler.compile('<mjml><mj-body><mj-section><mj-column><mj-text padding="lots">x</mj-text></mj-column></mj-section></mj-body></mjml>', { ...options, validationLevel: 'soft' });
    assert.ok(result.errors.some((e) => /padding/.test(e)), result.errors.join('; '));
  });

  it('fails what was in flight when its process dies, and works again after', async () => {
    const compiler = createMjmlCompiler({ idleMs: 100 });
    await compiler.compile(markup('Warm'), options);
    const pid = compiler.pid!;
    const inFlight = compiler.compile(markup('Lost'), options);
    process.kill(pid, 'SIGKILL');
    await assert.rejects(inFlight, /MJML compiler stopped/);
    const after = await compiler.compile(markup('Back'), options);
    assert.match(after.html, /Back/);
  });
});
