/**
 * Metric series kept per pair of label values (a route and a method, a provider and a
 * route), looked up one value at a time: the values are fixed strings whose hash a Map
 * keeps, where a key joined from them would be a new string, hashed on every lookup.
 * Bounded by its callers, whose label values all come from fixed sets.
 */
export class SeriesTable<V> {
  private readonly byFirst = new Map<string, Map<string, V>>();

  /** @param create makes the series of a pair seen for the first time */
  constructor(private readonly create: (first: string, second: string) => V) {}

  /** The pair's series, made on its first lookup. */
  get(first: string, second: string): V {
    let bySecond = this.byFirst.get(first);
    if (bySecond === undefined) {
      bySecond = new Map();
      this.byFirst.set(first, bySecond);
    }
    let series = bySecond.get(second);
    if (series === undefined) {
      series = this.create(first, second);
      bySecond.set(second, series);
    }
    return series;
  }

  /** Every series made so far. */
  *values(): IterableIterator<V> {
    for (const bySecond of this.byFirst.values()) yield* bySecond.values();
  }
}
