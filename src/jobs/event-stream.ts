/**
 * A producer that pushes items (awaiting each push) as an async iterator: the producer runs only
 * as fast as the consumer pulls. A consumer that leaves (break, return) stops the producer at its
 * next push. An abort of `outer` reaches the producer as its signal: it stops reading and may
 * still push what it holds (tail's newest events), then the iteration ends without an error.
 */
import { abortError } from './job-options.js';

class Stopped extends Error {}

export async function* pushToPull<T>(
  produce: (push: (item: T) => Promise<void>, signal: AbortSignal) => Promise<void>,
  outer?: AbortSignal,
): AsyncGenerator<T> {
  if (outer?.aborted === true) return;
  // Aborted when the consumer leaves: pushes fail from then on.
  const stop = new AbortController();
  const signal = outer === undefined ? stop.signal : AbortSignal.any([outer, stop.signal]);
  let pending: { item: T; taken: () => void } | undefined;
  let wake: (() => void) | undefined;
  let finished = false;
  let failure: { error: unknown } | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  signal.addEventListener('abort', notify, { once: true });
  const push = (item: T) => new Promise<void>((resolve, reject) => {
    if (stop.signal.aborted) {
      reject(new Stopped());
      return;
    }
    pending = { item, taken: resolve };
    notify();
  });
  const run = produce(push, signal).then(
    () => undefined,
    (error: unknown) => {
      // Stopping is how an abort or a consumer that left ends the producer, not a failure.
      if (!(error instanceof Stopped) && !signal.aborted) failure = { error };
    },
  ).finally(() => {
    finished = true;
    notify();
  });
  // The item the consumer holds: a consumer that leaves at a yield must still release its push.
  let held: { taken: () => void } | undefined;
  try {
    for (;;) {
      if (pending !== undefined) {
        const p = pending;
        pending = undefined;
        held = p;
        yield p.item;
        held = undefined;
        p.taken();
        continue;
      }
      if (finished) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
    if (failure !== undefined) throw failure.error;
  } finally {
    if (!finished) stop.abort(new Stopped());
    const left = [held, pending];
    held = undefined;
    pending = undefined;
    for (const p of left) p?.taken();
    await run;
  }
}

/** For producers: stops at once when the job was aborted. */
export function checkStopped(signal: AbortSignal): void {
  if (signal.aborted) throw abortError(signal);
}
