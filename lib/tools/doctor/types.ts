// The doctor's report: the shape `--json` prints. Its one source is the JSON Schema,
// docs/doctor-report.schema.json (documented in docs/doctor-json.md); ./schema.ts holds the
// types generated from it, named here. Bump DOCTOR_SCHEMA_VERSION on any incompatible change.
import type { Check, DoctorReport, Latency, Rate } from './schema';

/** `details` of a check that ran (verdict pass, warn or fail), by id. */
export type { DoctorReport, LitmusDetails, RaceDetails, ReplaysDetails, WakeDetails } from './schema';

export const DOCTOR_SCHEMA_VERSION: DoctorReport['schemaVersion'] = 1;

/** pass; warn (worth a look, exit code unchanged); fail (a lost wake-up or a failed control); skip; error (could not run). */
export type CheckVerdict = Check['verdict'];

/** A sleeping one-way latency distribution, in µs, with its classification counts. */
export type LatencyBlock = Latency;

export type HistogramBlock = Latency['histogram'][number];

/** k events in n trials: the rate, its 95% Wilson interval, and both per 10^6. */
export type RateBlock = Rate;

/** One check's result; `details` depends on the id and the verdict (the schema's if/then: *Details). */
export type CheckResult = Check;

export type DoctorMode = DoctorReport['mode'];

export type Progress = (label: string, fraction: number) => void;
