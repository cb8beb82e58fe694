// The README's example runs as written. Its code blocks are marked in their info strings:
// ```js file=NAME writes NAME into a fresh directory, `run` also runs it with node, and
// ```text output=NAME is what that run must print. aio-notify resolves to this package.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { childSkip, PACKAGE_ROOT as ROOT, runNode, TEST_TIMEOUT } from '../support';


interface Block {
  file?: string;
  run: boolean;
  output?: string;
  body: string;
}

/** The fenced blocks of a markdown text that carry a file= or output= mark. */
export function markedBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  for (const m of markdown.matchAll(/^```[^\s`]*([^\n`]*)\n([\s\S]*?)^```[ \t]*$/gm)) {
    const words = m[1].trim().split(/\s+/);
    const value = (key: string) => words.find((w) => w.startsWith(`${key}=`))?.slice(key.length + 1);
    const block: Block = { file: value('file'), run: words.includes('run'), output: value('output'), body: m[2] };
    if (block.file !== undefined || block.output !== undefined) blocks.push(block);
  }
  return blocks;
}

const skip = childSkip();

test('markedBlocks reads file=, run and output= marks', { timeout: TEST_TIMEOUT }, () => {
  const md = '```js file=a.js run\nx()\n```\n\n```sh\nls\n```\n\n```text output=a.js\nok\n```\n';
  assert.deepEqual(markedBlocks(md), [
    { file: 'a.js', run: true, output: undefined, body: 'x()\n' },
    { file: undefined, run: false, output: 'a.js', body: 'ok\n' },
  ]);
});

test('the README example runs as written and prints what the README says', { timeout: TEST_TIMEOUT, skip }, () => {
  const blocks = markedBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8'));
  const runs = blocks.filter((b) => b.run);
  assert.ok(runs.length > 0, 'README.md has no block marked `run`');
  const dir = mkdtempSync(join(tmpdir(), 'aio-notify-readme-'));
  try {
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(ROOT, join(dir, 'node_modules', 'aio-notify'));
    for (const b of blocks) if (b.file !== undefined) writeFileSync(join(dir, b.file), b.body);
    for (const b of runs) {
      // A bound that turns a hang (a handler that never consumes its fd, a thread that never
      // stops) into a failure; the example itself takes well under a second.
      const r = runNode([b.file!], { cwd: dir, timeoutMs: 60_000 });
      assert.equal(r.error, undefined, `${b.file}: ${r.error}`);
      assert.equal(r.status, 0, `${b.file} exited ${r.status} (${r.signal ?? 'no signal'}): ${r.stderr}`);
      assert.equal(r.stderr, '', `${b.file} wrote to stderr`);
      const expected = blocks.find((o) => o.output === b.file);
      assert.ok(expected, `README.md shows no output=${b.file} block`);
      assert.equal(r.stdout, expected.body);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
