/** A status bar item: analysing / N findings in the active file / error, from the server's `kslint/status`. */
import * as vscode from 'vscode';
import type { FeatureContext } from '../context';

type State = 'analysing' | 'indexing' | 'idle' | 'error' | 'stopped';

export function activate(ctx: FeatureContext): void {
  const item = vscode.window.createStatusBarItem('kslint.status', vscode.StatusBarAlignment.Left, 10);
  item.name = 'Kernel Safety Lint';
  item.command = 'workbench.actions.view.problems';
  let state: State = 'idle';
  let detail: string | undefined;

  const render = (): void => {
    const editor = vscode.window.activeTextEditor;
    const findings = editor ? vscode.languages.getDiagnostics(editor.document.uri).filter((d) => d.source === 'kslint').length : 0;
    if (state === 'analysing' || state === 'indexing') {
      item.text = `$(sync~spin) kslint`;
      item.tooltip = state === 'indexing' ? 'Kernel Safety Lint: indexing the workspace' : 'Kernel Safety Lint: analysing';
    } else if (state === 'error' || state === 'stopped') {
      item.text = '$(error) kslint';
      item.tooltip = `Kernel Safety Lint: ${detail ?? (state === 'stopped' ? 'the language server stopped' : 'error')} (see the output channel)`;
      item.command = 'kslint.showOutput';
    } else {
      item.text = findings ? `$(warning) kslint: ${findings}` : '$(check) kslint';
      item.tooltip = `Kernel Safety Lint: ${findings} finding(s) in this file`;
      item.command = 'workbench.actions.view.problems';
    }
    const lang = editor?.document.languageId;
    if (lang === 'c' || lang === 'cpp' || state === 'error' || state === 'stopped') item.show();
    else item.hide();
  };

  ctx.extension.subscriptions.push(
    item,
    vscode.languages.onDidChangeDiagnostics(render),
    vscode.window.onDidChangeActiveTextEditor(render),
    ctx.onDidStartClient((client) => {
      state = 'idle';
      detail = undefined;
      client.onNotification('kslint/status', (p: { state: State; message?: string }) => {
        state = p.state;
        detail = p.message;
        render();
      });
      client.onDidChangeState((e) => {
        // 1 = Stopped in vscode-languageclient's State.
        if (e.newState === 1) {
          state = 'stopped';
          render();
        }
      });
      render();
    }),
  );
  render();
}
