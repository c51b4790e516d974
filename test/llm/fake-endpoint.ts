import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small OpenAI-protocol server on 127.0.0.1 for the endpoint-layer tests: POST /v1/chat/completions
 * answers `reply <n>` (n counts the answered requests), or a call of the first tool when tools are
 * offered, with a fixed usage, unless told to fail. Every
 * request that reaches it is recorded, failed ones included, so tests count what the server saw.
 */

export type Behaviour =
  | { do: 'ok'; delayMs?: number }
  | { do: 'status'; status: number; message?: string; headers?: Record<string, string> }
  | { do: 'reset' }
  /** Never answers (a hung server): for timeouts and aborts of a request in flight. */
  | { do: 'hang' };

export interface Received {
  at: number;
  authorization: string | undefined;
  body: Record<string, unknown>;
}

interface Tool {
  function: { name: string };
}

/** With tools offered, the reply calls the first one (as vLLM and `transformers serve` return tool calls). */
function toolChoice(n: number, tools: Tool[]) {
  const call = { id: `call-${n}`, type: 'function', function: { name: tools[0]!.function.name, arguments: JSON.stringify({ question: `Is it ${n}?` }) } };
  return { index: 0, finish_reason: 'tool_calls', message: { role: 'assistant', content: null, tool_calls: [call] } };
}

export const USAGE = { prompt_tokens: 40, completion_tokens: 6 };

export class FakeEndpoint {
  readonly received: Received[] = [];
  /** Behaviours for the next requests, in order; then `always`. */
  readonly next: Behaviour[] = [];
  always: Behaviour = { do: 'ok' };
  private answered = 0;
  private readonly server: Server;
  private readonly hung: ServerResponse[] = [];

  private constructor() {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  static async start(): Promise<FakeEndpoint> {
    const f = new FakeEndpoint();
    await new Promise<void>((resolve) => f.server.listen(0, '127.0.0.1', resolve));
    return f;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let text = '';
    for await (const chunk of req) text += chunk;
    if (req.url !== '/v1/chat/completions') {
      res.writeHead(404).end();
      return;
    }
    const body = JSON.parse(text) as Record<string, unknown>;
    this.received.push({ at: performance.now(), authorization: req.headers.authorization, body });
    const b = this.next.shift() ?? this.always;
    switch (b.do) {
      case 'reset':
        req.socket.destroy();
        return;
      case 'hang':
        this.hung.push(res);
        return;
      case 'status':
        res.writeHead(b.status, { 'content-type': 'application/json', ...b.headers });
        res.end(JSON.stringify({ error: { message: b.message ?? `status ${b.status}`, type: 'test' } }));
        return;
      case 'ok': {
        if (b.delayMs) await new Promise((r) => setTimeout(r, b.delayMs));
        const n = ++this.answered;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            id: `chatcmpl-${n}`,
            object: 'chat.completion',
            created: 0,
            model: body.model,
            choices: [Array.isArray(body.tools) ? toolChoice(n, body.tools as Tool[]) : { index: 0, finish_reason: 'stop', message: { role: 'assistant', content: `reply ${n}` } }],
            usage: { ...USAGE, total_tokens: USAGE.prompt_tokens + USAGE.completion_tokens },
          }),
        );
      }
    }
  }

  async close(): Promise<void> {
    for (const res of this.hung) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
