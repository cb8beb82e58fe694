// The doctor: each check in quick form (scaled down: these tests also run under qemu-user),
// the JSON report against its schema, the renderers, the verdict and exit codes.
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { renderMarkdown } from '../../lib/tools/doctor/render-markdown';
import { renderText } from '../../lib/tools/doctor/render-text';
import { CHECK_IDS, CheckId, runDoctor } from '../../lib/tools/doctor/run';
import { useColor } from '../../lib/tools/doctor/style';
import { CheckResult, DoctorReport, LitmusDetails, RaceDetails, ReplaysDetails, WakeDetails } from '../../lib/tools/doctor/types';
import { overall } from '../../lib/tools/doctor/verdict';
import { environmentReport } from '../../lib/tools/environment';
import { childSkip, CLI, controlBarrier, controlNotRun, couldNotTell, PACKAGE_ROOT, runNode } from '../support';
import Ajv2020 from 'ajv/dist/2020';
import { doctorSchemaPath } from '../../lib/cli/doctor';
import os from 'node:os';
import { controlTogether } from '../../lib/tools/doctor/checks/litmus';
import { scaled, SIZES } from '../../lib/tools/doctor/sizes';
import { SCENARIOS } from '../../lib/tools/replays/scenarios';

// The report's one schema (docs/doctor-report.schema.json), compiled by ajv in strict mode.
const SCHEMA_TEXT = readFileSync(doctorSchemaPath(), 'utf8');
const validateReport = new Ajv2020({ allErrors: true, strict: true }).compile(JSON.parse(SCHEMA_TEXT));

