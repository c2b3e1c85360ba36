import parsePrometheusTextFormat from 'parse-prometheus-text-format';

type ParsedFamily = ReturnType<typeof parsePrometheusTextFormat>[number];

/** One family of a scrape: its type, and its samples each with its own labels (histograms: `_bucket`, `_count`, `_sum` samples). */
export interface MetricFamily {
  name: string;
  type: ParsedFamily['type'];
  samples: Array<{ name: string; labels: Record<string, string>; value: number }>;
}

/**
 * A scrape parsed by a Prometheus text-format parser (not by prom-client, which wrote it).
 * The parser folds a histogram's labelled series into one, so the histograms' lines are
 * parsed a second time as untyped samples, each series with its labels.
 */
export function parseScrape(text: string): Map<string, MetricFamily> {
  const typed = parsePrometheusTextFormat(text);
  // Untyped, each run of lines of one name is a family of its own: a histogram's names recur.
  const untyped = parsePrometheusTextFormat(text.replace(/^# TYPE (\S+) histogram$/gm, '# TYPE $1 untyped'));
  const samplesOf = (name: string) =>
    untyped.filter((family) => family.name === name).flatMap((family) => family.metrics.map((sample) => ({ name, labels: sample.labels ?? {}, value: Number(sample.value) })));
  return new Map(
    typed.map((family) => [
      family.name,
      {
        name: family.name,
        type: family.type,
        samples: family.type === 'HISTOGRAM' ? ['_bucket', '_count', '_sum'].flatMap((suffix) => samplesOf(`${family.name}${suffix}`)) : samplesOf(family.name),
      },
    ]),
  );
}

/**
 * The value of one counter or gauge series (the sample whose labels are exactly `labels`),
 * or a histogram series' count; 0 when the series does not exist.
 */
export function seriesValue(families: Map<string, MetricFamily>, name: string, labels: Record<string, string>): number {
  const family = families.get(name);
  if (family === undefined) throw new Error(`no metric family ${name}`);
  const sampleName = family.type === 'HISTOGRAM' ? `${name}_count` : name;
  const wanted = JSON.stringify(Object.entries(labels).sort());
  const sample = family.samples.find((s) => s.name === sampleName && JSON.stringify(Object.entries(s.labels).sort()) === wanted);
  return sample?.value ?? 0;
}
