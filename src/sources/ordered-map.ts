/**
 * Runs `work` over a stream of items, up to `concurrency` at a time, and yields the results in
 * the order of the items, whatever order they finish in. The queue of started-but-not-yet-
 * consumed items never grows past `concurrency`, so a slow consumer (a full stdout pipe) stops
 * new work from starting: memory stays bounded by `concurrency` results.
 *
 * `work` should not throw (put failures in its result); when it does, or when the item stream
 * fails, the generator throws. Returning early (a --limit reached) aborts the work in flight.
 */
export async function* mapOrdered<T, R>(
  items: AsyncIterable<T> | Iterable<T>,
  concurrency: number,
  work: (item: T, signal: AbortSignal) => Promise<R>,
): AsyncGenerator<R> {
  const abort = new AbortController();
  const iterator = Symbol.asyncIterator in items ? (items as AsyncIterable<T>)[Symbol.asyncIterator]() : toAsync(items as Iterable<T>);
  const queue: Promise<R>[] = [];
  let exhausted = false;
  try {
    for (;;) {
      while (!exhausted && queue.length < Math.max(1, concurrency)) {
        const next = await iterator.next();
        if (next.done === true) {
          exhausted = true;
          break;
        }
        const started = work(next.value, abort.signal);
        // Settled later, in order; this only keeps an early failure from being "unhandled".
        started.catch(() => undefined);
        queue.push(started);
      }
      const head = queue.shift();
      if (head === undefined) return;
      yield await head;
    }
  } finally {
    abort.abort();
    if (!exhausted) await iterator.return?.();
  }
}

async function* toAsync<T>(items: Iterable<T>): AsyncGenerator<T> {
  yield* items;
}
