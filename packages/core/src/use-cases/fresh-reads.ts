/**
 * Reads of a key shared by concurrent callers, each answered by a read that began after it
 * asked: a caller that arrives while a read of its key is running waits for the next one,
 * which begins when that one ends. So no caller gets a value older than its call (it sees
 * what a client answered by another process wrote before), and any number of concurrent
 * callers of one key cost at most two reads.
 */
export class FreshReads<T> {
  private readonly reads = new Map<string, { readonly running: Promise<T>; next: Promise<T> | null }>();

  constructor(private readonly read: (key: string) => Promise<T>) {}

  get(key: string): Promise<T> {
    const entry = this.reads.get(key);
    if (entry === undefined) return this.begin(key);
    // Begun once the running read ends, whichever way.
    entry.next ??= entry.running.catch(() => null).then(() => this.begin(key));
    return entry.next;
  }

  private begin(key: string): Promise<T> {
    const entry = { running: this.read(key), next: null };
    this.reads.set(key, entry);
    const end = () => {
      if (this.reads.get(key) === entry) this.reads.delete(key);
    };
    entry.running.then(end, end);
    return entry.running;
  }
}
