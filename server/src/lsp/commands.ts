/**
 * Commands the server executes (`workspace/executeCommand`) and the `kslint/listRules` request the VS Code
 * client's rule picker uses.
 */
import { ExecuteCommandParams } from 'vscode-languageserver/node';
import { toDiagnostics } from './diagnostics';
import type { KslintServer } from './server';
import { pathToUri } from './uri';
import { readSource } from './workspace-files';

export const LINT_WORKSPACE = 'kslint.server.lintWorkspace';
export const SHOW_RULE_DOC = 'kslint.server.showRuleDocumentation';
export const COMMANDS = [LINT_WORKSPACE, SHOW_RULE_DOC] as const;

export interface RuleListItem {
  readonly id: string;
  readonly name: string;
  readonly summary: string;
  readonly severity: string;
  readonly docUri: string | undefined;
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export function registerCommands(server: KslintServer): void {
  server.connection.onRequest('kslint/listRules', (): RuleListItem[] =>
    server.docs.rules.map((r) => ({ id: r.meta.id, name: r.meta.name, summary: r.meta.summary, severity: r.meta.severity, docUri: server.docs.docUri(r.meta.id) })),
  );
  server.connection.onExecuteCommand(async (p: ExecuteCommandParams) => {
    if (p.command === LINT_WORKSPACE) return lintWorkspace(server);
    if (p.command === SHOW_RULE_DOC) return showRuleDoc(server, p.arguments?.[0]);
    return null;
  });
}

/** Lints every C/C++ file of the workspace and publishes diagnostics for the closed ones too. */
async function lintWorkspace(server: KslintServer): Promise<{ files: number; findings: number }> {
  const analyzer = server.analyzer;
  if (!analyzer || !server.settings.enable) return { files: 0, findings: 0 };
  if (server.index && server.trusted) await server.reindex();
  const open = server.documents.all();
  const paths = new Set(server.index?.paths() ?? []);
  for (const d of open) paths.delete(d.path);
  const progress = await server.progress();
  progress?.begin('kslint: linting the workspace');
  let findings = 0;
  let done = 0;
  try {
    for (const d of open) {
      server.schedule(d, 'config');
      findings += d.findings.filter((f) => !f.suppression).length;
    }
    const all = [...paths].sort();
    for (const path of all) {
      const text = await readSource(path);
      const uri = pathToUri(path);
      if (text !== undefined && !server.documents.byPath(path)) {
        try {
          const result = analyzer.lintText(path, text, server.configFor(path));
          const diagnostics = toDiagnostics(result.findings, { docs: server.docs, version: 0, relatedInformation: server.client.relatedInformation });
          findings += diagnostics.length;
          server.workspaceDiagnostics.add(uri);
          void server.connection.sendDiagnostics({ uri, diagnostics });
        } catch (err) {
          server.log(`could not lint ${path}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      done++;
      if (done % 10 === 0 || done === all.length) progress?.report(done, all.length);
      await tick();
    }
  } finally {
    progress?.done();
  }
  server.log(`linted ${done + open.length} file(s): ${findings} finding(s)`);
  return { files: done + open.length, findings };
}

async function showRuleDoc(server: KslintServer, arg: unknown): Promise<{ id: string; uri?: string; markdown: string } | null> {
  const rule = typeof arg === 'string' ? server.docs.rule(arg.trim().toUpperCase()) : undefined;
  if (!rule) return null;
  const uri = server.docs.docUri(rule.meta.id);
  if (uri && server.client.showDocument) {
    await server.connection.window.showDocument({ uri, takeFocus: true }).catch(() => undefined);
  }
  return { id: rule.meta.id, uri, markdown: rule.docs.markdown };
}
