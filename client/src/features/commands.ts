/** Commands: restart the server, lint the whole workspace, show a rule's documentation, show the server log. */
import * as vscode from 'vscode';
import type { FeatureContext } from '../context';

interface RuleListItem {
  readonly id: string;
  readonly name: string;
  readonly summary: string;
  readonly severity: string;
  readonly docUri: string | undefined;
}

export function activate(ctx: FeatureContext): void {
  const { subscriptions } = ctx.extension;
  subscriptions.push(
    vscode.commands.registerCommand('kslint.restartServer', () => ctx.restart()),
    vscode.commands.registerCommand('kslint.showOutput', () => ctx.output.show(true)),
    vscode.commands.registerCommand('kslint.lintWorkspace', async () => {
      const client = ctx.client();
      if (!client) return void vscode.window.showWarningMessage('Kernel Safety Lint: the language server is not running.');
      const r = (await client.sendRequest('workspace/executeCommand', { command: 'kslint.server.lintWorkspace', arguments: [] })) as { files: number; findings: number } | null;
      if (r) void vscode.window.showInformationMessage(`Kernel Safety Lint: ${r.findings} finding(s) in ${r.files} file(s).`);
    }),
    vscode.commands.registerCommand('kslint.showRuleDocumentation', async (id?: unknown) => showRuleDoc(ctx, typeof id === 'string' ? id : undefined)),
  );
}

async function showRuleDoc(ctx: FeatureContext, id: string | undefined): Promise<void> {
  const client = ctx.client();
  if (!client) return;
  const rules = (await client.sendRequest('kslint/listRules')) as RuleListItem[];
  let rule = id ? rules.find((r) => r.id === id.toUpperCase()) : undefined;
  if (!rule) {
    const pick = await vscode.window.showQuickPick(
      rules.map((r) => ({ label: `${r.id} ${r.name}`, description: r.severity, detail: r.summary, rule: r })),
      { placeHolder: 'Show the documentation of a kslint rule', matchOnDetail: true },
    );
    rule = pick?.rule;
  }
  if (!rule?.docUri) return;
  await vscode.commands.executeCommand('markdown.showPreview', vscode.Uri.parse(rule.docUri));
}
