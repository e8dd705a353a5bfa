/**
 * "Kernel Safety Lint: Export Report": runs the bundled CLI (same configuration, discovery and results as CI) on
 * the workspace or the current file, writes a SARIF, HTML or Markdown report where the user chooses (the CLI
 * writes it atomically), and offers to open it. What runs and how its exit reads is in the report layer's
 * export plan, which is tested without VS Code.
 */
import * as vscode from 'vscode';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { FeatureContext } from '../context';
import { defaultReportName, EXPORT_FORMATS, ExportFormat, ExportScope, exportArgs, interpretExit } from '../../../server/src/report/export-plan';

const C_LANGUAGES = new Set(['c', 'cpp']);

export function activate(ctx: FeatureContext): void {
  ctx.extension.subscriptions.push(vscode.commands.registerCommand('kslint.exportReport', () => exportReport(ctx)));
}

async function exportReport(ctx: FeatureContext): Promise<void> {
  // The CLI reads the project's configuration file, which an untrusted workspace must not influence.
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage('Kernel Safety Lint: reports can be exported from trusted workspaces only.');
    return;
  }
  const folder = vscode.workspace.workspaceFolders?.[0];
  const editor = vscode.window.activeTextEditor;
  const file = editor && C_LANGUAGES.has(editor.document.languageId) && editor.document.uri.scheme === 'file' ? editor.document.uri.fsPath : undefined;
  const scopes: { label: string; scope: ExportScope }[] = [];
  if (folder) scopes.push({ label: `Workspace: ${folder.name}`, scope: 'workspace' });
  if (file) scopes.push({ label: `Current file: ${vscode.workspace.asRelativePath(file)}`, scope: 'file' });
  if (!scopes.length) {
    void vscode.window.showWarningMessage('Kernel Safety Lint: open a folder or a C/C++ file to export a report.');
    return;
  }
  const scope = scopes.length === 1 ? scopes[0] : await vscode.window.showQuickPick(scopes, { placeHolder: 'Export a report of' });
  if (!scope) return;
  const format = await vscode.window.showQuickPick(
    EXPORT_FORMATS.map((f) => ({ label: f.label, detail: f.detail, format: f.format })),
    { placeHolder: 'Report format' },
  );
  if (!format) return;
  const base = folder?.uri ?? vscode.Uri.file(join(file!, '..'));
  const target = await vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.joinPath(base, defaultReportName(format.format, scope.scope, file)),
    filters: filtersFor(format.format),
    saveLabel: 'Export',
  });
  if (!target) return;
  const configPath = vscode.workspace.getConfiguration('kslint', folder?.uri).get<string>('configPath') || undefined;
  const args = exportArgs({
    cliModule: join(ctx.extension.extensionPath, 'dist', 'cli.js'),
    format: format.format,
    output: target.fsPath,
    targets: [scope.scope === 'file' ? file! : folder!.uri.fsPath],
    configPath,
  });
  const outcome = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Kernel Safety Lint: exporting the report', cancellable: true },
    (_progress, token) =>
      new Promise<ReturnType<typeof interpretExit>>((resolve) => {
        // The extension host's executable runs plain Node scripts with ELECTRON_RUN_AS_NODE; no shell is involved.
        const child = execFile(process.execPath, args, { cwd: folder?.uri.fsPath, env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, maxBuffer: 16 * 1024 * 1024 }, (err, _stdout, stderr) => {
          const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
          if (stderr) ctx.output.info(`export: ${stderr.trim()}`);
          resolve(interpretExit(code, String(stderr), target.fsPath));
        });
        token.onCancellationRequested(() => child.kill());
      }),
  );
  if (!outcome.ok) {
    ctx.output.error(outcome.message);
    void vscode.window.showErrorMessage(outcome.message, 'Show Log').then((a) => a && ctx.output.show(true));
    return;
  }
  const open = await vscode.window.showInformationMessage(outcome.message, 'Open');
  if (open !== 'Open') return;
  if (format.format === 'html') await vscode.env.openExternal(target);
  else await vscode.window.showTextDocument(target);
}

function filtersFor(format: ExportFormat): Record<string, string[]> {
  return format === 'html' ? { 'HTML report': ['html'] } : format === 'sarif' ? { 'SARIF log': ['sarif', 'json'] } : { Markdown: ['md'] };
}
