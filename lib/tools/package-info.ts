// This package's name and version, read from its package.json (found upwards from the
// compiled file, so it works from dist/ and from an installed copy alike).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface PackageInfo {
  name: string;
  version: string;
  root: string;
}

let cached: PackageInfo | undefined;

export function packageInfo(): PackageInfo {
  if (cached) return cached;
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const json = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (json.name === 'aio-notify') return (cached = { name: json.name, version: json.version ?? '0.0.0', root: dir });
    }
    if (dirname(dir) === dir) return (cached = { name: 'aio-notify', version: '0.0.0', root: __dirname });
  }
}