/** The report's schema violations ([] if none). */
function validate(report: unknown): string[] {
  return validateReport(report) ? [] : (validateReport.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
}
const env = environmentReport();
const emulated = env.emulation !== null;
const reports = new Map<CheckId, DoctorReport>();

/** A check's details, as the schema's if/then types them for its id and verdict (validated first). */
const detailsOf = <T>(c: CheckResult): T => c.details as unknown as T;

for (const id of CHECK_IDS) {
  test(`doctor check ${id} (quick form) runs and finds no lost wake-up`, { timeout: 240_000 }, async (t) => {
    const progress: number[] = [];
    const scale = emulated ? 0.05 : 0.2;
    const r = await runDoctor({ mode: 'quick', only: [id], scale, onProgress: (n) => progress.push(n) });
    reports.set(id, r);
    assert.equal(r.checks.length, 1);
    const c = r.checks[0];
    assert.equal(c.id, id);
    assert.ok(progress.length > 0 && progress.every((n) => n === c.number));
    assert.notEqual(c.verdict, 'error', c.summary);
    assert.notEqual(c.verdict, 'fail', `${c.summary}\n${c.notes.join('\n')}`);
    assert.deepEqual(validate(JSON.parse(JSON.stringify(r))), []);
    assert.equal(r.exitCode, 0);
    if (id === 'wake-eventfd' || id === 'wake-sigio') {
      const d = detailsOf<WakeDetails>(c);
      assert.ok(d.native.n > 0 && d.js.n > 0);
      assert.equal(d.native.lost + d.js.lost, 0);
    }
    if (id === 'aio-race') assert.equal(detailsOf<RaceDetails>(c).lost.k, 0);
    if (id === 'litmus') {
      const d = detailsOf<LitmusDetails>(c);
      assert.equal(d.sb[2].reordered.k, 0);
      assert.equal(d.correct.lost, 0);
      // The positive control: required on x86_64 hardware with two cores; a budget of races.
      const budget = scaled(SIZES.quick, scale).controlRaces;
      if (!d.control.required) {
        const barrier = controlBarrier();
        // On x86_64 hardware the control may only be waived when its threads could not be pinned.
        if (process.arch === 'x64' && !barrier) assert.ok(os.availableParallelism() < 2, 'the control was not required on x86_64 hardware with 2 cores');
        return controlNotRun(t, `the unfenced protocol is not required to fail here (${barrier ?? `${process.arch}, threads not pinned`})`);
      }
      // The doctor's own rule: a budget in which the threads rarely ran together is a busy
      // machine (verdict warn, "could not tell"), not a failed control.
      if (d.control.lost === 0 && d.control.together < controlTogether(budget)) {
        assert.equal(c.verdict, 'warn');
        return couldNotTell(t, `the unfenced protocol lost nothing in ${d.control.races} races, ${d.control.together} with both threads running together: a busy machine`);
      }
      assert.ok(d.control.lost > 0, `the unfenced protocol lost nothing in ${d.control.races} races, ${d.control.together} with both threads running together`);
    }
    if (id === 'replays') {
      const d = detailsOf<ReplaysDetails>(c);
      assert.equal(d.scenarios.length, SCENARIOS.length);
      for (const [i, x] of d.scenarios.entries()) {
        // Only the late-wake controls have no historical protocol; every bug's must hang.
        assert.equal(x.historical === null, SCENARIOS[i].kind === 'control', x.id);
        assert.ok((x.historical === null || x.historical.pass) && x.fixed.pass, x.id);
      }
    }
  });
}

test('the report renders as text (with and without colour) and as Markdown', () => {
  const r = reports.get('wake-eventfd') ?? reports.values().next().value;
  assert.ok(r, 'a check test ran first');
  const plain = renderText(r, { color: false });
  assert.doesNotMatch(plain, /\x1b\[/);
  assert.match(plain, /^aio-notify doctor /);
  assert.match(plain, /Verdict: healthy/);
  assert.match(renderText(r, { color: true }), /\x1b\[32mPASS|\x1b\[33mWARN/);
  if (r.checks[0].id === 'wake-eventfd') assert.match(plain, /█/); // the histogram
  const md = renderMarkdown(r);
  assert.match(md, /^## aio-notify doctor: healthy \(exit 0\)/);
  assert.match(md, /\| # \| check \| verdict \| summary \|/);
});

test('the schema rejects what it should', () => {
  const r = JSON.parse(JSON.stringify(reports.values().next().value)) as Record<string, unknown>;
  assert.deepEqual(validate(r), []);
  assert.notDeepEqual(validate({ ...r, schemaVersion: 2 }), []);
  assert.notDeepEqual(validate({ ...r, exitCode: 3 }), []);
  const { environment: _e, ...noEnv } = r;
  assert.notDeepEqual(validate(noEnv), []);
  assert.notDeepEqual(validate({ ...r, checks: [{ id: 'litmus' }] }), []);
  // A check that ran has its id's details (the schema's if/then); one that was skipped need not.
  const [check] = r.checks as CheckResult[];
  assert.notDeepEqual(validate({ ...r, checks: [{ ...check, details: {} }] }), []);
  assert.deepEqual(validate({ ...r, checks: [{ ...check, verdict: 'skip', details: {} }] }), []);
});

test('lib/tools/doctor/schema.ts is what docs/doctor-report.schema.json generates (npm run schema:types)', async () => {
  const { generate, TYPES } = require(join(PACKAGE_ROOT, 'scripts', 'schema-types.js')) as { generate(): Promise<string>; TYPES: string };
  assert.equal(await generate(), readFileSync(TYPES, 'utf8'), 'stale: run `npm run schema:types`');
});

test('overall verdict and exit code', () => {
  assert.deepEqual(overall([{ verdict: 'pass' }, { verdict: 'warn' }, { verdict: 'skip' }]), { verdict: 'healthy', exitCode: 0 });
  assert.deepEqual(overall([{ verdict: 'pass' }, { verdict: 'fail' }, { verdict: 'error' }]), { verdict: 'unhealthy', exitCode: 1 });
  assert.deepEqual(overall([{ verdict: 'error' }, { verdict: 'pass' }]), { verdict: 'error', exitCode: 2 });
});

test('colour: only on a TTY, never with NO_COLOR', () => {
  assert.equal(useColor({ isTTY: true }, {}), true);
  assert.equal(useColor({ isTTY: false }, {}), false);
  assert.equal(useColor({ isTTY: true }, { NO_COLOR: '1' }), false);
  assert.equal(useColor({ isTTY: true }, { NO_COLOR: '' }), true);
});

test('runDoctor arguments are checked', async () => {
  await assert.rejects(runDoctor({ mode: 'slow' as never }), { code: 'ERR_OUT_OF_RANGE' });
  await assert.rejects(runDoctor({ only: ['nope' as never] }), { code: 'ERR_OUT_OF_RANGE' });
  await assert.rejects(runDoctor({ scale: 2 }), { code: 'ERR_OUT_OF_RANGE' });
  await assert.rejects(runDoctor({ onProgress: 1 as never }), { code: 'ERR_INVALID_ARG_TYPE' });
});

const skip = childSkip();

test('doctor CLI: --json is valid, --markdown goes to $GITHUB_STEP_SUMMARY, exit 0 healthy, 2 on usage errors', { skip, timeout: 240_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'aio-doctor-'));
  try {
    const summary = join(dir, 'summary.md');
    const out = join(dir, 'report.json');
    const r = runNode([CLI, 'doctor', '--quick', '--only', 'replays', '--markdown', '--json-out', out], { env: { ...process.env, GITHUB_STEP_SUMMARY: summary } });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^## aio-notify doctor: healthy/);
    assert.match(readFileSync(summary, 'utf8'), /^## aio-notify doctor: healthy/);
    assert.deepEqual(validate(JSON.parse(readFileSync(out, 'utf8'))), []);
    const j = runNode([CLI, 'doctor', '--quick', '--only', 'replays', '--json']);
    assert.equal(j.status, 0, j.stderr);
    assert.deepEqual(validate(JSON.parse(j.stdout)), []);
    const t = runNode([CLI, 'doctor', '--quick', '--only', 'replays'], { env: { ...process.env, NO_COLOR: '1' } });
    assert.equal(t.status, 0);
    assert.doesNotMatch(t.stdout, /\x1b\[/);
    assert.equal(t.stderr, ''); // progress only on a TTY
    const printed = runNode([CLI, 'doctor', '--print-schema']);
    assert.equal(printed.status, 0);
    assert.equal(printed.stdout, SCHEMA_TEXT);
    assert.equal(runNode([CLI, 'doctor', '--frobnicate']).status, 2);
    assert.equal(runNode([CLI, 'doctor', '--only', 'nope']).status, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
