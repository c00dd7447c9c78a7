/**
 * A web chat client that connects from a chosen loopback address (127.0.0.x), so one test
 * machine can be many clients as the service sees them (the address is the per-client limit's
 * key). Linux routes all of 127.0.0.0/8 to the loopback interface.
 */
import http from 'node:http';

export interface WebAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The parsed JSON body, or undefined when it is not JSON. */
  json: Record<string, unknown> | undefined;
  text: string;
}

export function webRequest(url: string, options: { method?: 'GET' | 'POST'; from?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<WebAnswer> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      {
        method: options.method ?? 'GET',
        localAddress: options.from ?? '127.0.0.1',
        headers: { ...(payload === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: Record<string, unknown> | undefined;
          try {
            json = JSON.parse(text) as Record<string, unknown>;
          } catch {
            json = undefined;
          }
          resolve({ status: response.statusCode ?? 0, headers: response.headers, json, text });
        });
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}
