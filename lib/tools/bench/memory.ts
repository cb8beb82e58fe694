// Runs the memory check in a child process with --expose-gc (forced GCs make the heap
// figures comparable) and returns its rows.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { MemoryRow } from './report';

export function measureMemory(cycles: number): Promise<MemoryRow[]> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--expose-gc', join(__dirname, 'memory-child.js'), String(cycles)],
      { timeout: 300_000, maxBuffer: 1 << 20 },
      (err, stdout, stderr) => {
        if (err) {
          reject(new Error(`bench: the memory check failed: ${err.message}${stderr ? `\n${stderr}` : ''}`));
          return;
        }
        try {
          resolve(JSON.parse(stdout.trim().split('\n').pop()!) as MemoryRow[]);
        } catch (e) {
          reject(new Error(`bench: the memory check printed no report: ${(e as Error).message}`));
        }
      },
    );
  });
}
