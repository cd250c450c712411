// `corral validate --plan`: what corral would do with a manifest, in words.
import { longestStopPath, startWaves } from '../manifest/dependency-graph.js';
import { formatDuration } from '../manifest/duration.js';
import { stopGraph, worstStopTime } from '../manifest/semantic.js';
import type { Platform, ProcessSpec, ResolvedManifest, StopStep } from '../manifest/spec.js';

export function renderPlan(m: ResolvedManifest): string {
  const enabled = m.processes.filter((p) => !p.disabled);
  const byName = new Map(enabled.map((p) => [p.name, p]));
  const width = Math.max(...m.processes.map((p) => p.name.length), 4);
  const indent = ' '.repeat(width + 8);
  const disabled = m.processes.length - enabled.length;
  const lines: string[] = [
    `service ${m.service.name} ("${m.service.display_name}"), ${enabled.length} process${enabled.length === 1 ? '' : 'es'}` +
      (disabled > 0 ? ` (+${disabled} disabled)` : ''),
    `logs in ${m.log.dir}`,
    '',
    'start, wave by wave (a process starts as soon as what it waits for is up):',
  ];
  const startGraph = new Map(enabled.map((p) => [p.name, Object.keys(p.depends_on)]));
  startWaves(startGraph).forEach((wave, i) => {
    for (const name of wave) {
      const p = byName.get(name) as ProcessSpec;
      lines.push(`  ${String(i + 1).padStart(2)}  ${name.padEnd(width)}  ${commandText(p)}`);
      lines.push(`${indent}${processNotes(p).join('; ')}`);
    }
  });
  lines.push('', 'stop, in reverse (a process stops after everything that depends on it):');
  const stops = stopGraph(m);
  [...startWaves(stops)].reverse().forEach((wave, i) => {
    for (const name of wave) {
      const steps = (byName.get(name) as ProcessSpec).stop.map((s) => stepText(s, m.platform));
      lines.push(`  ${String(i + 1).padStart(2)}  ${name.padEnd(width)}  ${steps.join(' → ')}`);
    }
  });
  const worst = longestStopPath(stops, (n) => worstStopTime(byName.get(n)?.stop ?? []));
  lines.push(
    '',
    `worst-case stop: ${formatDuration(worst.total)}${worst.path.length > 1 ? ` along ${worst.path.join(' → ')}` : ''}` +
      ` (stop_timeout ${formatDuration(m.service.stop_timeout)})`,
  );
  return `${lines.join('\n')}\n`;
}

function processNotes(p: ProcessSpec): string[] {
  const waits = Object.entries(p.depends_on).map(([d, c]) => `${d} ${c}`);
  return [
    waits.length > 0 ? `waits for ${waits.join(', ')}` : '',
    p.ready === null ? '' : `ready: ${p.ready.check.kind} within ${formatDuration(p.ready.timeout)}`,
    p.liveness === null ? '' : `liveness: ${p.liveness.check.kind} every ${formatDuration(p.liveness.every)}`,
    `restart ${p.restart.policy}`,
    p.critical ? 'critical' : '',
  ].filter((n) => n !== '');
}

function commandText(p: ProcessSpec): string {
  if (p.shell) return `shell: ${p.command.join(' ')}`;
  return p.command.map((a) => (/[\s"']/.test(a) || a === '' ? JSON.stringify(a) : a)).join(' ');
}

export function stepText(s: StopStep, platform: Platform): string {
  switch (s.kind) {
    case 'kill':
      return 'kill';
    case 'graceful':
      return `graceful (${platform === 'windows' ? 'Ctrl+C' : 'SIGTERM'}) ${formatDuration(s.timeout)}`;
    case 'signal':
      return `${s.signal} ${formatDuration(s.timeout)}`;
    case 'command':
      return `command ${formatDuration(s.timeout)}`;
    case 'http':
      return `http ${s.method} ${formatDuration(s.timeout)}`;
    case 'stdin':
      return `stdin ${formatDuration(s.timeout)}`;
    default:
      return `${s.kind} ${formatDuration(s.timeout)}`;
  }
}
