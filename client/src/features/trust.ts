/**
 * Workspace trust: the server starts in restricted mode in an untrusted workspace (built-in rules, default
 * settings, nothing read from the workspace but the open files) and is restarted with full rights once trusted.
 */
import * as vscode from 'vscode';
import type { FeatureContext } from '../context';

export function activate(ctx: FeatureContext): void {
  ctx.extension.subscriptions.push(vscode.workspace.onDidGrantWorkspaceTrust(() => void ctx.restart()));
}
