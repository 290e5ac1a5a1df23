// What the numbers were measured on, and how loaded the machine was while they were.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { PROJECT_DIR } from './duetime-server.js';

export interface MachineInfo {
  hostname: string;
  cpuModel: string;
  cores: number;
  totalMemoryBytes: number;
  node: string;
  kernel: string;
  os: string;
  /** File system of the folder holding the SQLite data dirs (fsync costs differ: ext4 vs tmpfs). */
  dataFilesystem?: string;
}

export interface LoadSnapshot {
  at: string;
  /** The `uptime` command's output. */
  uptime: string;
  loadavg: [number, number, number];
}

export interface SourceInfo {
  commit: string;
  /** Uncommitted changes in the tree when the bench ran (it is shared with other engineers). */
  dirty: boolean;
}

export function machineInfo(dataDir?: string): MachineInfo {
  return {
    ...(dataDir ? { dataFilesystem: filesystemOf(dataDir) } : {}),
    hostname: os.hostname(),
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.cpus().length,
    totalMemoryBytes: os.totalmem(),
    node: process.version,
    kernel: `${os.type()} ${os.release()}`,
    os: osName(),
  };
}

export function loadSnapshot(): LoadSnapshot {
  const loadavg = os.loadavg().map((n) => Math.round(n * 100) / 100) as [number, number, number];
  let uptime: string;
  try {
    uptime = execFileSync('uptime', { encoding: 'utf8', timeout: 5_000 }).trim();
  } catch {
    uptime = `load average: ${loadavg.join(', ')}`;
  }
  return { at: new Date().toISOString(), uptime, loadavg };
}

export function sourceInfo(): SourceInfo {
  const git = (...args: string[]): string => execFileSync('git', args, { cwd: PROJECT_DIR, encoding: 'utf8', timeout: 10_000 }).trim();
  try {
    return { commit: git('rev-parse', 'HEAD'), dirty: git('status', '--porcelain', '--untracked-files=no') !== '' };
  } catch {
    return { commit: 'unknown', dirty: true };
  }
}

/** A short machine label for result file names: the hostname, unless it says nothing (vm, localhost, a container id). */
export function machineLabel(info: MachineInfo): string {
  const host = info.hostname.toLowerCase().replace(/[^a-z0-9.-]+/g, '-');
  const generic = host === '' || ['vm', 'localhost', 'host', 'machine', 'runner'].includes(host) || /^[0-9a-f]{12,}$/.test(host);
  return generic ? `node-${info.cores}core` : host;
}

function osName(): string {
  try {
    const release = readFileSync('/etc/os-release', 'utf8');
    return release.match(/^PRETTY_NAME="?([^"\n]*)"?$/m)?.[1] ?? os.type();
  } catch {
    return os.type();
  }
}

function filesystemOf(dir: string): string {
  // findmnt names ext4 as such; stat -f only knows the shared ext2/ext3/ext4 magic number.
  for (const [command, args] of [['findmnt', ['-n', '-o', 'FSTYPE', '-T', dir]], ['stat', ['-f', '-c', '%T', dir]]] as const) {
    try {
      return execFileSync(command, args, { encoding: 'utf8', timeout: 5_000 }).trim();
    } catch {
      // try the next
    }
  }
  return 'unknown';
}
