/* eslint-disable @typescript-eslint/no-explicit-any -- tests read arbitrary JSON bodies, valid or not */
export interface TestResponse<Body = any> {
  status: number;
  headers: Headers;
  /** Parsed JSON when the response is JSON, else undefined. */
  body: Body;
  /** The raw body, for byte-for-byte comparisons. */
  text: string;
}

export interface TestRequest {
  /** Sent as JSON unless it is a string, which is sent as it is (malformed JSON tests). */
  body?: unknown;
  token?: string;
  headers?: Record<string, string>;
}

/**
 * A tiny HTTP client for tests: real requests, no typing of the body, so tests can send
 * anything a misbehaving client would.
 */
export function httpClient(baseUrl: string) {
  async function request<Body = any>(
    method: string,
    path: string,
    options: TestRequest = {},
  ): Promise<TestResponse<Body>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.Authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      headers['Content-Type'] ??= 'application/json';
    }
    const response = await fetch(baseUrl + path, { method, headers, body });
    const text = await response.text();
    const isJson = /json/.test(response.headers.get('content-type') ?? '');
    return {
      status: response.status,
      headers: response.headers,
      body: isJson && text ? JSON.parse(text) : undefined,
      text,
    };
  }
  return {
    request,
    get: <Body = any>(path: string, options?: TestRequest) => request<Body>('GET', path, options),
    post: <Body = any>(path: string, options?: TestRequest) => request<Body>('POST', path, options),
    put: <Body = any>(path: string, options?: TestRequest) => request<Body>('PUT', path, options),
    patch: <Body = any>(path: string, options?: TestRequest) => request<Body>('PATCH', path, options),
    delete: <Body = any>(path: string, options?: TestRequest) => request<Body>('DELETE', path, options),
  };
}

export type HttpClient = ReturnType<typeof httpClient>;
