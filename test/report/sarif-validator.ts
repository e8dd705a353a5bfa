/** Runs the independent SARIF validator (`@microsoft/sarif-multitool validate`) over files and returns its findings. */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface ValidatorFinding {
  readonly level: 'error' | 'warning' | 'note';
  readonly ruleId: string;
  readonly file: string;
  readonly text: string;
}

interface ValidatorResult {
  readonly ruleId: string;
  readonly ruleIndex?: number;
  readonly level?: ValidatorFinding['level'];
  readonly message?: { readonly text?: string; readonly arguments?: string[] };
  readonly locations?: { readonly physicalLocation?: { readonly artifactLocation?: { readonly uri?: string } } }[];
}

function multitool(): string {
  const dir = dirname(require.resolve(`@microsoft/sarif-multitool-${process.platform}/package.json`));
  const exe = join(dir, process.platform === 'win32' ? 'Sarif.Multitool.exe' : 'Sarif.Multitool');
  // npm may skip the package's own `chmod u+x` install script.
  if (process.platform !== 'win32' && (statSync(exe).mode & 0o100) === 0) chmodSync(exe, 0o755);
  return exe;
}

export function validateSarif(files: readonly string[]): ValidatorFinding[] {
  const dir = mkdtempSync(join(tmpdir(), 'kslint-sarif-validate-'));
  try {
    const out = join(dir, 'validation.sarif');
    execFileSync(multitool(), ['validate', ...files, '--output', out, '--log', 'ForceOverwrite'], {
      stdio: 'pipe',
      timeout: 120_000,
      env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_NOLOGO: '1' },
    });
    const log = JSON.parse(readFileSync(out, 'utf8'));
    const run = log.runs[0];
    const rules: { id: string; defaultConfiguration?: { level?: string } }[] = run.tool?.driver?.rules ?? [];
    const results: ValidatorResult[] = run.results ?? [];
    return results.map((r) => {
      const rule = r.ruleIndex !== undefined ? rules[r.ruleIndex] : rules.find((x) => x.id === r.ruleId);
      const level = r.level ?? (rule?.defaultConfiguration?.level as ValidatorFinding['level'] | undefined) ?? 'warning';
      const args: string[] = r.message?.arguments ?? [];
      return { level, ruleId: r.ruleId, file: r.locations?.[0]?.physicalLocation?.artifactLocation?.uri ?? '', text: r.message?.text ?? args.join(' | ') };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
