// A backup allocates fast (every Graph page is parsed, canonicalized, hashed and serialized)
// while keeping little: a few pages per stream. V8's default heap growth then lets the garbage
// pile up to three or four times the live heap before a full collection, which is what a peak
// RSS measures. Growing the heap by at most half its live size after each full collection keeps
// the peak near the live size, at the cost of more frequent (mostly concurrent) marking.
import v8 from 'node:v8';

/** Heap growth after a full collection, percent of the live heap (V8's --heap-growing-percent). */
export const BACKUP_HEAP_GROWING_PERCENT = 50;

let applied = false;

/**
 * Applies the bound once per process (a V8 flag: it holds for the whole process). Called at the
 * start of the processes that run backups: `serve` with the worker role, the `backup` CLI verb
 * and the benchmark's backup child; a web-only process keeps V8's defaults.
 */
export function boundHeapGrowth(): void {
  if (applied) return;
  applied = true;
  v8.setFlagsFromString(`--heap-growing-percent=${BACKUP_HEAP_GROWING_PERCENT}`);
}
