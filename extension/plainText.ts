/**
 * Outside text (a member's answer, a daemon or model error, a file name) shown in a VS Code
 * notification as plain text. Notifications turn `[label](command:...)`, `[label](https://...)`
 * and `[label](file:...)` into live links, and a command link runs a command when clicked, so
 * text from a model could dress a command up as a harmless link. VS Code's link syntax needs "]"
 * directly followed by "(": a space between them leaves the text readable and never a link.
 * Pure (no vscode import): unit-tested in test/unit/extension/plainText.test.ts.
 */
export function plainText(outside: string): string {
  return outside.replaceAll('](', '] (');
}
