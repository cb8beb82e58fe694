#!/usr/bin/env node
// npm's install step (package.json "install"). The package ships prebuilt binaries for linux-x64 and
// linux-arm64 (glibc 2.28+): when the one for this machine loads, nothing is built. Otherwise, or when
// asked (AIO_NOTIFY_BUILD_FROM_SOURCE=1; also the prebuild-install convention npm_config_build_from_source,
// which npm 11 still sets from --build-from-source with a warning), node-gyp builds both addons,
// which needs python3, make and a C++ compiler. Installs that skip scripts (--ignore-scripts) never
// get here; the loader (dist/lib/sys/addon-loader.js) then uses the prebuilt binaries all the same.
'use strict';
const { spawnSync } = require('node:child_process');
const { existsSync, readdirSync, rmSync } = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const prebuilds = path.join(root, 'prebuilds');
const say = (text) => console.log(`aio-notify: ${text}`);

function forced() {
  const npmFlag = process.env.npm_config_build_from_source;
  return process.env.AIO_NOTIFY_BUILD_FROM_SOURCE === '1' || npmFlag === 'true' || npmFlag === 'aio-notify';
}

// True when the prebuilt binaries for this machine load, both addons (they are loaded, not just
// found: an older glibc or a foreign libc shows here, at install time, rather than at the user's
// first require).
function prebuiltLoads() {
  if (!existsSync(prebuilds)) return false; // a git checkout: there is only the source
  const { ADDONS, findPrebuilt } = require(path.join(root, 'dist/lib/sys/prebuilt.js'));
  const found = [];
  for (const name of ADDONS) {
    const prebuilt = findPrebuilt(name);
    if (!('path' in prebuilt)) {
      say(`${prebuilt.reason}: building from source`);
      return false;
    }
    try {
      require(prebuilt.path);
    } catch (err) {
      say(`the prebuilt binary ${name}.node does not load here (${String(err.message).split('\n')[0]}): building from source`);
      return false;
    }
    found.push(path.relative(root, prebuilt.path));
  }
  say(`using the prebuilt binaries ${found.join(', ')}`);
  return true;
}

function onPath(name) {
  return (process.env.PATH || '').split(path.delimiter).some((dir) => dir && existsSync(path.join(dir, name)));
}

// What node-gyp needs, named before it starts (its own errors come after pages of output).
function missingTools() {
  const missing = [];
  if (!process.env.npm_config_python && !onPath('python3') && !onPath('python')) missing.push('python3');
  if (!onPath('make')) missing.push('make');
  const cxx = (process.env.CXX || '').split(' ')[0];
  if (cxx ? !(onPath(cxx) || existsSync(cxx)) : !onPath('g++') && !onPath('c++')) missing.push(cxx || 'g++');
  return missing;
}

function fail(what) {
  console.error(
    `aio-notify: ${what}.\n` +
      'Two ways out:\n' +
      '  1. install on Linux x64 or arm64 with glibc 2.28 or later, where the prebuilt binary loads without a build;\n' +
      '  2. install python3, make and a C++ compiler (Debian/Ubuntu: apt-get install python3 make g++;\n' +
      '     RHEL: dnf install python3 make gcc-c++; Alpine: apk add python3 make g++), then reinstall.',
  );
  process.exit(1);
}

function buildFromSource() {
  const missing = missingTools();
  if (missing.length > 0) fail(`a source build of the addon needs ${missing.join(', ')}, not found on PATH`);
  // npm puts its own node-gyp on the PATH of install scripts; npm_config_node_gyp names it too.
  const gyp = process.env.npm_config_node_gyp;
  const [cmd, args] = gyp ? [process.execPath, [gyp, 'rebuild']] : ['node-gyp', ['rebuild']];
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) fail(`the source build failed (node-gyp rebuild: ${result.error?.message ?? `exit ${result.status}`})`);
  // The loader tries prebuilt binaries first: a source build replaces them.
  rmSync(prebuilds, { recursive: true, force: true });
  // (dist/ may not exist yet: a fresh clone's install runs before its prepare step compiles it.)
  const built = readdirSync(path.join(root, 'build', 'Release')).filter((f) => f.endsWith('.node'));
  say(`built from source: ${built.map((f) => `build/Release/${f}`).join(', ')}`);
}

if (forced()) {
  say('building from source, as asked');
  buildFromSource();
} else if (!prebuiltLoads()) {
  buildFromSource();
}
