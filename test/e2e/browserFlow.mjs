// The user's flow in a real browser: Debian's chromium, driven by playwright-core, on code-server
// with the built extension and a daemon on generated tiny GGUF models. Open a file, select a line,
// run "Ensemble: Classify" from the F1 palette, see the code lens, open the inspector from it and
// check one row per member with the vote and confidence the daemon reports. Screenshots of the
// palette, the lens and the inspector go to test/e2e/artifacts/. Then compare and fuse the same line:
// one column per member with its answer, and the judge.
// Prints "e2e: N passed, N failed" last; exits non-zero on failure.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';
import { launchBrowser } from './lib/browser.mjs';
import { cleanupAll, onCleanup } from './lib/cleanup.mjs';
import { makeWorkspace, startCodeServer } from './lib/codeServer.mjs';
import { startDaemon } from './lib/daemon.mjs';
import { artifactsDir, repoRoot } from './lib/paths.mjs';

const log = (m) => console.log(`[e2e] ${m}`);
const FILE = 'triage.txt';
// The markup must come out as text in the inspector, never as elements.
const LINE = 'The app crashes when I click <b>save</b> twice.';
const CONTENT = `Triage notes, Monday\n\n${LINE}\nEverything else works.\n`;

function assert(cond, message) {
  if (!cond) throw new Error(`assertion failed: ${message}`);
}

async function latestDecision(home) {
  const { readDaemonFile, DaemonConnection } = await tsImport(path.join(repoRoot, 'client/daemonClient.ts'), import.meta.url);
  const info = readDaemonFile(home);
  assert(info, 'a daemon is running');
  const conn = await DaemonConnection.connect(info, { clientName: 'e2e', clientVersion: '0' });
  try {
    const [latest] = await conn.rpc.request('decisions/recent', { limit: 1 });
    return latest;
  } finally {
    conn.close();
  }
}

/** The webview document showing `selector`: VS Code nests each webview in two iframes. */
async function frameShowing(page, selector, what, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const f of page.frames()) {
      try {
        if (await f.$(selector)) return f;
      } catch {
        /* frame navigating */
      }
    }
    await page.waitForTimeout(200);
  }
  throw new Error(`${what} did not appear`);
}

const inspectorFrame = (page) => frameShowing(page, 'table.members tr.member-row', 'the inspector with member rows');

/** Selects the line holding `text` and runs `command` from the F1 palette. */
async function runOnLine(page, editor, text, command) {
  await editor.locator('.view-line', { hasText: text }).click();
  await page.keyboard.press('Home');
  await page.keyboard.press('Shift+End');
  await page.keyboard.press('F1');
  await page.locator('.quick-input-widget input').fill(`>${command}`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: command }).first().waitFor();
  await page.keyboard.press('Enter');
}

/**
 * "Ensemble: Compare Models" then "Ensemble: Fuse Answers" on the classified line: the inspector
 * shows one column per member, each with its answer (not an error), and for fusion the judge (the
 * first member's model, the default) with the answers it was shown. Members here are bare model ids.
 */
async function compareAndFuse(page, editor, members, shot) {
  await runOnLine(page, editor, 'crashes', 'Ensemble: Compare Models');
  const frame = await frameShowing(page, 'section.task.generation article.panel-column', 'the compare view', 120_000);
  const section = frame.locator('section.task.generation').first();
  assert((await section.locator('.final-label').innerText()).trim() === 'compare', 'the view is the compare panel');
  assert((await section.locator('blockquote.input-text').innerText()).includes('<b>save</b>'), 'the prompt is the selection, as text');
  const columns = section.locator('article.panel-column');
  assert((await columns.count()) === members.length, `one column per member (${await columns.count()} for ${members.length})`);
  const names = (await columns.locator('.model-name').allInnerTexts()).map((n) => n.trim());
  assert([...names].sort().join() === [...members].sort().join(), `the columns are the members (${names.join(', ')})`);
  for (const member of members) {
    const column = section.locator(`article.panel-column[aria-label="${member}"]`);
    assert((await column.locator('header .status').innerText()).trim() === 'ok', `${member} answered`);
    assert((await column.locator('p.panel-text.muted').count()) === 0, `${member}'s column shows its answer, not an error`);
    assert((await column.locator('.panel-stats').innerText()).includes('tok'), `${member}'s tokens are shown`);
  }
  await page.waitForTimeout(500);
  await shot(page, 'compare.png');

  await runOnLine(page, editor, 'crashes', 'Ensemble: Fuse Answers');
  await frame.waitForSelector('section.task.generation .judge', { timeout: 120_000 });
  const fused = frame.locator('section.task.generation').first();
  assert((await fused.locator('.final-label').innerText()).trim() === 'fusion', 'the view is the fusion panel');
  assert((await fused.locator('article.panel-column').count()) === members.length, 'the panel is shown whole under fusion');
  const judge = (await fused.locator('.judge .meta').innerText()).trim();
  assert(judge.includes(`judge ${members[0]}`) && /\bok\b/.test(judge), `the judge is the first member and finished (${judge})`);
  const shown = await fused.locator('article.panel-column .badge', { hasText: 'shown to judge' }).count();
  assert(shown === members.length, `every answer was shown to the judge (${shown})`);
  await page.waitForTimeout(500);
  await shot(page, 'fusion.png');
}

