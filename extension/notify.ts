/** Shows a failure the way errorMessages.ts words it, logs it, and runs the action the user picks. */
import * as vscode from 'vscode';
import { describeError, errorKind } from './errorMessages';

export function showError(e: unknown, log: vscode.LogOutputChannel, context: string): void {
  const user = describeError(e);
  const detail = e instanceof Error && e.stack ? e.stack : String(e);
  if (user.severity === 'silent') {
    log.info(`${context}: ${user.message}`);
    return;
  }
  log.error(`${context}: [${errorKind(e)}] ${detail}`);
  const show = user.severity === 'warning' ? vscode.window.showWarningMessage : vscode.window.showErrorMessage;
  // Not awaited: a notification nobody clicks must not hold the command open.
  void show(user.message, ...user.actions.map((a) => a.title)).then((picked) => {
    const action = user.actions.find((a) => a.title === picked);
    if (action) void vscode.commands.executeCommand(action.command, ...(action.args ?? []));
  });
}

/** A warning with a "Show Log" action, also written to the log (plain text: notifications render no markdown). */
export function showWarningWithLog(message: string, log: vscode.LogOutputChannel): void {
  log.warn(message);
  void vscode.window.showWarningMessage(message, 'Show Log').then((picked) => {
    if (picked === 'Show Log') void vscode.commands.executeCommand('ensemble.showLog');
  });
}
