import nodemailer from 'nodemailer';
import { createPipelinePool } from '../src/mail/pipeline-pool';
import { startSink } from './send';

/**
 * The SMTP transport alone: N prebuilt messages of about 70 KB over 4 connections from 8
 * lanes (as the sender runs them) to the counting sink in its own process, pipelined
 * (src/mail/smtp-pipeline.ts) and through Nodemailer's pool with `raw`. Two rounds each,
 * the second reported (the first warms up both sides).
 */
export async function benchSmtpTransport(n = 4000) {
  const sink = await startSink();
  const line = '<p>Central banks held their nerve and lenders repriced fixed deals.</p>\r\n';
  const body = Buffer.from(`From: news@bench.example\r\nTo: reader@bench.example\r\nSubject: Bench\r\n\r\n${line.repeat(1000)}`);
  async function rate(send: (i: number) => Promise<unknown>) {
    const start = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (next < n) await send(next++);
    }));
    const perSecond = n / ((performance.now() - start) / 1000);
    if ((await sink.count()) !== n) throw new Error('the sink did not get every message');
    await sink.reset();
    return perSecond;
  }
  const figures = { pipelined: 0, nodemailer: 0 };
  for (let round = 0; round < 2; round++) {
    const pool = createPipelinePool({ url: sink.url }, 4);
    figures.pipelined = await rate((i) => pool.send('news@bench.example', `reader${i}@bench.example`, body));
    pool.close();
    const transport = nodemailer.createTransport({ url: sink.url, pool: true, maxConnections: 4, maxMessages: Infinity } as never);
    figures.nodemailer = await rate((i) => transport.sendMail({ envelope: { from: 'news@bench.example', to: `reader${i}@bench.example` }, raw: body }));
    transport.close();
  }
  sink.child.disconnect();
  console.log(
    `transport: ${n} messages of ${Math.round(body.length / 1024)} KB, 4 connections: pipelined ${Math.round(figures.pipelined)} msg/s, ` +
      `Nodemailer raw ${Math.round(figures.nodemailer)} msg/s, ratio ${(figures.pipelined / figures.nodemailer).toFixed(2)}x`,
  );
}