/** `vsix`: test that package installed into code-server instead of the development folder. */
export async function browserFlow({ vsix } = {}) {
  const started = Date.now();
  const t = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
  fs.mkdirSync(artifactsDir, { recursive: true });
  fs.rmSync(path.join(artifactsDir, 'failure.png'), { force: true });
  const shot = (page, name) => page.screenshot({ path: path.join(artifactsDir, name) });
  let page;
  try {
    const daemon = await startDaemon({ log });
    onCleanup(() => daemon.stop());
    const folder = makeWorkspace({ [FILE]: CONTENT });
    const server = await startCodeServer({ folder, env: { ENSEMBLE_HOME: daemon.home }, log, vsix });
    onCleanup(() => server.stop());
    const browser = await launchBrowser();
    onCleanup(() => browser.close());
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const consoleErrors = [];
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));

    await page.goto(server.workbenchUrl(vsix ? undefined : [['extensionDevelopmentPath', server.remoteUri(repoRoot)]]));
    await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
    log(`workbench at ${t()}`);
    // The extension joins the daemon at startup: its status bar item shows the pool.
    await page.locator('.statusbar-item', { hasText: 'Ensemble: 3/3 models' }).first().waitFor({ timeout: 30_000 });
    log(`status bar shows the pool at ${t()}`);

    // Open the file and select the line to classify.
    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget input').fill(FILE);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: FILE }).first().waitFor();
    await page.keyboard.press('Enter');
    const editor = page.locator('.editor-instance .monaco-editor').first();
    await editor.locator('.view-line', { hasText: 'Everything else works.' }).waitFor();
    await editor.locator('.view-line', { hasText: 'crashes' }).click();
    await page.keyboard.press('Home');
    await page.keyboard.press('Shift+End');

    // F1 -> "Ensemble: Classify".
    await page.keyboard.press('F1');
    await page.locator('.quick-input-widget input').fill('>Ensemble: Classify');
    const entry = page.locator('.quick-input-list .monaco-list-row', { hasText: 'Ensemble: Classify' }).first();
    await entry.waitFor();
    await page.waitForTimeout(300);
    await shot(page, 'palette.png');
    await page.keyboard.press('Enter');
    log(`classify run at ${t()}`);

    const lens = page.locator('.codelens-decoration', { hasText: 'agree' }).first();
    await lens.waitFor({ timeout: 30_000 });
    const lensText = (await lens.innerText()).trim();
    log(`lens "${lensText}" at ${t()}`);
    const decision = await latestDecision(daemon.home);
    const { lensTitle } = await tsImport(path.join(repoRoot, 'extension/lensTitle.ts'), import.meta.url);
    assert(lensText === lensTitle(decision), `lens "${lensText}" matches the daemon's decision "${lensTitle(decision)}"`);
    assert(
      decision.label === 'bug' && decision.votes.length === 3,
      `the daemon decided bug with 3 votes (got ${decision.label}, ${decision.votes.length})`,
    );
    // The lens sits above the classified line (line 3).
    const lensBox = await lens.boundingBox();
    const lineBox = await editor.locator('.view-line', { hasText: 'crashes' }).boundingBox();
    assert(lensBox && lineBox && lensBox.y < lineBox.y && lineBox.y - lensBox.y < 40, 'the lens is just above the classified line');
    await page.waitForTimeout(700); // let the progress toast slide away
    await shot(page, 'lens.png');

    // Click the lens: the inspector opens on that decision.
    await lens.locator('a').first().click();
    const frame = await inspectorFrame(page);
    await frame.waitForSelector(`section.decision[data-decision-id="${decision.id}"]`, { timeout: 15_000 });
    const rows = frame.locator('table.members tr.member-row');
    assert(
      (await rows.count()) === decision.votes.length,
      `one row per member (${await rows.count()} rows, ${decision.votes.length} votes)`,
    );
    for (const v of decision.votes) {
      const row = frame.locator(`tr.member-row[data-member="${v.member}"]`);
      const vote = (await row.locator('.vote-label').innerText()).trim();
      const conf = (await row.locator('.confidence-value').innerText()).trim();
      assert(vote === v.label, `${v.member} voted ${v.label} (row shows ${vote})`);
      assert(conf === v.confidence.toFixed(2), `${v.member} confidence ${v.confidence.toFixed(2)} (row shows ${conf})`);
      assert((await row.locator('.status-text').innerText()).trim() === 'ok', `${v.member} status ok`);
    }
    assert((await frame.locator('.final-label').innerText()).trim() === decision.label, 'the final label is the decision');
    const agreement = (await frame.locator('.summary .agreement').innerText()).trim();
    assert(agreement === '2/3 agree', `agreement shown as 2/3 (got ${agreement})`);
    // Escaping: the <b> the user typed is text, not an element.
    const quote = frame.locator('blockquote.input-text');
    assert((await quote.innerText()).includes('<b>save</b>'), 'the classified text is shown literally');
    assert((await quote.locator('b').count()) === 0, 'no markup from the text became an element');
    // Codicons loaded under the CSP (the font resolves, so icons have width).
    const iconWidth = await frame
      .locator('.final .codicon')
      .first()
      .evaluate((el) => el.getBoundingClientRect().width);
    assert(iconWidth > 0, 'codicons render');
    await page.waitForTimeout(500);
    await shot(page, 'inspector.png');
    // Feedback: "Right" goes to the daemon (feedback/submit) and the panel says it was recorded.
    await frame.locator('.feedback button.fb.right').click();
    const notice = frame.locator('.feedback .notice.ok');
    await notice.waitFor({ timeout: 15_000 });
    assert((await notice.innerText()).includes('Feedback recorded'), 'feedback recorded');
    // Feedback moves weights: the pool view refreshes and the model that voted against the
    // confirmed label now weighs less than one that voted for it.
    const against = decision.votes.find((v) => v.label !== decision.label).model;
    const agreed = decision.votes.find((v) => v.label === decision.label).model;
    await frame.waitForFunction(
      ([a, w]) => {
        const weight = (m) => Number(document.querySelector(`tr.pool-row[data-model="${m}"]`)?.children[4]?.textContent);
        return weight(a) < weight(w);
      },
      [against, agreed],
      { timeout: 15_000 },
    );
    const contribution = (await frame.locator(`tr.pool-row[data-model="${agreed}"] td`).nth(6).innerText()).trim();
    assert(contribution === '0 / 0', `contribution column shows decisive / overruled (${contribution})`);
    log(`feedback moved the weights at ${t()}`);

    // Live votes: with the inspector open, classify another line and watch the panel show the
    // request's votes (the pending view) before the decision replaces it.
    await frame.evaluate(() => {
      window.__pending = { seen: 0, maxRows: 0 };
      new MutationObserver(() => {
        const rows = document.querySelectorAll('section.decision.pending tr.member-row .vote-label.chip').length;
        if (document.querySelector('section.decision.pending')) window.__pending.seen++;
        window.__pending.maxRows = Math.max(window.__pending.maxRows, rows);
      }).observe(document.body, { childList: true, subtree: true });
    });
    await editor.locator('.view-line', { hasText: 'Everything' }).click();
    await page.keyboard.press('Home');
    await page.keyboard.press('Shift+End');
    await page.keyboard.press('F1');
    await page.locator('.quick-input-widget input').fill('>Ensemble: Classify');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Ensemble: Classify' }).first().waitFor();
    await page.keyboard.press('Enter');
    await frame.locator('details.history .history-item').nth(1).waitFor({ timeout: 30_000 });
    const live = await frame.evaluate(() => window.__pending);
    assert(live.seen > 0 && live.maxRows >= 1, `votes were shown live before the decision (${JSON.stringify(live)})`);
    assert((await frame.locator('section.decision.pending').count()) === 0, 'the decision replaced the live view');
    log(`live votes seen (${JSON.stringify(live)}) at ${t()}`);

    // The same panel in the dark and high-contrast themes: the webview follows VS Code's variables.
    for (const [theme, bodyClass, file] of [
      ['Dark Modern', 'vscode-dark', 'inspector-dark.png'],
      ['Dark High Contrast', 'vscode-high-contrast', 'inspector-high-contrast.png'],
    ]) {
      await editor.locator('.view-line', { hasText: 'Everything' }).click();
      await page.keyboard.press('Control+K');
      await page.keyboard.press('Control+T'); // Preferences: Color Theme
      await page.locator('.quick-input-widget input').fill(theme);
      await page.locator('.quick-input-list .monaco-list-row.focused', { hasText: theme }).first().waitFor();
      await page.keyboard.press('Enter');
      await frame.waitForSelector(`body.${bodyClass}`, { timeout: 15_000 });
      await page.waitForTimeout(500);
      await shot(page, file);
    }
    const { members } = JSON.parse(fs.readFileSync(path.join(daemon.home, 'config.json'), 'utf8')).ensembles.default;
    await compareAndFuse(page, editor, members, shot);
    log(`compare and fusion shown side by side at ${t()}`);
    const cspErrors = consoleErrors.filter((e) => /Content Security Policy|Refused to/i.test(e));
    assert(cspErrors.length === 0, `no CSP violations (${cspErrors.join(' | ')})`);
    log(`inspector matches the decision at ${t()}`);
    return { passed: 1, failed: 0 };
  } catch (e) {
    console.error(e);
    if (page) await shot(page, 'failure.png').catch(() => undefined);
    return { passed: 0, failed: 1 };
  } finally {
    await cleanupAll(log);
    log(`took ${t()}`);
  }
}

if (path.resolve(process.argv[1] ?? '') === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--vsix');
  const counts = await browserFlow({ vsix: at > 0 ? path.resolve(process.argv[at + 1]) : undefined });
  console.log(`e2e: ${counts.passed} passed, ${counts.failed} failed`);
  process.exit(counts.failed === 0 ? 0 : 1);
}
