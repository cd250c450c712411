// `corral validate --plan`: what corral would do with a manifest, in words.
import { startWaves, longestStopPath } from '../manifest/dependency-graph.js';
import { formatDuration } from '../manifest/duration.js';
import { worstStopTime } from '../manifest/semantic.js';
import type { ProcessSpec, ResolvedManifest, StopStep } from '../manifest/spec.js';

export function renderPlan(m: ResolvedManifest): string {
  const enabled = m.processes.filter((p) => !p.disabled);
  const graph = new Map(enabled.map((p) => [p.name, Object.keys(p.depends_on)]));
  const byName = new Map(enabled.map((p) => [p.name, p]));
  const width = Math.max(...m.processes.map((p) => p.name.length), 4);
  const lines: string[] = [];
  const disabled = m.processes.length - enabled.length;
  lines.push(
    `service ${m.service.name} ("${m.service.display_name}"), ${enabled.length} process${enabled.length === 1 ? '' : 'es'}` +
      (disabled > 0 ? ` (+${disabled} disabled)` : ''),
  );
  lines.push(`logs in ${m.log.dir}`);
  lines.push('');
  lines.push('start, wave by wave (a process starts as soon as what it waits for is up):');
  const waves = startWaves(graph);
  waves.forEach((wave, i) => {
    for (const name of wave) {
      const p = byName.get(name) as ProcessSpec;
      const waits = Object.entries(p.depends_on).map(([d, c]) => `${d} ${c}`);
      const ready =
        p.ready === null ? '' : `  ready: ${p.ready.check.kind} within ${formatDuration(p.ready.timeout)}`;
      lines.push(
        `  ${String(i + 1).padStart(2)}  ${name.padEnd(width)}  ${commandText(p)}${waits.length > 0 ? `  (waits for ${waits.join(', ')})` : ''}${ready}`,
      );
    }
  });
  lines.push('');
  lines.push('stop, in reverse (a process stops after everything that depends on it):');
  [...waves].reverse().forEach((wave, i) => {
    for (const name of wave) {
      const p = byName.get(name) as ProcessSpec;
      lines.push(
        `  ${String(i + 1).padStart(2)}  ${name.padEnd(width)}  ${p.stop.map(stepText).join(' → ')}`,
      );
    }
  });
  const worst = longestStopPath(graph, (n) => worstStopTime(byName.get(n)?.stop ?? []));
  lines.push('');
  lines.push(
    `worst-case stop: ${formatDuration(worst.total)}${worst.path.length > 1 ? ` along ${worst.path.join(' → ')}` : ''}` +
      ` (stop_timeout ${formatDuration(m.service.stop_timeout)})`,
  );
  return `${lines.join('\n')}\n`;
}

function commandText(p: ProcessSpec): string {
  if (p.shell) return `sh: ${p.command.join(' ')}`;
  return p.command.map((a) => (/[\s"']/.test(a) || a === '' ? JSON.stringify(a) : a)).join(' ');
}

export function stepText(s: StopStep): string {
  switch (s.kind) {
    case 'kill':
      return 'kill';
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
