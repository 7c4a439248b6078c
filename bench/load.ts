/**
 * Load from autocannon: a fixed number of connections for a fixed time. A measurement is
 * made of slices (so a scenario and its baseline can take turns, see run.ts); latencies are
 * kept at full resolution (autocannon's own histogram rounds to whole milliseconds, too
 * coarse for sub-millisecond routes).
 */
import autocannon, { type RequestSpec } from 'autocannon';

export interface LoadOptions {
  url: string;
  connections: number;
  seconds: number;
  headers?: Record<string, string>;
  requests: RequestSpec[];
}

export interface Slice {
  responses: number;
  /** How long the load ran. */
  loadSeconds: number;
  /** How long the load ran plus the time the server then needed to finish its work. */
  seconds: number;
  /** Latency of each 2xx response, in milliseconds. */
  latencies: number[];
  non2xx: number;
  /** Connection errors, timeouts included. */
  errors: number;
  statusCodes: Record<string, number>;
}

export interface LoadResult {
  /** Responses over the time to serve them and finish what they left behind. */
  requestsPerSecond: number;
  /** Responses over the time the load ran (background work left behind not counted). */
  burstRequestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  responses: number;
  statusCodes: Record<string, number>;
}

export async function runSlice(options: LoadOptions): Promise<Slice> {
  const latencies: number[] = [];
  const instance = autocannon({
    url: options.url,
    connections: options.connections,
    pipelining: 1,
    duration: options.seconds,
    // autocannon checks for the end of the run once a sample: sample every 100 ms, not every
    // second, so a slice lasts what was asked.
    sampleInt: 100,
    timeout: 30,
    headers: options.headers ?? {},
    requests: options.requests,
  });
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
  });
  const result = await instance;
  const statusCodes: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(result.statusCodeStats ?? {})) {
    statusCodes[code] = Number(count);
  }
  return {
    responses: result.requests.total,
    loadSeconds: result.duration,
    seconds: result.duration,
    latencies,
    non2xx: result.non2xx,
    errors: result.errors,
    statusCodes,
  };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[index]!;
}

export function requestsPerSecond(slice: Slice): number {
  return slice.seconds > 0 ? slice.responses / slice.seconds : 0;
}

/** Measured slices taken together; `warmups` count only for their failures. */
export function combine(slices: Slice[], warmups: Slice[] = []): LoadResult {
  const sorted = Float64Array.from(slices.flatMap((s) => s.latencies)).sort();
  const statusCodes: Record<string, number> = {};
  for (const slice of [...warmups, ...slices]) {
    for (const [code, count] of Object.entries(slice.statusCodes)) {
      statusCodes[code] = (statusCodes[code] ?? 0) + count;
    }
  }
  const responses = slices.reduce((sum, s) => sum + s.responses, 0);
  const seconds = slices.reduce((sum, s) => sum + s.seconds, 0);
  const loadSeconds = slices.reduce((sum, s) => sum + s.loadSeconds, 0);
  const all = [...warmups, ...slices];
  return {
    requestsPerSecond: seconds > 0 ? responses / seconds : 0,
    burstRequestsPerSecond: loadSeconds > 0 ? responses / loadSeconds : 0,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    non2xx: all.reduce((sum, s) => sum + s.non2xx, 0),
    errors: all.reduce((sum, s) => sum + s.errors, 0),
    responses,
    statusCodes,
  };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return 0;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
