import { setMaxListeners } from 'node:events';

/**
 * Runs `work` over a stream of items, up to `concurrency` at a time. With `ordered` (the default)
 * results are yielded in the order of the items, whatever order they finish in, and up to
 * `lookahead` finished results wait for a slow head; otherwise as they finish. Nothing new starts
 * while the consumer is behind (a full stdout pipe), so memory stays bounded by `lookahead`
 * results.
 *
 * `work` should not throw (put failures in its result); when it does, or when the item stream
 * fails, the generator throws. Returning early (a --limit reached) aborts the work in flight.
 */
export async function* mapOrdered<T, R>(
  items: AsyncIterable<T> | Iterable<T>,
  concurrency: number,
  work: (item: T, signal: AbortSignal) => Promise<R>,
  options: { ordered?: boolean; lookahead?: number } = {},
): AsyncGenerator<R> {
  const ordered = options.ordered ?? true;
  const limit = Math.max(1, concurrency);
  const lookahead = Math.max(limit, options.lookahead ?? limit * 4);
  const abort = new AbortController();
  // Every piece of work in flight listens on this one signal.
  setMaxListeners(0, abort.signal);
  const iterator = Symbol.asyncIterator in items ? (items as AsyncIterable<T>)[Symbol.asyncIterator]() : toAsync(items as Iterable<T>);
  interface Slot { done: boolean; value?: R; error?: unknown }
  const slots: Slot[] = [];
  let running = 0;
  let exhausted = false;
  let wake: (() => void) | undefined;
  const settle = (slot: Slot, fields: Partial<Slot>) => {
    Object.assign(slot, fields, { done: true });
    running--;
    const w = wake;
    wake = undefined;
    w?.();
  };
  try {
    for (;;) {
      while (!exhausted && running < limit && slots.length < lookahead) {
        const next = await iterator.next();
        if (next.done === true) {
          exhausted = true;
          break;
        }
        const slot: Slot = { done: false };
        slots.push(slot);
        running++;
        work(next.value, abort.signal).then((value) => settle(slot, { value }), (error: unknown) => settle(slot, { error }));
      }
      if (slots.length === 0) return;
      const index = ordered ? (slots[0]?.done === true ? 0 : -1) : slots.findIndex((s) => s.done);
      if (index < 0) {
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      const [slot] = slots.splice(index, 1) as [Slot];
      if (slot.error !== undefined) throw slot.error;
      yield slot.value as R;
    }
  } finally {
    abort.abort();
    if (!exhausted) await iterator.return?.();
  }
}

async function* toAsync<T>(items: Iterable<T>): AsyncGenerator<T> {
  yield* items;
}
