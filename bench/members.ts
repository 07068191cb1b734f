/**
 * Loopback members for `npm run bench`, in their own process so their CPU is not the daemon's or
 * the bench client's: N OpenAI-shape chat completion servers (vLLM's wire shape, with logprobs)
 * that answer after a fixed delay, like a model server whose generation takes that long.
 * Prints `{"ports": [...]}` on stdout once listening; stops on SIGTERM or when stdin closes.
 *
 *   node --import tsx bench/members.ts --count 3 --delay-ms 20
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { count: { type: 'string', default: '3' }, 'delay-ms': { type: 'string', default: '20' } } });
const count = Number(values.count);
const delayMs = Number(values['delay-ms']);

/** Member i favours a label; the body is built once (what a real server spends is the delay). */
function completion(i: number): string {
  const label = i % 3 === 2 ? 'feature' : 'bug';
  const other = label === 'bug' ? 'feature' : 'bug';
  const top = [
    { token: label, logprob: Math.log(0.8), bytes: [...Buffer.from(label)] },
    { token: other, logprob: Math.log(0.15), bytes: [...Buffer.from(other)] },
    { token: 'question', logprob: Math.log(0.05), bytes: [...Buffer.from('question')] },
  ];
  return JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created: 0,
    model: 'bench-model',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: label },
        logprobs: { content: [{ token: label, logprob: top[0]!.logprob, bytes: top[0]!.bytes, top_logprobs: top }] },
        finish_reason: 'stop',
      },
    ],
    usage: { prompt_tokens: 40, completion_tokens: 1, total_tokens: 41 },
  });
}

const models = JSON.stringify({ object: 'list', data: [{ id: 'bench-model', object: 'model', owned_by: 'vllm' }] });

const servers = await Promise.all(
  Array.from({ length: count }, async (_, i) => {
    const body = completion(i);
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.method === 'GET') {
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(models) }).end(models);
          return;
        }
        setTimeout(
          () => res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body),
          delayMs,
        );
      });
    });
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return server;
  }),
);
process.stdout.write(`${JSON.stringify({ ports: servers.map((s) => (s.address() as AddressInfo).port) })}\n`);
const stop = () => {
  for (const s of servers) s.closeAllConnections();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
