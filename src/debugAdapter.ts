#!/usr/bin/env node
/**
 * The debug adapter, standalone: `node dist/debugAdapter.js` speaks the
 * Debug Adapter Protocol on stdin/stdout; `--server=PORT` listens on
 * 127.0.0.1:PORT instead, one session per connection. The VS Code
 * extension starts it as a process of its own, so a running Guest never
 * holds up the editor.
 */
import { createServer } from 'node:net';
import { LguestDebugSession } from './debugAdapter/session';

function main(argv: string[]): void {
  const server = argv.map((a) => /^--server=(\d+)$/.exec(a)).find((m) => m !== null);
  if (server) {
    const port = Number(server[1]);
    const srv = createServer((socket) => {
      const session = new LguestDebugSession();
      session.setRunAsServer(true);
      session.start(socket, socket);
    });
    srv.listen(port, '127.0.0.1', () => process.stderr.write(`lguest debug adapter listening on 127.0.0.1:${(srv.address() as { port: number }).port}\n`));
    return;
  }
  const session = new LguestDebugSession();
  process.on('SIGTERM', () => session.shutdown());
  session.start(process.stdin, process.stdout);
}

main(process.argv.slice(2));
