// The environment report: what a wake-up latency depends on most (reference/
// wakeup-anchors.md §3.2). A halted vCPU woken by an IPI, a cpuidle governor, halt polling
// and emulation change the numbers far more than the code under test does.
import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import { packageInfo } from './package-info';

export interface EnvironmentReport {
  /** process.arch: the architecture this Node runs as ('x64', 'arm64'). */
  arch: string;
  /** uname -m as this process sees it. */
  machine: string;
  kernel: { release: string; version: string };
  cpuModel: string;
  cores: { online: number; available: number };
  hypervisor: { present: boolean; vendor: string | null; source: string | null };
  /** 'qemu-user' when an arm64 Node runs on an x86_64 kernel under emulation, else null. */
  emulation: string | null;
  /** A sanitizer runtime loaded in this process ('asan', 'tsan', 'ubsan'), else null. */
  sanitizer: string | null;
  cpuidle: { driver: string | null; governor: string | null };
  /** Halt-polling parameters found in /sys/module (guest haltpoll driver, host kvm). */
  haltPoll: Record<string, string>;
  node: string;
  v8: string;
  addon: { version: string; napi: string | null };
  pid: number;
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}

/** "key: value" lines of the first processor block of /proc/cpuinfo, plus the whole text. */
function cpuinfo(): { fields: Map<string, string>; text: string } {
  const text = readText('/proc/cpuinfo') ?? '';
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([^:]+?)\s*:\s*(.*)$/.exec(line);
    if (m && !fields.has(m[1])) fields.set(m[1], m[2]);
  }
  return { fields, text };
}

// ARM's "CPU implementer" / "CPU part" codes for the cores CI and clouds run on.
const ARM_PARTS: Record<string, string> = {
  '0x41:0xd0c': 'Arm Neoverse N1',
  '0x41:0xd40': 'Arm Neoverse V1',
  '0x41:0xd49': 'Arm Neoverse N2',
  '0x41:0xd4f': 'Arm Neoverse V2',
  '0x41:0xd08': 'Arm Cortex-A72',
  '0x41:0xd0b': 'Arm Cortex-A76',
  '0x48:0xd01': 'HiSilicon Kunpeng 920 (TaiShan v110)',
  '0xc0:0xac3': 'Ampere-1',
  '0x61:0x022': 'Apple M1',
};

function cpuModel(fields: Map<string, string>): string {
  const named = fields.get('model name') ?? fields.get('Model') ?? fields.get('cpu model');
  if (named) return named;
  const implementer = fields.get('CPU implementer');
  const part = fields.get('CPU part');
  if (implementer && part) return ARM_PARTS[`${implementer}:${part}`] ?? `implementer ${implementer} part ${part}`;
  return os.cpus()[0]?.model ?? 'unknown';
}

function hypervisor(fields: Map<string, string>): EnvironmentReport['hypervisor'] {
  const flags = (fields.get('flags') ?? '').split(/\s+/);
  const xen = readText('/sys/hypervisor/type');
  if (xen) return { present: true, vendor: xen, source: '/sys/hypervisor/type' };
  const vendor = readText('/sys/class/dmi/id/sys_vendor');
  const product = readText('/sys/class/dmi/id/product_name');
  const dmi = [vendor, product].filter(Boolean).join(' ');
  const known = /kvm|qemu|vmware|virtualbox|xen|microsoft|amazon ec2|google|firecracker|bochs|parallels/i.exec(dmi);
  if (flags.includes('hypervisor')) {
    return { present: true, vendor: known ? dmi : null, source: 'cpuinfo flag "hypervisor"' };
  }
  if (known) return { present: true, vendor: dmi, source: '/sys/class/dmi/id' };
  const dt = readText('/proc/device-tree/hypervisor/compatible');
  if (dt) return { present: true, vendor: dt.replace(/\0/g, ' ').trim(), source: 'device tree' };
  return { present: false, vendor: null, source: null };
}

/** An arm64 Node whose /proc/cpuinfo describes an x86 CPU runs under qemu-user. */
function emulationOf(fields: Map<string, string>): string | null {
  const x86 = fields.has('vendor_id') || /\bsse2\b/.test(fields.get('flags') ?? '');
  if (process.arch === 'arm64' && x86) return 'qemu-user';
  if (process.arch === 'x64' && fields.has('CPU implementer')) return 'emulated x86_64';
  return null;
}

/**
 * The emulation this Node runs under ('qemu-user', 'emulated x86_64'), or null on real
 * hardware (a VM included): detected from /proc/cpuinfo, never assumed from the architecture.
 */
export function emulation(): string | null {
  return emulationOf(cpuinfo().fields);
}

/** An instrumented build changes timing as much as emulation does: say so. */
export function sanitizer(): string | null {
  const maps = readText('/proc/self/maps') ?? '';
  const m = /lib(asan|tsan|ubsan)\.so/.exec(maps);
  return m ? m[1] : null;
}

function haltPoll(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const module of ['haltpoll', 'kvm']) {
    const dir = `/sys/module/${module}/parameters`;
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names.sort()) {
      if (!/halt_poll/.test(name)) continue;
      const value = readText(`${dir}/${name}`);
      if (value !== null) out[`${module}.${name}`] = value;
    }
  }
  return out;
}

export function environmentReport(): EnvironmentReport {
  const { fields } = cpuinfo();
  const idle = '/sys/devices/system/cpu/cpuidle';
  return {
    arch: process.arch,
    machine: typeof os.machine === 'function' ? os.machine() : process.arch,
    kernel: { release: os.release(), version: os.version() },
    cpuModel: cpuModel(fields),
    cores: { online: os.cpus().length, available: os.availableParallelism() },
    hypervisor: hypervisor(fields),
    emulation: emulationOf(fields),
    sanitizer: sanitizer(),
    cpuidle: {
      driver: readText(`${idle}/current_driver`),
      governor: readText(`${idle}/current_governor`) ?? readText(`${idle}/current_governor_ro`),
    },
    haltPoll: haltPoll(),
    node: process.version,
    v8: process.versions.v8,
    addon: { version: packageInfo().version, napi: process.versions.napi ?? null },
    pid: process.pid,
  };
}
