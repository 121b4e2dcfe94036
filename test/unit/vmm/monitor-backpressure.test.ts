/**
 * A monitor client that sends commands and never reads their output must not make the VMM
 * buffer without limit (1,500 `xp/262144x 0` used to exhaust V8's heap): the next command
 * waits until the socket took the previous one's output, and the socket is not read while
 * too many lines wait.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { MonitorSession, PROMPT } from '../../../src/vmm/monitor/session.js';
import { MonitorUnixServer } from '../../../src/vmm/monitor/unix-server.js';

const dir = mkdtempSync(join(tmpdir(), 'ngkvm-monbp-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('unix monitor: a client that never reads stalls its commands after one output; reading resumes them, nothing lost', async () => {
  const LINES = 200;
  // More than a UNIX socket's kernel buffer (~200 KiB), as the 4 MiB of `xp/262144x 0` is.
  const OUTPUT = 'x'.repeat(512 << 10) + '\n';
  let executed = 0;
  let throttled = false;
  let sawBlocked: () => void = () => {};
  const blocked = new Promise<void>((resolve) => (sawBlocked = resolve));
  const path = join(dir, 'mon.sock');
  const server = new MonitorUnixServer(
    path,
    false,
    (write) =>
      new MonitorSession({
        version: 'test',
        execute: (line) => {
          executed++;
          if (executed === LINES) sawBlocked(); // without backpressure every line runs at once
          return Promise.resolve(line === 'xp/262144x 0' ? OUTPUT : 'unexpected\n');
        },
        write: (text) => {
          const r = write(text);
          if (r !== undefined) sawBlocked();
          return r;
        },
      }),
    () => {},
    (paused) => {
      if (paused) throttled = true;
    },
  );
  await server.open();
  const client = connect(path);
  await new Promise<void>((resolve) => client.once('connect', () => resolve()));
  client.pause();
  client.write('xp/262144x 0\n'.repeat(LINES));
  await blocked;
  assert.equal(executed, 1, 'one command ran; the others wait for its output to be taken');
  assert.ok(throttled, 'the socket is no longer read while lines wait');

  // Now the client reads: every command runs, in order, each output followed by a prompt.
  let received = 0;
  let prompts = 0;
  let tail = '';
  const all = new Promise<void>((resolve) => {
    client.on('data', (b: Buffer) => {
      received += b.length;
      const text = tail + b.toString('latin1');
      prompts += text.split(PROMPT).length - 1;
      tail = text.slice(-(PROMPT.length - 1));
      if (prompts === LINES + 1) resolve();
    });
  });
  client.resume();
  await all;
  assert.equal(executed, LINES);
  assert.ok(received > LINES * OUTPUT.length, `${received} bytes received`);
  client.destroy();
  await server.close();
});
