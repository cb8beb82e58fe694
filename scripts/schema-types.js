#!/usr/bin/env node
// The doctor report's TypeScript types, generated from its one source,
// docs/doctor-report.schema.json, into lib/tools/doctor/schema.ts (committed).
// `npm run schema:types` writes the file; test/tools/doctor.test.ts checks that it is current.
'use strict';
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { compile } = require('json-schema-to-typescript');

const ROOT = join(__dirname, '..');
const SCHEMA = join(ROOT, 'docs', 'doctor-report.schema.json');
const TYPES = join(ROOT, 'lib', 'tools', 'doctor', 'schema.ts');

const BANNER = `// Generated from docs/doctor-report.schema.json by \`npm run schema:types\`: do not edit.
// The schema is the one source of the doctor report's shape; lib/tools/doctor/types.ts names these.`;

/** The generated text (the root type is DoctorReport; every $defs entry is emitted, used or not). */
function generate() {
  const schema = JSON.parse(readFileSync(SCHEMA, 'utf8'));
  return compile(schema, 'DoctorReport', {
    bannerComment: BANNER,
    unreachableDefinitions: true,
    customName: (s) => (s.$id === schema.$id ? 'DoctorReport' : undefined),
    cwd: ROOT,
  });
}

module.exports = { generate, TYPES };

if (require.main === module) {
  generate().then(
    (text) => writeFileSync(TYPES, text),
    (error) => {
      process.stderr.write(`schema-types: ${error.stack ?? error}\n`);
      process.exitCode = 1;
    },
  );
}
