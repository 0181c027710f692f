/**
 * One progress line: redrawn in place on a terminal, one line per step otherwise (CI logs and
 * the test that runs --quick read it as plain lines).
 */
export class Progress {
  private readonly started = performance.now();
  private drawn = false;

  constructor(private readonly stream: NodeJS.WriteStream) {}

  update(message: string): void {
    const line = `[${((performance.now() - this.started) / 1000).toFixed(0).padStart(3)} s] ${message}`;
    if (this.stream.isTTY) {
      this.stream.write(`\r\x1b[2K${line.slice(0, (this.stream.columns || 100) - 1)}`);
      this.drawn = true;
    } else {
      this.stream.write(`${line}\n`);
    }
  }

  done(): void {
    if (this.drawn) this.stream.write('\r\x1b[2K');
    this.drawn = false;
  }
}
