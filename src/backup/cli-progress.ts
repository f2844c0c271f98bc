// Live progress on a terminal: one line per object type with counts, rate and a bar, redrawn
// in place. Silent when stdout is not a TTY or --json is set (then only the result prints).
import type { ObjectType, TypeCounts } from '../domain.ts';

const BAR = 24;

export interface ProgressLine {
  type: string;
  done: number;
  /** Expected total when known (objects of the type in the store before the run). */
  total?: number;
  detail: string;
}

export class LiveProgress {
  private lines = new Map<string, ProgressLine>();
  private drawn = 0;
  private readonly started = Date.now();
  private lastDraw = 0;

  constructor(
    private readonly out: NodeJS.WriteStream = process.stdout,
    readonly enabled = out.isTTY === true,
  ) {}

  update(line: ProgressLine): void {
    if (!this.enabled) return;
    this.lines.set(line.type, line);
    const now = Date.now();
    if (now - this.lastDraw >= 100) this.draw();
  }

  draw(): void {
    if (!this.enabled) return;
    this.lastDraw = Date.now();
    const secs = Math.max(0.001, (Date.now() - this.started) / 1000);
    const rows = [...this.lines.values()].map((l) => {
      const ratio = l.total ? Math.min(1, l.done / Math.max(1, l.total)) : undefined;
      const filled = ratio === undefined ? 0 : Math.round(ratio * BAR);
      const bar = ratio === undefined ? '·'.repeat(BAR) : `${'█'.repeat(filled)}${'░'.repeat(BAR - filled)}`;
      const rate = `${Math.round(l.done / secs)}/s`;
      return `${l.type.padEnd(24)} ${bar} ${String(l.done).padStart(7)}${l.total ? `/${l.total}` : ''}  ${rate.padStart(7)}  ${l.detail}`;
    });
    let text = '';
    if (this.drawn > 0) text += `\x1b[${this.drawn}A`;
    for (const row of rows) text += `\x1b[2K${row}\n`;
    this.drawn = rows.length;
    this.out.write(text);
  }

  finish(): void {
    if (this.enabled && this.lines.size) this.draw();
  }
}

export function countsDetail(c: TypeCounts): string {
  return `new ${c.created}  changed ${c.changed}  deleted ${c.deleted}  unchanged ${c.unchanged}${c.failed ? `  failed ${c.failed}` : ''}`;
}

export function progressTypes(counts: Partial<Record<ObjectType, TypeCounts>>): [ObjectType, TypeCounts][] {
  return Object.entries(counts) as [ObjectType, TypeCounts][];
}
