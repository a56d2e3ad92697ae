/** Formats a byte count for people: 1.2 MB, 340 KB. */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = n;
  let unit = 'B';
  for (const u of units) {
    if (value < 1000) break;
    value /= 1000;
    unit = u;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${unit}`;
}

/**
 * A one-line progress bar on a terminal's stderr (objects, bytes, rate), redrawn at most every
 * 100 ms and cleared at the end. Nothing at all when stderr is not a terminal.
 */
export class ProgressBar {
  private lastDraw = 0;
  private readonly started = performance.now();
  done = 0;
  bytes = 0;

  /** Grows while the listing is still going on (`listing` true): the total is not known yet. */
  totalObjects = 0;
  totalBytes = 0;
  listing = true;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly enabled = stream.isTTY === true,
  ) {}

  /** Counts an object the listing found. */
  listed(bytes: number): void {
    this.totalObjects++;
    this.totalBytes += bytes;
  }

  update(objects: number, bytes: number): void {
    this.done += objects;
    this.bytes += bytes;
    if (!this.enabled) return;
    const now = performance.now();
    if (now - this.lastDraw < 100 && this.done < this.totalObjects) return;
    this.lastDraw = now;
    const width = 24;
    const fraction = this.totalObjects === 0 ? 1 : this.done / this.totalObjects;
    const filled = Math.round(fraction * width);
    const seconds = (now - this.started) / 1000;
    const rate = seconds > 0 ? this.bytes / seconds : 0;
    const more = this.listing ? '+' : '';
    const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.done}/${this.totalObjects}${more} objects  ${formatBytes(this.bytes)}/${formatBytes(this.totalBytes)}${more}  ${formatBytes(rate)}/s`;
    // A terminal that does not say its width (a pty without a size) reports 0 columns.
    const columns = (this.stream.columns ?? 0) > 0 ? this.stream.columns : 100;
    this.stream.write(`\r${line.slice(0, Math.max(10, columns - 1))}\x1b[K`);
  }

  clear(): void {
    if (this.enabled) this.stream.write('\r\x1b[K');
  }
}
