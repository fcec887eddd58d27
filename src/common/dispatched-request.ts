/**
 * One HTTP request on undici's dispatch API that settles once: with what the subclass makes of the
 * response, or with an error. The MCP client and the server's upstream calls both use it, because
 * the alternative, Pool.request(), builds a body stream per call and listens on the caller's
 * AbortSignal until that stream closes (docs/benchmarks.md has what that cost the server).
 *
 * `abort(reason)` settles at once and stops the request wherever it is: still queued behind others
 * (it is stopped when undici starts it), being sent, or being answered.
 */
import type { Dispatcher } from 'undici';

type Headers = Record<string, string | string[] | undefined>;

/** The callbacks a DispatchedRequest takes from its handler. */
interface ResponseSink {
  onRequestStart(controller: Dispatcher.DispatchController): void;
  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Headers): void;
  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void;
  onResponseEnd(): void;
  onResponseError(controller: Dispatcher.DispatchController, error: Error): void;
}

/**
 * What undici holds: it keeps up to 256 finished requests per connection (with their handlers)
 * before trimming its queue, so the handler lets go of the request, and with it the response,
 * as soon as the request settles.
 */
class DetachingHandler implements Dispatcher.DispatchHandler {
  abortReason: Error | undefined;
  constructor(public request: ResponseSink | undefined) {}
  onRequestStart(controller: Dispatcher.DispatchController): void {
    if (this.request) this.request.onRequestStart(controller);
    else if (this.abortReason) controller.abort(this.abortReason);
  }
  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Headers): void {
    this.request?.onResponseStart(controller, statusCode, headers);
  }
  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.request?.onResponseData(controller, chunk);
  }
  onResponseEnd(): void {
    this.request?.onResponseEnd();
  }
  onResponseError(controller: Dispatcher.DispatchController, error: Error): void {
    this.request?.onResponseError(controller, error);
  }
}

export abstract class DispatchedRequest<T> implements ResponseSink {
  readonly promise: Promise<T>;
  /** Why the request was aborted, if it was. */
  abortReason: Error | undefined;
  protected statusCode = 0;
  protected headers: Headers = {};
  protected chunks: Buffer[] = [];
  private resolve!: (value: T) => void;
  private reject!: (error: Error) => void;
  private controller: Dispatcher.DispatchController | undefined;
  private settled = false;
  /** The signal `abortingOn` listens on, and its listener, taken off as the request settles. */
  private abortSignal: AbortSignal | undefined;
  private onAbort: (() => void) | undefined;
  private readonly detaching: DetachingHandler = new DetachingHandler(this);

  constructor() {
    this.promise = new Promise<T>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /** Sends the request; a dispatcher that throws at once (closed, bad options) rejects it instead. */
  dispatch(dispatcher: Dispatcher, options: Dispatcher.DispatchOptions): this {
    try {
      dispatcher.dispatch(options, this.detaching);
    } catch (error) {
      this.abort(error as Error);
    }
    return this;
  }

  /**
   * The outcome, or a rejection with `reason` (by default the signal's) as soon as `signal` aborts.
   * The listener comes off as the request settles, so the signal's controller can serve another call.
   */
  abortingOn(signal: AbortSignal, reason?: Error): Promise<T> {
    if (signal.aborted) {
      this.abort(reason ?? (signal.reason as Error));
    } else if (!this.settled) {
      this.abortSignal = signal;
      this.onAbort = (): void => this.abort(reason ?? (signal.reason as Error));
      signal.addEventListener('abort', this.onAbort);
    }
    return this.promise;
  }

  /** Rejects with `reason` now and stops the request wherever it is. */
  abort(reason: Error): void {
    if (this.settled) return;
    this.abortReason = reason;
    this.detaching.abortReason = reason;
    this.settle(undefined, reason);
    this.controller?.abort(reason);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.abortReason) controller.abort(this.abortReason);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: Headers): void {
    this.statusCode = statusCode;
    this.headers = headers;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    this.settle(this.finish());
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.settle(undefined, this.abortReason ?? error);
  }

  /** The response made into the value the request resolves with. */
  protected abstract finish(): T;

  /** The body collected so far, as UTF-8 text. */
  protected text(): string {
    const { chunks } = this;
    return chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8');
  }

  private settle(value: T | undefined, error?: Error): void {
    if (this.settled) return;
    this.settled = true;
    if (this.onAbort) this.abortSignal?.removeEventListener('abort', this.onAbort);
    this.detaching.request = undefined;
    this.chunks = [];
    if (error) this.reject(error);
    else this.resolve(value as T);
  }
}
