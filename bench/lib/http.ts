// Small node:http JSON client: the harness's own calls (set-up, readiness, cold calls) and
// the reference's calls between its services.
import { Agent, request, type IncomingHttpHeaders } from 'node:http';

export interface TimedResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: unknown;
  text: string;
  milliseconds: number;
}

const keepAlive = new Agent({ keepAlive: true, maxSockets: 16 });

export function httpJson(
  url: string,
  options: {
    method?: string;
    body?: unknown;
    headers?: Record<string, string>;
    timeoutMs?: number;
    /** A new connection for this call alone (what a first caller pays). */
    freshConnection?: boolean;
    /** The keep-alive pool to use instead of the harness's own. */
    agent?: Agent;
  } = {},
): Promise<TimedResponse> {
  return new Promise((resolve, reject) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const startedAt = performance.now();
    const outgoing = request(
      url,
      {
        agent: options.freshConnection ? false : (options.agent ?? keepAlive),
        method: options.method ?? 'GET',
        headers: {
          ...options.headers,
          ...(payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
        },
        timeout: options.timeoutMs ?? 30_000,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            // not JSON: keep the text
          }
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body,
            text,
            milliseconds: performance.now() - startedAt,
          });
        });
        response.on('error', reject);
      },
    );
    outgoing.on('timeout', () =>
      outgoing.destroy(new Error(`timeout after ${options.timeoutMs ?? 30_000} ms: ${url}`)),
    );
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}

export function closeHttpAgents(): void {
  keepAlive.destroy();
}
