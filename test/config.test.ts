import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../src/config';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'masthead-config-'));

describe('configuration', () => {
  it('has the contract defaults', () => {
    const dir = tmp();
    const config = loadConfig({ DATA_DIR: dir });
    assert.equal(config.port, 3000);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.baseUrl, 'http://localhost:3000');
    assert.equal(config.databaseUrl, null);
    assert.equal(config.smtpUrl, null);
    assert.equal(config.mailFrom, 'Masthead <newsletter@localhost>');
    assert.equal(config.sendConcurrency, 4);
    assert.equal(config.sendRate, 0);
    assert.equal(config.sendLeaseSeconds, 60);
    assert.equal(config.feedPollMinutes, 15);
    assert.equal(config.publicRateLimit, 30);
    assert.equal(config.dkim, null);
    assert.ok(Object.isFrozen(config));
  });

  it('stops on a bad value with one line naming the variable', () => {
    const cases: Record<string, string> = {
      PORT: 'eighty',
      BASE_URL: 'localhost:3000',
      DATABASE_URL: 'mysql://somewhere/db',
      SMTP_URL: 'not a url',
      SEND_RATE: '-1',
      SEND_CONCURRENCY: '0',
      PUBLIC_RATE_LIMIT: '-5',
      SEND_LEASE_SECONDS: '1.5',
      NODE_ENV: 'staging',
    };
    for (const [name, value] of Object.entries(cases)) {
      assert.throws(
        () => loadConfig({ DATA_DIR: tmp(), [name]: value }),
        (err: Error) => err instanceof ConfigError && err.message.includes(name) && !err.message.includes('\n'),
        `${name}=${value}`,
      );
    }
  });

  it('generates ADMIN_TOKEN and SECRET once outside production and keeps them private in DATA_DIR', () => {
    const dir = tmp();
    const first = loadConfig({ DATA_DIR: dir });
    const second = loadConfig({ DATA_DIR: dir });
    assert.equal(first.adminToken, second.adminToken);
    assert.equal(first.secret, second.secret);
    assert.notEqual(first.adminToken, first.secret);
    assert.ok(first.adminToken.length >= 32);
    assert.equal(first.generatedSecretFiles.adminToken, path.join(dir, 'admin-token'));
    assert.equal(readFileSync(path.join(dir, 'admin-token'), 'utf8').trim(), first.adminToken);
    assert.equal(statSync(path.join(dir, 'secret')).mode & 0o777, 0o600);
    const given = loadConfig({ DATA_DIR: tmp(), ADMIN_TOKEN: 'a-token-from-the-environment', SECRET: 'a-secret-from-the-environment' });
    assert.equal(given.adminToken, 'a-token-from-the-environment');
    assert.equal(given.generatedSecretFiles.adminToken, null);
  });

  it('refuses to start in production without ADMIN_TOKEN or SECRET', () => {
    assert.throws(() => loadConfig({ NODE_ENV: 'production', DATA_DIR: tmp(), SECRET: 'x'.repeat(32) }), /ADMIN_TOKEN/);
    assert.throws(() => loadConfig({ NODE_ENV: 'production', DATA_DIR: tmp(), ADMIN_TOKEN: 'x'.repeat(32) }), /SECRET/);
  });

  it('turns DKIM on only when all three settings are given', () => {
    assert.equal(loadConfig({ DATA_DIR: tmp(), DKIM_DOMAIN: 'example.com' }).dkim, null);
    assert.throws(
      () => loadConfig({ DATA_DIR: tmp(), DKIM_DOMAIN: 'example.com', DKIM_SELECTOR: 's1', DKIM_PRIVATE_KEY_FILE: '/nonexistent/key.pem' }),
      /DKIM_PRIVATE_KEY_FILE/,
    );
  });
});
