// A plain GET over http/https that follows redirects, for the few places that fetch a URL a
// user named (build's ADD <url>). Uses extraCaCertificates(), which global fetch cannot.
import * as http from 'node:http';
import * as https from 'node:https';
import { invalidArgument, unavailable } from './errors.js';
import { extraCaCertificates } from './tls.js';

export interface HttpGetOptions {
  signal?: AbortSignal;
  /** Redirects followed before giving up; default 10. */
  maxRedirects?: number;
}

/** Resolves with a 2xx response whose body is unread; other statuses are 'unavailable' errors. */
export async function httpGet(url: string, options: HttpGetOptions = {}): Promise<http.IncomingMessage> {
  let current = new URL(url);
  for (let hops = 0; ; hops++) {
    if (current.protocol !== 'http:' && current.protocol !== 'https:') {
      throw invalidArgument(`cannot fetch ${url}: only http and https URLs are supported, not ${current.protocol}`);
    }
    const res = await request(current, options.signal);
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && res.headers.location) {
      res.resume();
      if (hops >= (options.maxRedirects ?? 10)) throw unavailable(`cannot fetch ${url}: too many redirects`);
      current = new URL(res.headers.location, current);
      continue;
    }
    if (status < 200 || status >= 300) {
      res.resume();
      throw unavailable(`cannot fetch ${url}: HTTP ${status}`);
    }
    return res;
  }
}

function request(url: URL, signal: AbortSignal | undefined): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const ca = url.protocol === 'https:' ? extraCaCertificates() : undefined;
    const req = (url.protocol === 'https:' ? https : http).get(url, { signal, ...(ca ? { ca } : {}) }, resolve);
    req.on('error', (err) => reject(unavailable(`cannot fetch ${url.href}: ${err.message}`, { cause: err })));
  });
}
