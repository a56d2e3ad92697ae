/**
 * Pulls `source` ahead of its consumer, holding at most `limit` items, so that the source's
 * requests (the next page of a listing) overlap the consumer's work instead of waiting for it to
 * ask. Items come out in order; a failure of the source is thrown after the items before it.
 * Pulling starts at once, before the first item is asked for.
 */
export function readAhead<T>(source: AsyncIterable<T>, limit: number): AsyncIterable<T> {
  const iterator = source[Symbol.asyncIterator]();
  const buffer: T[] = [];
  let finished = false;
  let failure: { error: unknown } | undefined;
  let pulling = false;
  let wake: (() => void) | undefined;

  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const pull = async () => {
    pulling = true;
    try {
      while (!finished && buffer.length < limit) {
        const step = await iterator.next();
        if (step.done === true) finished = true;
        else buffer.push(step.value);
        notify();
      }
    } catch (error) {
      failure = { error };
      finished = true;
      notify();
    } finally {
      pulling = false;
    }
  };
  const refill = () => {
    if (!pulling && !finished && buffer.length < limit) void pull();
  };
  refill();

  return {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        if (buffer.length > 0) {
          const item = buffer.shift() as T;
          refill();
          yield item;
          continue;
        }
        if (failure !== undefined) throw failure.error;
        if (finished) return;
        refill();
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
}
