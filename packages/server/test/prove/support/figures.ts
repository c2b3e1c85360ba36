/** The numbers a suite reports at its end. */
export class Figures {
  requests = 0;
  faults = 0;
  inputs = 0;
  leaks = 0;
  private readonly extra = new Map<string, number | string>();

  constructor(private readonly suite: string) {}

  /** Adds a suite-specific figure to the summary line. */
  set(name: string, value: number | string): void {
    this.extra.set(name, value);
  }

  add(name: string, by = 1): void {
    const current = this.extra.get(name);
    this.extra.set(name, (typeof current === 'number' ? current : 0) + by);
  }

  /** One line: `[prove] <suite>: requests served N, faults injected N, inputs tried N, leaks found N, ...`. */
  line(): string {
    const parts = [
      `requests served ${this.requests}`,
      `faults injected ${this.faults}`,
      `inputs tried ${this.inputs}`,
      `leaks found ${this.leaks}`,
      ...[...this.extra].map(([name, value]) => `${name} ${value}`),
    ];
    return `[prove] ${this.suite}: ${parts.join(', ')}`;
  }

  print(): void {
    console.log(this.line());
  }
}
