import { SMTPServer } from 'smtp-server';

/**
 * The benchmark's mail server, in its own process so it does not share the sender's CPU
 * time with the sender. Reads every message whole and counts it; answers the parent's
 * 'count' and 'reset' messages over IPC.
 */
let messages = 0;
let bytes = 0;
const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  maxClients: 1000,
  onData(stream, _session, callback) {
    stream.on('data', (chunk: Buffer) => (bytes += chunk.length));
    stream.on('end', () => {
      messages++;
      callback();
    });
  },
});
server.on('error', () => {});
server.listen(0, '127.0.0.1', () => {
  const address = server.server.address() as { port: number };
  process.send?.({ port: address.port });
});
process.on('message', (msg: { type: string }) => {
  if (msg.type === 'count') process.send?.({ messages, bytes });
  if (msg.type === 'reset') {
    messages = 0;
    bytes = 0;
    process.send?.({ messages, bytes });
  }
});
process.on('disconnect', () => process.exit(0));
