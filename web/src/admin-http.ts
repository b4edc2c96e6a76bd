// The admin API's fetch wrapper: JSON in and out, errors as ApiError with the server's
// `{ error: { code, message } }` and Retry-After. The shared api.ts keeps its request function private
// and clamps Retry-After to 120 s (right for votes, wrong for the 300 s login lockout), so only its body
// parser is reused here.
import { errorMessage } from './admin-model.ts';
import { parseErrorBody } from './api.ts';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
    /** Seconds from Retry-After, when the server sent it. */
    readonly retryAfter: number | undefined,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Retry-After as seconds: either a number of seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

interface RequestOptions {
  method?: string;
  json?: unknown;
  /** A raw body (file upload) with its own Content-Type. */
  raw?: Blob;
  signal?: AbortSignal;
}

export async function request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  let body: BodyInit | undefined;
  if (opts.raw) {
    body = opts.raw;
    headers['content-type'] = opts.raw.type;
  } else if (opts.json !== undefined) {
    body = JSON.stringify(opts.json);
    headers['content-type'] = 'application/json';
  }
  let res: Response;
  try {
    res = await fetch(path, {
      method: opts.method ?? (body ? 'POST' : 'GET'),
      headers,
      body,
      credentials: 'same-origin',
      signal: opts.signal,
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'network', 'Sem conexão com o servidor. Verifique a rede e tente de novo.', undefined);
  }
  if (res.ok) {
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }
  let code: string | undefined;
  let serverMessage: string | undefined;
  try {
    const parsed = parseErrorBody(await res.json());
    code = parsed?.code;
    serverMessage = parsed?.message || undefined;
  } catch {
    // nginx answers some errors (413, 502) with HTML: the status alone says enough.
  }
  throw new ApiError(res.status, code, errorMessage(res.status, code, serverMessage), parseRetryAfter(res.headers.get('retry-after')));
}
